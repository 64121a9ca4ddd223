/** Element types of Kiln tensors and the precisions a layer's weights or activations may take. */

export const DTYPES = ['f32', 'f16', 'bf16', 'i32', 'i16', 'i8', 'ternary', 'binary', 'spike'] as const;
export type DType = (typeof DTYPES)[number];

/** What `weights =` and `activations =` accept. i32 and spike are results, not choices. */
export const PRECISIONS = ['f32', 'bf16', 'f16', 'i16', 'i8', 'ternary', 'binary'] as const;
export type PrecisionName = (typeof PRECISIONS)[number];

export const GRANULARITIES = ['per_tensor', 'per_channel'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface Precision {
  dtype: PrecisionName;
  /** How scales (i8), shared exponents (i16 dynamic fixed point) or ternary thresholds are shared. */
  granularity: Granularity;
  /**
   * Fixed i8 scales, one or one per channel, as an imported quantized model states them; absent,
   * scales come from the values (max-abs, symmetric).
   */
  scale?: number[];
  /** i8 zero points that go with `scale` (an asymmetric uint8 zero point z is z − 128 here); absent: 0. */
  zero_point?: number[];
}

/** Storage bits per element; ternary needs two bits per value when packed. */
export const DTYPE_BITS: Readonly<Record<DType, number>> = {
  f32: 32, f16: 16, bf16: 16, i32: 32, i16: 16, i8: 8, ternary: 2, binary: 1, spike: 1,
};

export const isFloat = (d: DType): boolean => d === 'f32' || d === 'f16' || d === 'bf16';
export const isInteger = (d: DType): boolean => d === 'i32' || d === 'i16' || d === 'i8';

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}
export function isPrecisionName(s: string): s is PrecisionName {
  return (PRECISIONS as readonly string[]).includes(s);
}

export interface TensorType {
  shape: number[];
  dtype: DType;
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatType(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

/** The result type of mixing two element types in add/mul: float wins, then the wider. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (isFloat(a) !== isFloat(b)) return isFloat(a) ? a : b;
  return DTYPE_BITS[a] >= DTYPE_BITS[b] ? a : b;
}

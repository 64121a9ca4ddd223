/** Helpers shared by the ONNX op converters: reshapes, window padding, scaled constants. */
import type { Precision } from '../ir/dtype.ts';
import { Unsupported, type Builder, type Const, type QuantNote, type Value } from './builder.ts';
import type { Attrs } from './attrs.ts';
import type { OnnxNode } from './proto.ts';

export type Converter = (n: OnnxNode, b: Builder, opset: number) => void;

export const size = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);
export const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** A reshape node, or the value itself when the shape already matches. */
export function reshapeTo(b: Builder, v: Value, shape: number[], name: string): Value {
  return same(v.type.shape, shape) ? v : b.emit('reshape', [v], { shape }, name);
}

export const scaled = (c: Const, k: number): Float64Array => (k === 1 ? c.values : c.values.map((v) => v * k));

export function constTensor(dims: number[], values: ArrayLike<number>): Const {
  return { dims, dataType: 1, values: Float64Array.from(values) };
}

/** y = v·k as a Kiln mul by a scalar param (nothing when k = 1). */
export function scaleBy(b: Builder, v: Value, k: number, name: string): Value {
  if (k === 1) return v;
  const s = b.emit('param', [], { shape: [] }, `${name}.scale`, { value: [k] });
  return b.emit('mul', [v, s], {}, name);
}

/**
 * Window padding as [begin per axis..., end per axis...]. SAME_UPPER / SAME_LOWER make the output
 * ceil(in / stride) long and put an odd extra pad at the end / the beginning; VALID pads nothing.
 */
export function windowPads(a: Attrs, spatial: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): number[] {
  const mode = a.str('auto_pad', 'NOTSET');
  const r = spatial.length;
  if (mode === 'NOTSET') {
    const pads = a.ints('pads') ?? new Array<number>(2 * r).fill(0);
    if (pads.length !== 2 * r || pads.some((p) => p < 0)) throw new Unsupported(`${a.node.opType} pads [${pads.join(', ')}] do not fit ${r} spatial axes`);
    return pads;
  }
  if (mode === 'VALID') return new Array<number>(2 * r).fill(0);
  if (mode !== 'SAME_UPPER' && mode !== 'SAME_LOWER') throw new Unsupported(`${a.node.opType} auto_pad ${mode} is not an ONNX mode`);
  const begins: number[] = [], ends: number[] = [];
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(spatial[i]! / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
    const small = Math.floor(total / 2);
    begins.push(mode === 'SAME_UPPER' ? small : total - small);
    ends.push(mode === 'SAME_UPPER' ? total - small : small);
  }
  return [...begins, ...ends];
}

/** Per-axis integers of a window op, defaulting to 1s, checked against the spatial rank. */
export function perAxis(a: Attrs, name: string, r: number): number[] {
  const v = a.ints(name) ?? new Array<number>(r).fill(1);
  if (v.length !== r) throw new Unsupported(`${a.node.opType} ${name} [${v.join(', ')}] does not fit ${r} spatial axes`);
  return v;
}

/**
 * Lift a 1-D window op onto Kiln's 2-D one: [N, C, L] becomes [N, C, 1, L], the window gets a unit
 * height, and per-axis attributes gain a leading 1 (pads a leading 0 before and after).
 */
export function lift(spatialRank: number, kernel: number[], strides: number[], dilations: number[], pads: number[]):
  { kernel: number[]; stride: number[]; dilation: number[]; pad: number[] } {
  if (spatialRank === 2) return { kernel, stride: strides, dilation: dilations, pad: pads };
  return { kernel: [1, kernel[0]!], stride: [1, strides[0]!], dilation: [1, dilations[0]!], pad: [0, pads[0]!, 0, pads[1]!] };
}

export function windowRank(op: string, v: Value): number {
  const r = v.type.shape.length - 2;
  if (r !== 1 && r !== 2) {
    throw new Unsupported(r === 3 ? `${op} over 3 spatial axes: Kiln's window ops are 2-D (1-D runs as 2-D with height 1)` : `${op} of a ${v.type.shape.length}-D input`);
  }
  return r;
}

/** Kiln's i8 precision for int8/uint8 scales (uint8 zero points shifted into int8). */
export function i8Precision(q: QuantNote, granularity: Precision['granularity']): Precision {
  const shift = q.dataType === 2 ? 128 : 0;
  return { dtype: 'i8', granularity, scale: [...q.scale], zero_point: [...q.zeroPoint].map((z) => z - shift) };
}

/** A layer's `weights` precision when its weight came from a DequantizeLinear along `outAxis` (or per tensor). */
export function weightPrecision(b: Builder, name: string, outAxis: number): { weights?: Precision } {
  const q = b.quant.get(name);
  if (!q || q.from !== undefined || (q.dataType !== 2 && q.dataType !== 3)) return {};
  if (q.axis !== undefined && q.axis !== outAxis) return {};
  return { weights: i8Precision(q, q.axis === undefined ? 'per_tensor' : 'per_channel') };
}


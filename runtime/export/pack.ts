/**
 * A weight tensor in its deployable form: integer codes at the layer's precision, packed into
 * bytes, and the scales that turn them back into the values the quantized run multiplies by.
 *   binary   1 bit a weight (1 = +1, 0 = −1), eight to a byte, least significant bit first
 *   ternary  2 bits a weight (00 = 0, 01 = +1, 10 = −1; 11 is invalid), four to a byte
 *   i8       one byte (two's complement) and one f32 scale per tensor or output channel
 *   i16      two bytes little-endian and one power-of-two scale 2^e per tensor or channel
 * The codes are derived from exactly what fake quantization computes (runtime/autodiff/precision.ts),
 * so unpacking gives back, bit for bit, the weights the quantized run uses.
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import { fakeQuantize } from '../autodiff/precision.ts';
import { aroundAxis } from '../kernels/check.ts';
import { chooseExponent } from '../kernels/fixed-point.ts';
import { quantizeInt8 } from '../kernels/quant-int8.ts';
import { ternarize } from '../kernels/ternary.ts';
import type { Tensor } from '../tensor.ts';

export const PACKED_DTYPES = ['binary', 'ternary', 'i8', 'i16'] as const;
export type PackedDType = (typeof PACKED_DTYPES)[number];
export const isPacked = (d: string): d is PackedDType => (PACKED_DTYPES as readonly string[]).includes(d);

const BITS: Record<PackedDType, number> = { binary: 1, ternary: 2, i8: 8, i16: 16 };

export const packedBytes = (dtype: PackedDType, n: number): number => Math.ceil((n * BITS[dtype]) / 8);

export interface Packed {
  dtype: PackedDType;
  bytes: Uint8Array;
  /** One per tensor or per output channel (axis 0); none for binary (its weights are ±1). */
  scale?: Float32Array;
}

/** Per-tensor, or per slice along axis 0 when there is one scale per output channel. */
function groups(shape: readonly number[], scales: number): { outer: number; len: number; inner: number } {
  return scales <= 1 || shape.length < 2 ? { outer: 1, len: 1, inner: shape.reduce((a, b) => a * b, 1) } : aroundAxis(shape, 0);
}

/** The i16 steps 2^e fake quantization uses for `w`: given, or from max|w| per group. */
function dfpSteps(w: Tensor, perChannel: boolean): Float32Array {
  const { outer, len, inner } = groups(w.shape, perChannel ? 2 : 1);
  const steps = new Float32Array(len);
  for (let c = 0; c < len; c++) {
    let m = 0;
    for (let o = 0; o < outer; o++) for (let i = (o * len + c) * inner; i < (o * len + c + 1) * inner; i++) m = Math.max(m, Math.abs(w.data[i]!));
    steps[c] = 2 ** chooseExponent(m);
  }
  return steps;
}

/** Codes and scales of `w` at precision `p`; `scale` is the layer's static scale when it has one. */
export function packWeight(w: Tensor, p: Precision, scale?: Float32Array): Packed {
  const dtype = p.dtype;
  if (!isPacked(dtype)) throw new Error(`packWeight: ${dtype} is not a packed precision`);
  const perChannel = p.granularity === 'per_channel' && w.shape.length >= 2;
  const n = w.data.length;
  const bytes = new Uint8Array(packedBytes(dtype, n));
  if (dtype === 'binary') {
    const y = fakeQuantize(w, p, 'weight')!.y.data;
    for (let i = 0; i < n; i++) if (y[i]! > 0) bytes[i >> 3]! |= 1 << (i & 7);
    return { dtype, bytes };
  }
  if (dtype === 'ternary') {
    // Latent weights ternarize at TWN's threshold, as training does; stored α·t ones at α/2.
    const twn = scale ? undefined : ternarize(w, { axis: perChannel ? 0 : undefined });
    const t = twn ? twn.values : fakeQuantize(w, p, 'weight', scale)!.y.data;
    const alpha = twn ? twn.scale : scale!;
    for (let i = 0; i < n; i++) if (t[i] !== 0) bytes[i >> 2]! |= (t[i]! > 0 ? 1 : 2) << ((i & 3) * 2);
    return { dtype, bytes, scale: Float32Array.from(alpha) };
  }
  if (dtype === 'i8') {
    const q = quantizeInt8(w, { axis: perChannel && scale?.length !== 1 ? 0 : undefined, scale, narrowRange: true });
    bytes.set(new Uint8Array(q.values.buffer, q.values.byteOffset, n));
    return { dtype, bytes, scale: Float32Array.from(q.scale) };
  }
  const steps = scale ?? dfpSteps(w, perChannel);
  const y = fakeQuantize(w, p, 'weight', steps)!.y;
  const { outer, len, inner } = groups(w.shape, steps.length);
  const view = new DataView(bytes.buffer);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < len; c++) {
      for (let i = (o * len + c) * inner; i < (o * len + c + 1) * inner; i++) view.setInt16(2 * i, Math.round(y.data[i]! / steps[c]!), true);
    }
  }
  return { dtype, bytes, scale: Float32Array.from(steps) };
}

/**
 * The weights a packed tensor holds, as f32 values; `bad(index, why)` reports an invalid code
 * (a ternary 11). The caller has checked the byte count against the shape.
 */
export function unpackWeight(pk: Packed, shape: readonly number[], bad: (why: string) => Error): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const b = pk.bytes;
  if (pk.dtype === 'binary') {
    for (let i = 0; i < n; i++) out[i] = (b[i >> 3]! >> (i & 7)) & 1 ? 1 : -1;
    return out;
  }
  const scale = pk.scale!;
  const { outer, len, inner } = groups(shape, scale.length);
  if (scale.length !== len) throw bad(`has ${scale.length} scales; its shape [${shape.join(', ')}] takes 1 or ${shape[0]}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const code = (i: number): number => {
    if (pk.dtype === 'i8') return view.getInt8(i);
    if (pk.dtype === 'i16') return view.getInt16(2 * i, true);
    const t = (b[i >> 2]! >> ((i & 3) * 2)) & 3;
    if (t === 3) throw bad(`holds the invalid ternary code 11 at index ${i}`);
    return t === 1 ? 1 : t === 2 ? -1 : 0;
  };
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < len; c++) {
      const s = scale[c]!;
      for (let i = (o * len + c) * inner; i < (o * len + c + 1) * inner; i++) out[i] = code(i) * s;
    }
  }
  return out;
}

/**
 * A ternary layer (Ternary Weight Networks, Li, Zhang & Liu 2016): w ≈ α·t, t ∈ {−1, 0, +1},
 * thresholded and scaled exactly as training's fake quantization does (kernels/ternary.ts), one α
 * per tensor or per output channel. Each weight is stored as a 2-bit code — a mask bit (t ≠ 0) and
 * a sign bit (t < 0), each plane packed 32 to a Uint32 word. The layer's input is real (TWN
 * quantizes weights only), so the product is Kiln's fp32 GEMM on the weights α·t, the same product
 * the interpreter computes for the layer: adds and subtracts gathered by index in JS ran at about
 * a tenth of the SIMD GEMM's speed.
 */
import type { Tensor } from '../../tensor.ts';
import { dense } from '../../kernels/dense.ts';
import { dequantizeTernary, ternarize } from '../../kernels/ternary.ts';
import type { IntegerLayer } from './types.ts';

export interface TernaryCodes { rows: number; cols: number; wordsPerRow: number; mask: Uint32Array; sign: Uint32Array }

export function packTernary(values: Int8Array, rows: number, cols: number): TernaryCodes {
  const wordsPerRow = Math.ceil(cols / 32);
  const mask = new Uint32Array(rows * wordsPerRow), sign = new Uint32Array(rows * wordsPerRow);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const t = values[r * cols + j]!, w = r * wordsPerRow + (j >> 5), bit = 1 << (j & 31);
      if (t !== 0) mask[w] = (mask[w]! | bit) >>> 0;
      if (t < 0) sign[w] = (sign[w]! | bit) >>> 0;
    }
  }
  return { rows, cols, wordsPerRow, mask, sign };
}

/** The code of entry (r, j): 0, +1 or −1. */
export function ternaryCode(c: TernaryCodes, r: number, j: number): number {
  const w = r * c.wordsPerRow + (j >> 5), s = j & 31;
  return (c.mask[w]! >>> s) & 1 ? ((c.sign[w]! >>> s) & 1 ? -1 : 1) : 0;
}

export function lowerTernary(weight: Tensor, bias: Tensor | undefined, perChannel: boolean): IntegerLayer & { codes: TernaryCodes; scale: Float32Array } {
  const n = weight.shape[0]!, k = weight.data.length / n;
  const t = ternarize(weight, { axis: perChannel ? 0 : undefined });
  const codes = packTernary(t.values, n, k);
  const real = { shape: [n, k], data: dequantizeTernary(t).data };
  return {
    precision: 'ternary', codes, scale: t.scale,
    why: `ternary ${n}×${k}, 2-bit codes, ${perChannel ? 'α per channel' : 'one α'}: fp32 GEMM on α·t (real input)`,
    weightBytes: codes.mask.byteLength + codes.sign.byteLength + 4 * t.scale.length + (bias ? 4 * n : 0),
    gemm(m, A, counts) {
      counts.macs += m * n * k;
      return dense({ shape: [m, k], data: A }, real, bias).data;
    },
  };
}

/**
 * Binary layers (BinaryNet, Courbariaux, Hubara et al. 2016; XNOR-Net, Rastegari et al. 2016).
 * Weights are sign(w) (+1 for w ≥ 0, as training binarizes them), bit-packed 32 to a Uint32 word.
 * When the layer's input is itself ±1 (it comes from `sign`), the input rows are packed too and
 * the products are XNOR-popcounts, Σ a·b = k − 2·popcount(a XOR b) (kernels/binary.ts). A real
 * input (the first layer sees pixels) meets the ±1 weights in Kiln's fp32 GEMM, the product the
 * interpreter computes for the same layer: signed sums gathered in JS ran at a tenth of the SIMD
 * GEMM's speed, and on pixels no integer form is exact. A binary layer followed by batchnorm →
 * sign folds both into one integer threshold per channel, so the hidden layers never leave
 * integers (binaryThresholds).
 */
import type { Tensor } from '../../tensor.ts';
import { packSignBits, xnorGemmSigns, type PackedBits } from '../../kernels/binary.ts';
import { dense } from '../../kernels/dense.ts';
import type { IntegerLayer, LayerCounts } from './types.ts';

export interface BinaryLayer extends IntegerLayer {
  /** Packed sign bits of the weights, one row per output channel. */
  packed: PackedBits;
  /** The integer sums Σ a·w (XNOR path) without the bias. */
  accumulate(m: number, A: Float32Array, counts: LayerCounts): Int32Array;
  xnor: boolean;
}

export function lowerBinary(weight: Tensor, bias: Tensor | undefined, inputIsSign: boolean): BinaryLayer {
  const n = weight.shape[0]!, k = weight.data.length / n;
  const packed = packSignBits(weight.data, n, k);
  // As training binarizes them: w ≥ 0 → +1.
  const signs = inputIsSign ? undefined : { shape: [n, k], data: Float32Array.from(weight.data, (w) => (w >= 0 ? 1 : -1)) };
  const accumulate = (m: number, A: Float32Array, counts: LayerCounts): Int32Array => {
    counts.macs += m * n * k;
    return xnorGemmSigns(A, m, k, packed);
  };
  return {
    precision: 'binary', packed, accumulate, xnor: inputIsSign,
    why: inputIsSign ? `xnor-popcount ${n}×${k} on packed ±1 inputs` : `fp32 GEMM ${n}×${k} (real input, ±1 weights)`,
    weightBytes: packed.bits.byteLength + (bias ? 4 * n : 0),
    gemm(m, A, counts) {
      if (signs) {
        counts.macs += m * n * k;
        return dense({ shape: [m, k], data: A }, signs, bias).data;
      }
      const acc = accumulate(m, A, counts);
      const y = new Float32Array(m * n);
      for (let i = 0; i < y.length; i++) y[i] = acc[i]! + (bias ? bias.data[i % n]! : 0);
      return y;
    },
  };
}

/**
 * batchnorm (inference: running statistics) then sign, on acc + bias, as one comparison per
 * channel: γ·(acc + b − μ)/σ + β ≥ 0 ⇔ acc ≥ ⌈μ − b − β·σ/γ⌉ for γ > 0, acc ≤ ⌊…⌋ for γ < 0, and
 * the sign of β alone for γ = 0 (σ = √(var + eps) > 0). sign(0) = +1, as the interpreter's.
 */
export interface Thresholds { tau: Float64Array; dir: Int8Array }

export function binaryThresholds(bn: { gamma: Tensor; beta: Tensor; mean: Tensor; variance: Tensor; eps: number }, bias: Tensor | undefined): Thresholds {
  const c = bn.gamma.data.length;
  const tau = new Float64Array(c), dir = new Int8Array(c);
  for (let ch = 0; ch < c; ch++) {
    const g = bn.gamma.data[ch]!, b = bn.beta.data[ch]!;
    const sigma = Math.sqrt(bn.variance.data[ch]! + bn.eps);
    const t = bn.mean.data[ch]! - (bias ? bias.data[ch]! : 0) - (b * sigma) / g;
    if (g > 0) { dir[ch] = 1; tau[ch] = Math.ceil(t); }
    else if (g < 0) { dir[ch] = -1; tau[ch] = Math.floor(t); }
    else { dir[ch] = 0; tau[ch] = b >= 0 ? 1 : -1; }
  }
  return { tau, dir };
}

/** ±1 outputs of the folded batchnorm → sign over integer sums acc [rows × c] (channels last). */
export function applyThresholds(acc: ArrayLike<number>, th: Thresholds): Float32Array {
  const c = th.tau.length;
  const y = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const ch = i % c, d = th.dir[ch]!, t = th.tau[ch]!;
    y[i] = d === 0 ? t : (d > 0 ? acc[i]! >= t : acc[i]! <= t) ? 1 : -1;
  }
  return y;
}

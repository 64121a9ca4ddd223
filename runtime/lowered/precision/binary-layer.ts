/**
 * Binary layers (BinaryNet, Courbariaux, Hubara et al. 2016; XNOR-Net, Rastegari et al. 2016).
 * Weights are sign(w) (+1 for w ≥ 0, as training binarizes them), bit-packed 32 to a Uint32 word.
 * When the layer's input is itself ±1 (it comes from `sign`), the input rows are packed too and
 * the products are XNOR-popcounts, Σ a·b = k − 2·popcount(a XOR b) (kernels/binary.ts). A real
 * input whose values were shown to be q/d for whole q of a few bits (pixels: `levels`, found by
 * kiln run on its data) is summed exactly in integers, by the faster of two exact paths
 * (firstLayerPath): the fp32 GEMM on the integers q (kernels/grid-gemm.ts) while no sum can pass
 * 2^24, or bit-planes, each an AND-popcount (kernels/bitplane.ts, the BNN paper's first layer),
 * when there are few planes or the sums could pass 2^24. A batch whose values are not on the grid,
 * or a real input with no such levels, meets the ±1 weights in Kiln's fp32 GEMM, the product the
 * interpreter computes for the same layer (signed sums gathered in JS ran at a tenth of its speed).
 * A batch norm after a binary layer that ends in a compare (a sign after it, or its own binary
 * activations, with or without a relu: lower.ts) folds into one integer threshold per channel, so
 * the hidden layers never leave integers (binaryThresholds).
 */
import type { Tensor } from '../../tensor.ts';
import { packSignBits, xnorGemmSigns, type PackedBits } from '../../kernels/binary.ts';
import { bitPlaneGemm, type InputLevels, packBitPlanes } from '../../kernels/bitplane.ts';
import { fitsFp32Exactly, gridGemm, gridIntegers } from '../../kernels/grid-gemm.ts';
import { dense } from '../../kernels/dense.ts';
import type { IntegerLayer, LayerCounts } from './types.ts';

export interface BinaryLayer extends IntegerLayer {
  /** Packed sign bits of the weights, one row per output channel. */
  packed: PackedBits;
  /**
   * The integer sums Σ a·w without the bias: XNOR-popcounts, or bit-plane sums in units of
   * 1/denominator (a batch off the input's grid gives its fp32 sums in those units instead).
   */
  accumulate(m: number, A: Float32Array, counts: LayerCounts): ArrayLike<number>;
  xnor: boolean;
  /** The input's integer form when the layer sums it exactly (by bit-planes or the integer fp32 GEMM). */
  levels?: InputLevels;
  /** How a grid input is summed, when it is. */
  path?: GridPath;
}

export type GridPath = 'bit-planes' | 'integer fp32 GEMM';

/**
 * Up to this many planes the bit-planes beat the integer fp32 GEMM, packing included
 * (bench/first-layer.ts on binary_mlp's first layer, 100 digits × 784 → 1024, three runs under
 * load: 4 planes 1.02–1.76×, 5 and 6 planes 1.2–1.4× in one run, 8 planes 0.58–0.94×, 10 planes
 * 0.47–0.89×; docs/kernels.md).
 */
const FASTER_PLANES = 4;

/** The faster exact path for k inputs on the grid `lv`: few planes, or sums fp32 could round, take the bit-planes. */
export function firstLayerPath(k: number, lv: InputLevels): GridPath {
  return lv.bits <= FASTER_PLANES || !fitsFp32Exactly(k, lv) ? 'bit-planes' : 'integer fp32 GEMM';
}

export function lowerBinary(weight: Tensor, bias: Tensor | undefined, inputIsSign: boolean, levels?: InputLevels): BinaryLayer {
  const n = weight.shape[0]!, k = weight.data.length / n;
  const packed = packSignBits(weight.data, n, k);
  // Bit-plane sums are int32: an input grid that could overflow one takes the plain fp32 product.
  const planesOf = inputIsSign || (levels && k * (2 ** levels.bits - 1) >= 2 ** 31) ? undefined : levels;
  const path = planesOf && firstLayerPath(k, planesOf);
  // As training binarizes them: w ≥ 0 → +1. Made on first use: an XNOR or bit-plane layer needs
  // them only for a batch off its grid, and mapping millions of weights showed in the profile.
  let signs: Tensor | undefined;
  const signTensor = (): Tensor => {
    if (!signs) {
      const d = new Float32Array(n * k);
      for (let i = 0; i < d.length; i++) d[i] = weight.data[i]! >= 0 ? 1 : -1;
      signs = { shape: [n, k], data: d };
    }
    return signs;
  };
  const accumulate = (m: number, A: Float32Array, counts: LayerCounts): ArrayLike<number> => {
    if (!planesOf) {
      counts.macs += m * n * k;
      return xnorGemmSigns(A, m, k, packed);
    }
    if (path === 'bit-planes') {
      const planes = packBitPlanes(A, m, k, planesOf);
      if (planes) {
        counts.macs += m * n * k;
        return bitPlaneGemm(planes, packed);
      }
    } else {
      const q = gridIntegers(A, m * k, planesOf);
      if (q) {
        counts.macs += m * n * k;
        return gridGemm(q, m, k, signTensor(), planesOf);
      }
    }
    const y = floatGemm(m, A, counts, false);
    for (let i = 0; i < y.length; i++) y[i]! *= planesOf.denominator;
    return y;
  };
  // One division per output: s/d is the exact sum's nearest value, where the fp32 sum rounds at every step.
  const real = (acc: ArrayLike<number>, d: number): Float32Array => {
    const y = new Float32Array(acc.length);
    for (let i = 0; i < y.length; i++) y[i] = acc[i]! / d + (bias ? bias.data[i % n]! : 0);
    return y;
  };
  const floatGemm = (m: number, A: Float32Array, counts: LayerCounts, withBias = true): Float32Array => {
    counts.macs += m * n * k;
    return dense({ shape: [m, k], data: A }, signTensor(), withBias ? bias : undefined).data;
  };
  return {
    precision: 'binary', packed, accumulate, xnor: inputIsSign, levels: planesOf, path,
    why: inputIsSign ? `xnor-popcount ${n}×${k} on packed ±1 inputs`
      : planesOf ? `${path === 'bit-planes' ? `bit-planes ${n}×${k}: ${planesOf.bits} AND-popcounts` : `integer fp32 GEMM ${n}×${k}, exact as ${k}·(2^${planesOf.bits} − 1) < 2^24,`} on inputs q/${planesOf.denominator}, q < 2^${planesOf.bits} (fp32 GEMM for a batch that is not)`
        : `fp32 GEMM ${n}×${k} (real input, ±1 weights)`,
    weightBytes: packed.bits.byteLength + (bias ? 4 * n : 0),
    gemm(m, A, counts) {
      if (planesOf) return real(accumulate(m, A, counts), planesOf.denominator);
      if (!inputIsSign) return floatGemm(m, A, counts);
      return real(accumulate(m, A, counts), 1);
    },
  };
}

/**
 * batchnorm (inference: running statistics) then sign, on acc + bias, as one comparison per
 * channel: γ·(acc + b − μ)/σ + β ≥ 0 ⇔ acc ≥ ⌈μ − b − β·σ/γ⌉ for γ > 0, acc ≤ ⌊…⌋ for γ < 0, and
 * the sign of β alone for γ = 0 (σ = √(var + eps) > 0). sign(0) = +1, as the interpreter's. With
 * acc in units of 1/unit (bit-plane sums over a denominator) the bound is unit·(μ − b − β·σ/γ).
 */
export interface Thresholds { tau: Float64Array; dir: Int8Array }

export function binaryThresholds(bn: { gamma: Tensor; beta: Tensor; mean: Tensor; variance: Tensor; eps: number }, bias: Tensor | undefined, unit = 1): Thresholds {
  const c = bn.gamma.data.length;
  const tau = new Float64Array(c), dir = new Int8Array(c);
  for (let ch = 0; ch < c; ch++) {
    const g = bn.gamma.data[ch]!, b = bn.beta.data[ch]!;
    const sigma = Math.sqrt(bn.variance.data[ch]! + bn.eps);
    const t = unit * (bn.mean.data[ch]! - (bias ? bias.data[ch]! : 0) - (b * sigma) / g);
    if (g > 0) { dir[ch] = 1; tau[ch] = Math.ceil(t); }
    else if (g < 0) { dir[ch] = -1; tau[ch] = Math.floor(t); }
    else { dir[ch] = 0; tau[ch] = b >= 0 ? 1 : -1; }
  }
  return { tau, dir };
}

/**
 * The folded batchnorm → sign over integer sums acc [rows × c] (channels last): 1 where the
 * compare holds, else `low` (−1, or 0 for a relu after the sign).
 */
export function applyThresholds(acc: ArrayLike<number>, th: Thresholds, low: -1 | 0 = -1): Float32Array {
  const c = th.tau.length, tau = th.tau, dir = th.dir;
  const y = new Float32Array(acc.length);
  // Row by row: no modulo per value.
  for (let r = 0; r < acc.length; r += c) {
    for (let ch = 0; ch < c; ch++) {
      const d = dir[ch]!, t = tau[ch]!, v = acc[r + ch]!;
      y[r + ch] = (d === 0 ? t > 0 : d > 0 ? v >= t : v <= t) ? 1 : low;
    }
  }
  return y;
}

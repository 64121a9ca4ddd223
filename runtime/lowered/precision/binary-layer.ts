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
 * interpreter computes for the same layer (signed sums gathered in JS ran at a tenth of its speed);
 * a folded batch norm compares those real sums with its unrounded threshold.
 * A batch norm after a binary layer that ends in a compare (a sign after it, or its own binary
 * activations, with or without a relu: lower.ts) folds into one integer threshold per channel, so
 * the hidden layers never leave integers (binaryThresholds).
 */
import type { Tensor } from '../../tensor.ts';
import { packSignBits, xnorGemmSigns, xnorSignsThreshold, type PackedBits } from '../../kernels/binary.ts';
import { bitPlaneGemm, bitPlaneThreshold, type InputLevels, packBitPlanes, planeSumsFitInt32 } from '../../kernels/bitplane.ts';
import { fitsFp32Exactly, gridGemmOf } from '../../kernels/grid-gemm.ts';
import { dense } from '../../kernels/dense.ts';
import { INT32_MAX, INT32_MIN } from '../../kernels/quant-int8.ts';
import { outputIndices, StepBuffers, withStepBuffers } from '../../kernels/step-buffers.ts';
import { f32At, useWasmKernels, WASM_ELEMENTWISE_MIN } from '../../kernels/wasm/instance.ts';
import { Resident } from '../../kernels/wasm/resident.ts';
import { type CompareBand, ResidentBand, wasmThreshold } from '../../kernels/wasm/threshold.ts';
import { expect } from '../../kernels/check.ts';
import type { IntegerLayer, LayerCounts } from './types.ts';

export interface BinaryLayer extends IntegerLayer {
  /** Packed sign bits of the weights, one row per output channel. */
  packed: PackedBits;
  /**
   * The sums Σ a·w without the bias: XNOR-popcounts, or bit-plane sums in units of
   * 1/denominator; a batch off the input's grid gives its fp32 sums in those units instead, and
   * `whole` false says so.
   */
  accumulate(m: number, A: Float32Array, counts: LayerCounts): Sums;
  xnor: boolean;
  /**
   * accumulate's sums through a folded batch norm → sign (`th`, binaryThresholds): 1 where the
   * compare holds, else `low`, as applyThresholds gives. The WebAssembly kernels compare whole sums
   * where they lie (threshold.wat); KILN_KERNELS=js, small products and off-grid batches take
   * applyThresholds, the reference.
   */
  compare(m: number, A: Float32Array, counts: LayerCounts, th: Thresholds, low: -1 | 0): Float32Array;
  /** The input's integer form when the layer sums it exactly (by bit-planes or the integer fp32 GEMM). */
  levels?: InputLevels;
  /** How a grid input is summed, when it is. */
  path?: GridPath;
}

export type GridPath = 'bit-planes' | 'integer fp32 GEMM';

/** A binary layer's sums, and whether they are whole numbers (false: a batch off the input's grid, summed in fp32). */
export interface Sums { values: ArrayLike<number>; whole: boolean }

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
  const planesOf = inputIsSign || (levels && !planeSumsFitInt32(k, levels.bits)) ? undefined : levels;
  const path = planesOf && firstLayerPath(k, planesOf);
  // As training binarizes them: w ≥ 0 → +1. An XNOR or bit-plane layer needs them only for a
  // batch off its grid, and mapping millions of weights showed in the profile, so it makes them on
  // first use; the integer fp32 GEMM needs them every batch, so lowering makes them, outside the
  // timed inference.
  const signsInto = (d: Float32Array): void => {
    for (let i = 0; i < d.length; i++) d[i] = weight.data[i]! >= 0 ? 1 : -1;
  };
  let signs: Tensor | undefined;
  const signTensor = (): Tensor => {
    if (!signs) signsInto((signs = { shape: [n, k], data: new Float32Array(n * k) }).data);
    return signs;
  };
  // The integer fp32 GEMM reads them every batch: with the WebAssembly kernels they stay resident
  // in the kernels' memory, which the GEMM reads in place, rather than copied in per batch (3.2 MB
  // for binary_mlp's first layer, 3–15 % of its inference in two profiles), and made there, with
  // no JS copy unless a batch off the grid asks for one. A view is taken afresh per call: growing
  // the memory detaches views, not blocks.
  let residentSigns: Resident | undefined;
  const gridWeights = (): Tensor => {
    if (!useWasmKernels()) return signTensor();
    if (!residentSigns) signsInto(f32At((residentSigns = new Resident(4 * n * k)).at, n * k));
    return { shape: [n, k], data: f32At(residentSigns.at, n * k) };
  };
  if (path === 'integer fp32 GEMM') gridWeights();
  // The fold's band, resident beside the weights: fixed at lowering, so copied in once, not per batch.
  let band: ResidentBand | undefined;
  const residentBand = (th: Thresholds): ResidentBand => {
    // Built before the old one is freed: a band that cannot be placed leaves the layer's current one intact.
    if (band?.band !== th.band) { const next = new ResidentBand(th.band); band?.free(); band = next; }
    return band;
  };
  // The sums a compare reads once: lent from the layer's own pool, the previous call's arrays reused.
  let sumsPool = new StepBuffers();
  const accumulate = (m: number, A: Float32Array, counts: LayerCounts): Sums => {
    if (!planesOf) {
      counts.macs += m * n * k;
      return { values: xnorGemmSigns(A, m, k, packed, outputIndices(m * n)), whole: true };
    }
    if (path === 'bit-planes') {
      const planes = packBitPlanes(A, m, k, planesOf);
      if (planes) {
        counts.macs += m * n * k;
        return { values: bitPlaneGemm(planes, packed, outputIndices(m * n)), whole: true };
      }
    } else {
      const sums = gridGemmOf(A, m, k, gridWeights, planesOf);
      if (sums) {
        counts.macs += m * n * k;
        return { values: sums, whole: true };
      }
    }
    return offGrid(m, A, counts, planesOf);
  };
  // A batch off the input's grid: the fp32 GEMM, in units of 1/denominator like the exact sums.
  const offGrid = (m: number, A: Float32Array, counts: LayerCounts, lv: InputLevels): Sums => {
    const y = floatGemm(m, A, counts, false);
    for (let i = 0; i < y.length; i++) y[i]! *= lv.denominator;
    return { values: y, whole: false };
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
  const compare = (m: number, A: Float32Array, counts: LayerCounts, th: Thresholds, low: -1 | 0): Float32Array => {
    expect('binary compare', th.tau.length === n && th.band.lo.length === n && th.band.hi.length === n,
      `the folded thresholds hold ${th.tau.length} channels (band ${th.band.lo.length} / ${th.band.hi.length}), the layer has ${n} outputs`);
    // Where the kernels compare whole sums in their own memory, the sums never come back to JS.
    const inWasm = useWasmKernels();
    if (inputIsSign && inWasm) {
      const y = xnorSignsThreshold(A, m, k, packed, () => residentBand(th), low);
      if (y) { counts.macs += m * n * k; return y; }
    }
    const wasmCompare = inWasm && m * n >= WASM_ELEMENTWISE_MIN;
    if (planesOf && wasmCompare) {
      let y: Float32Array | undefined;
      if (path === 'bit-planes') {
        const planes = packBitPlanes(A, m, k, planesOf);
        y = planes && bitPlaneThreshold(planes, packed, residentBand(th), low);
      } else y = gridGemmOf(A, m, k, gridWeights, planesOf, { band: residentBand(th), low });
      if (y) { counts.macs += m * n * k; return y; }
      return applyThresholds(withStepBuffers(sumsPool, () => offGrid(m, A, counts, planesOf)).values, th, low, false);
    }
    const s = withStepBuffers(sumsPool, () => accumulate(m, A, counts));
    return s.whole && wasmCompare
      ? wasmThreshold(s.values as Int32Array | Float32Array, m, n, residentBand(th), low)
      : applyThresholds(s.values, th, low, s.whole);
  };
  return {
    precision: 'binary', packed, accumulate, compare, xnor: inputIsSign, levels: planesOf, path,
    why: inputIsSign ? `xnor-popcount ${n}×${k} on packed ±1 inputs`
      : planesOf ? `${path === 'bit-planes' ? `bit-planes ${n}×${k}: ${planesOf.bits} AND-popcounts` : `integer fp32 GEMM ${n}×${k}, exact as ${k}·(2^${planesOf.bits} − 1) < 2^24,`} on inputs q/${planesOf.denominator}, q < 2^${planesOf.bits} (fp32 GEMM for a batch that is not)`
        : `fp32 GEMM ${n}×${k} (real input, ±1 weights)`,
    weightBytes: packed.bits.byteLength + (bias ? 4 * n : 0),
    // Everything the layer made for its batches: lowering's resident weights, the band, the JS
    // ±1 matrix and the sums' pool; a later call makes again what it needs.
    dispose() {
      residentSigns?.free(); residentSigns = undefined;
      band?.free(); band = undefined;
      signs = undefined;
      sumsPool = new StepBuffers();
    },
    gemm(m, A, counts) {
      if (planesOf) return real(accumulate(m, A, counts).values, planesOf.denominator);
      if (!inputIsSign) return floatGemm(m, A, counts);
      return real(accumulate(m, A, counts).values, 1);
    },
  };
}

/**
 * batchnorm (inference: running statistics) then sign, on acc + bias, as one comparison per
 * channel: γ·(acc + b − μ)/σ + β ≥ 0 ⇔ acc ≥ t = μ − b − β·σ/γ for γ > 0, acc ≤ t for γ < 0, and
 * the sign of β alone for γ = 0 (σ = √(var + eps) > 0). sign(0) = +1, as the interpreter's. With
 * acc in units of 1/unit (bit-plane sums over a denominator) the bound is unit·t. Whole sums
 * compare with the whole bound `tau` (⌈t⌉ for γ > 0, ⌊t⌋ for γ < 0), the integer compare the
 * estimate prices; real sums (a batch off the input's grid) need t itself, as rounding it moves
 * the bound by up to one unit.
 */
export interface Thresholds {
  tau: Float64Array; t: Float64Array; dir: Int8Array;
  /** The whole sums each channel's compare holds for, as the WebAssembly kernels test it (compareBand). */
  band: CompareBand;
}

export function binaryThresholds(bn: { gamma: Tensor; beta: Tensor; mean: Tensor; variance: Tensor; eps: number }, bias: Tensor | undefined, unit = 1): Thresholds {
  const c = bn.gamma.data.length;
  const tau = new Float64Array(c), t = new Float64Array(c), dir = new Int8Array(c);
  for (let ch = 0; ch < c; ch++) {
    const g = bn.gamma.data[ch]!, b = bn.beta.data[ch]!;
    const sigma = Math.sqrt(bn.variance.data[ch]! + bn.eps);
    const bound = unit * (bn.mean.data[ch]! - (bias ? bias.data[ch]! : 0) - (b * sigma) / g);
    t[ch] = bound;
    if (g > 0) { dir[ch] = 1; tau[ch] = Math.ceil(bound); }
    else if (g < 0) { dir[ch] = -1; tau[ch] = Math.floor(bound); }
    else { dir[ch] = 0; tau[ch] = t[ch] = b >= 0 ? 1 : -1; }
  }
  return { tau, t, dir, band: compareBand(tau, dir) };
}


/**
 * Each channel's compare on whole int32 sums as one band lo ≤ sum ≤ hi: sum ≥ τ is [τ, max],
 * sum ≤ τ is [min, τ], γ = 0 every sum or none. A bound past int32 holds for every sum or for
 * none, and a NaN bound (a NaN running statistic) for none, as its JS compares; "none" is the
 * empty band [max, min].
 */
export function compareBand(tau: Float64Array, dir: Int8Array): CompareBand {
  const c = tau.length, lo = new Int32Array(c), hi = new Int32Array(c);
  for (let ch = 0; ch < c; ch++) {
    const d = dir[ch]!, t = tau[ch]!;
    let l = INT32_MIN, h = INT32_MAX;
    if (d > 0) l = t;
    else if (d < 0) h = t;
    else if (!(t > 0)) l = Infinity;
    const none = Number.isNaN(t) || l > INT32_MAX || h < INT32_MIN;
    lo[ch] = none ? INT32_MAX : Math.max(l, INT32_MIN);
    hi[ch] = none ? INT32_MIN : Math.min(h, INT32_MAX);
  }
  return { lo, hi };
}

/**
 * The folded batchnorm → sign over sums acc [rows × c] (channels last): 1 where the compare
 * holds, else `low` (−1, or 0 for a relu after the sign). `whole`: the sums are whole numbers.
 */
export function applyThresholds(acc: ArrayLike<number>, th: Thresholds, low: -1 | 0 = -1, whole = true): Float32Array {
  const c = th.tau.length, tau = whole ? th.tau : th.t, dir = th.dir;
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

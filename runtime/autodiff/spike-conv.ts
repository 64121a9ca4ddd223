/**
 * Event-driven conv2d for spike inputs (the output of a lif, or of a max pool or flatten of one).
 * Spikes are 0 or 1 and mostly 0, so the product is computed over the active inputs only, with no
 * multiplies. The convolution is the dense layer y = cols·Wᵀ on its im2col matrix cols
 * [n·oh·ow, cin·kh·kw]; that matrix is never written out: each output pixel's row is gathered
 * straight into a list of its active taps (conv-gather.ts's offset tables, branch-free). Then
 *   forward         y[pixel, o] = b[o] + Σ W[o, t] over the active taps t of the pixel
 *   weight gradient dW[o, t] = Σ dy[pixel, o] over the pixels whose tap t is active
 * each active·cout additions instead of pixels·cin·kh·kw·cout multiply-adds. The weights are read
 * transposed, [t][cout], so a tap's outputs are contiguous; eight sums stay in registers. Sums are
 * float64 as the GEMM's are, so results differ from the dense path only in summation order. Any
 * stride, pad and dilation; groups 1.
 *
 * The lists and the transposed weights live in one `SpikeConvScratch` per layer and run (forward)
 * or sweep (backward), reused by every time step: a step allocates its results, dy's pixel-major
 * copy and the offset tables (a padded copy of x when the layer pads), not the lists.
 */
import type { Node } from '../../compiler/ir/module.ts';
import { type Tensor, zeros } from '../tensor.ts';
import { type Conv2dOptions, type ConvGeometry, convGeometry } from '../kernels/conv-common.ts';
import { padInput, pixelOffsets, tapOffsets } from '../kernels/conv-gather.ts';
import { addChannelBias } from '../kernels/conv2d.ts';
import { densityBelow } from './sparse-dense.ts';

/** Outputs per register block. */
const OB = 8;

/**
 * Above this fraction of active inputs the WebAssembly SIMD GEMM wins. Against the scalar GEMM
 * the lists paid up to 35 %; against the SIMD one, on spiking_cnn's second layer with time folded
 * into the batch (160 × 12×12×12 → 32×8×8), the forward lists take 32 ms to the GEMM's 49 at 2 %
 * active, are even at 5 % and lose from 10 % (docs/benchmarks.md, spiking section).
 */
export const SPIKE_CONV_DENSITY = 0.03;

/** A layer's buffers for one run: active-tap lists and its weights transposed. */
export class SpikeConvScratch {
  start = new Int32Array(1);
  taps = new Int32Array(0);
  /** W as [kdim][cout]. */
  wt = new Float64Array(0);
  /** The same lists grouped by tap: rows of tap t are rows[byTap[t] .. byTap[t + 1]). */
  byTap = new Int32Array(1);
  rows = new Int32Array(0);
  private wOf: Float32Array | undefined;

  /**
   * For every im2col row (b·oh·ow + pixel), the taps (c·kh + ki)·kw + kj whose input is 1. False
   * when x holds a value other than 0 and 1 (then the caller takes the dense path).
   */
  gather(g: ConvGeometry, x: Float32Array): boolean {
    const p = padInput(g, x), xp = p.data;
    const tapOff = tapOffsets(g, p, 0), pix = pixelOffsets(g, p, 0, g.n);
    const rows = pix.length, kdim = g.kdim;
    if (this.start.length !== rows + 1) this.start = new Int32Array(rows + 1);
    if (this.taps.length < rows * kdim) this.taps = new Int32Array(rows * kdim);
    const start = this.start, taps = this.taps;
    let k = 0, odd = 0;
    for (let r = 0; r < rows; r++) {
      const base = pix[r]!;
      for (let q = 0; q < kdim; q++) {
        const v = xp[base + tapOff[q]!]!;
        taps[k] = q;
        // Unpredictable at spike densities: count without a branch.
        k += v !== 0 ? 1 : 0;
        odd |= v !== 0 && v !== 1 ? 1 : 0;
      }
      start[r + 1] = k;
    }
    return odd === 0;
  }

  /** Regroup the row lists by tap (a counting sort), for the weight gradient. */
  groupByTap(kdim: number): void {
    const rows = this.start.length - 1, nnz = this.start[rows]!;
    if (this.byTap.length !== kdim + 1) this.byTap = new Int32Array(kdim + 1);
    if (this.rows.length < nnz) this.rows = new Int32Array(nnz);
    const byTap = this.byTap.fill(0), out = this.rows, taps = this.taps, st = this.start;
    for (let k = 0; k < nnz; k++) byTap[taps[k]! + 1]!++;
    for (let t = 0; t < kdim; t++) byTap[t + 1]! += byTap[t]!;
    const fill = byTap.slice(0, kdim);
    for (let r = 0; r < rows; r++) for (let k = st[r]!, e = st[r + 1]!; k < e; k++) out[fill[taps[k]!]!++] = r;
  }

  /** W [cout, kdim] transposed, once per run (the weights do not change between time steps). */
  transposed(w: Float32Array, cout: number, kdim: number): Float64Array {
    if (this.wOf === w) return this.wt;
    if (this.wt.length !== w.length) this.wt = new Float64Array(w.length);
    for (let o = 0; o < cout; o++) for (let t = 0; t < kdim; t++) this.wt[t * cout + o] = w[o * kdim + t]!;
    this.wOf = w;
    return this.wt;
  }
}

/** A layer's scratch in its per-run (forward) or per-sweep (backward) memory. */
export function scratchIn(memory: Map<string, unknown>): SpikeConvScratch {
  let s = memory.get('spike-conv') as SpikeConvScratch | undefined;
  if (!s) memory.set('spike-conv', (s = new SpikeConvScratch()));
  return s;
}

/**
 * Whether a conv2d node takes the event-driven path: one group, input x a spike tensor sparse
 * enough. The count stops at the limit: spiking_cnn's spikes (19–42 % ones) settle it within the
 * first tenth of the tensor, where counting them all took 3 % of its training.
 */
export function spikeConvApplies(node: Node, spikeFed: ReadonlySet<string>, x: Tensor): boolean {
  return spikeFed.has(node.id) && ((node.attrs.groups as number | undefined) ?? 1) === 1 && densityBelow(x.data, SPIKE_CONV_DENSITY);
}

/** y = conv2d(x, w) + b for 0/1 x, or undefined when x is not 0/1 (scratch.gather). */
export function spikeConv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, opts: Conv2dOptions, scratch: SpikeConvScratch): Tensor | undefined {
  const g = convGeometry('conv2d', x.shape, w.shape, opts);
  if (!scratch.gather(g, x.data)) return undefined;
  const { n, cout, oh, ow, kdim } = g;
  const hw = oh * ow;
  const wt = scratch.transposed(w.data, cout, kdim);
  const st = scratch.start, taps = scratch.taps;
  const y = zeros([n, cout, oh, ow]);
  const yd = y.data;
  for (let o0 = 0; o0 < cout; o0 += OB) {
    const full = o0 + OB <= cout;
    for (let r = 0; r < n * hw; r++) {
      const b = (r / hw) | 0, p = r - b * hw;
      const out = (b * cout + o0) * hw + p;
      if (full) {
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (let k = st[r]!, e = st[r + 1]!; k < e; k++) {
          const q = taps[k]! * cout + o0;
          a0 += wt[q]!; a1 += wt[q + 1]!; a2 += wt[q + 2]!; a3 += wt[q + 3]!;
          a4 += wt[q + 4]!; a5 += wt[q + 5]!; a6 += wt[q + 6]!; a7 += wt[q + 7]!;
        }
        yd[out] = a0; yd[out + hw] = a1; yd[out + 2 * hw] = a2; yd[out + 3 * hw] = a3;
        yd[out + 4 * hw] = a4; yd[out + 5 * hw] = a5; yd[out + 6 * hw] = a6; yd[out + 7 * hw] = a7;
      } else {
        for (let o = o0; o < cout; o++) {
          let a = 0;
          for (let k = st[r]!, e = st[r + 1]!; k < e; k++) a += wt[taps[k]! * cout + o]!;
          yd[out + (o - o0) * hw] = a;
        }
      }
    }
  }
  if (bias) addChannelBias(yd, bias.data, n, cout, hw);
  return y;
}

/** dW of spikeConv2d's product for output gradient dy [n, cout, oh, ow]; undefined when x is not 0/1. */
export function spikeConv2dWeightGrad(x: Tensor, wShape: readonly number[], dy: Tensor, opts: Conv2dOptions, scratch: SpikeConvScratch): Tensor | undefined {
  const g = convGeometry('conv2d backward', x.shape, wShape, opts);
  if (!scratch.gather(g, x.data)) return undefined;
  const { n, cout, oh, ow, kdim } = g;
  const hw = oh * ow;
  scratch.groupByTap(kdim);
  const byTap = scratch.byTap, rowsOf = scratch.rows;
  // dy pixel-major [n·oh·ow][cout], so a row's outputs are contiguous.
  const dyp = new Float64Array(n * hw * cout);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cout; o++) {
      const src = (b * cout + o) * hw;
      for (let p = 0; p < hw; p++) dyp[(b * hw + p) * cout + o] = dy.data[src + p]!;
    }
  }
  const dw = zeros(wShape);
  const dd = dw.data;
  for (let t = 0; t < kdim; t++) {
    const s = byTap[t]!, e = byTap[t + 1]!;
    if (s === e) continue;
    for (let o0 = 0; o0 < cout; o0 += OB) {
      if (o0 + OB <= cout) {
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (let k = s; k < e; k++) {
          const q = rowsOf[k]! * cout + o0;
          a0 += dyp[q]!; a1 += dyp[q + 1]!; a2 += dyp[q + 2]!; a3 += dyp[q + 3]!;
          a4 += dyp[q + 4]!; a5 += dyp[q + 5]!; a6 += dyp[q + 6]!; a7 += dyp[q + 7]!;
        }
        const out = o0 * kdim + t;
        dd[out] = a0; dd[out + kdim] = a1; dd[out + 2 * kdim] = a2; dd[out + 3 * kdim] = a3;
        dd[out + 4 * kdim] = a4; dd[out + 5 * kdim] = a5; dd[out + 6 * kdim] = a6; dd[out + 7 * kdim] = a7;
      } else {
        for (let o = o0; o < cout; o++) {
          let a = 0;
          for (let k = s; k < e; k++) a += dyp[rowsOf[k]! * cout + o]!;
          dd[o * kdim + t] = a;
        }
      }
    }
  }
  return dw;
}

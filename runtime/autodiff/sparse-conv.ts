/**
 * A stride-1 convolution whose input is mostly zeros — MNIST pixels (about 80 % background) under
 * LeNet-5's first layer, spikes under a spiking network's — scattered from its nonzero inputs
 * instead of gathered into every output: each nonzero x[c, iy, ix] adds x·W[·, c, ki, kj] into
 * the outputs (iy + pt − ki, ix + pl − kj) it reaches, and the weight gradient is the same walk
 * with dy in place of y. That costs nnz·cout·kh·kw multiply-adds instead of pixels·cout·cin·kh·kw.
 *
 * Outputs are kept pixel-major, [pixel][cout], and the weights as [cin][kh][kw reversed][cout], so
 * that for one input and one kernel row the kw taps × cout channels it touches are one contiguous
 * run in both: the inner loop is a plain axpy of up to kw·cout values. Sums are float64, as the
 * GEMM's are, so results differ from the dense path only in summation order.
 */
import type { Node } from '../../compiler/ir/module.ts';
import { type Tensor, zeros } from '../tensor.ts';
import { type Conv2dOptions, type ConvGeometry, convGeometry } from '../kernels/conv-common.ts';
import { density } from './sparse-dense.ts';

/**
 * Below this fraction of nonzeros the scatter beats the WebAssembly SIMD GEMM. On spiking_cnn's
 * first layer (32 × 1×28×28 → 12×24×24, CPU ms, load ≈ 25) the scatter takes 3.1 / 3.0 (forward /
 * weight gradient) against the GEMM's 3.8 / 3.4 at 10 % nonzeros, but 6.0 / 6.1 against 3.8 / 3.5
 * on MNIST digits (19 % nonzero); against the scalar GEMM it paid up to 25 %.
 */
export const SPARSE_CONV_DENSITY = 0.12;

/** Whether training's conv2d should scatter from the nonzeros of x. */
export function scatterPays(node: Node, x: Tensor): boolean {
  const a = node.attrs;
  const ones = (v: unknown) => (v as number[]).every((d) => d === 1);
  return (a.groups as number | undefined ?? 1) === 1 && ones(a.stride) && ones(a.dilation) && density(x.data) < SPARSE_CONV_DENSITY;
}

/**
 * The walk both passes share, for image b: for every nonzero x[c, iy, ix] and kernel row ki it
 * touches the pixel-major run pixels[base + lo .. base + hi) and the tap run taps[wOff + lo ..
 * wOff + hi). The forward pass adds x·taps into pixels (the outputs); the weight gradient, with
 * `toWeights`, adds x·pixels (dy) into taps (dW).
 */
function walk(g: ConvGeometry, xd: Float32Array, b: number, pixels: Float64Array, taps: Float64Array, toWeights: boolean): void {
  const { cin, h, kh, kw, oh, ow, pt, pl, cout } = g;
  const W = g.w;
  for (let c = 0; c < cin; c++) {
    const plane = (b * cin + c) * h * W;
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < W; ix++) {
        const v = xd[plane + iy * W + ix]!;
        if (v === 0) continue;
        // Reversed tap t = kw − 1 − kj reaches ox = ix + pl − (kw − 1) + t; keep 0 ≤ ox < ow.
        const ox0 = ix + pl - (kw - 1);
        const lo = Math.max(0, -ox0) * cout, hi = Math.min(kw, ow - ox0) * cout;
        if (lo >= hi) continue;
        for (let ki = 0; ki < kh; ki++) {
          const oy = iy + pt - ki;
          if (oy < 0 || oy >= oh) continue;
          const base = (oy * ow + ox0) * cout, wOff = (c * kh + ki) * kw * cout;
          if (toWeights) axpy(taps, wOff, pixels, base, v, lo, hi);
          else axpy(pixels, base, taps, wOff, v, lo, hi);
        }
      }
    }
  }
}

/** y[yo + j] += v·x[xo + j] for j in [lo, hi). */
function axpy(y: Float64Array, yo: number, x: Float64Array, xo: number, v: number, lo: number, hi: number): void {
  const d = (xo - yo) | 0;
  for (let j = (yo + lo) | 0, e = (yo + hi) | 0; j < e; j = (j + 1) | 0) y[j] = y[j]! + v * x[(j + d) | 0]!;
}

/** W [cout, cin, kh, kw] as [cin][kh][kw reversed][cout]. */
function reversedTaps(g: ConvGeometry, w: Float32Array): Float64Array {
  const { cin, kh, kw, cout } = g;
  const t = new Float64Array(cin * kh * kw * cout);
  for (let o = 0; o < cout; o++) {
    for (let q = 0; q < cin * kh * kw; q++) {
      const kj = q % kw, row = (q - kj) / kw;
      t[(row * kw + kw - 1 - kj) * cout + o] = w[o * cin * kh * kw + q]!;
    }
  }
  return t;
}

/** y = conv2d(x, w) + b, stride 1, dilation 1, groups 1, from the nonzeros of x. */
export function sparseConv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, opts: Conv2dOptions): Tensor {
  const g = convGeometry('conv2d', x.shape, w.shape, opts);
  const { n, cout, oh, ow } = g;
  const hw = oh * ow;
  const wt = reversedTaps(g, w.data);
  const acc = new Float64Array(hw * cout);
  const y = zeros([n, cout, oh, ow]);
  const yd = y.data;
  for (let b = 0; b < n; b++) {
    acc.fill(0);
    walk(g, x.data, b, acc, wt, false);
    for (let o = 0; o < cout; o++) {
      const bo = bias ? bias.data[o]! : 0, dst = (b * cout + o) * hw;
      for (let p = 0; p < hw; p++) yd[dst + p] = acc[p * cout + o]! + bo;
    }
  }
  return y;
}

/** dW of sparseConv2d's product for output gradient dy. */
export function sparseConv2dWeightGrad(x: Tensor, wShape: readonly number[], dy: Tensor, opts: Conv2dOptions): Tensor {
  const g = convGeometry('conv2d backward', x.shape, wShape, opts);
  const { n, cin, kh, kw, cout, oh, ow } = g;
  const hw = oh * ow;
  const dwt = new Float64Array(cin * kh * kw * cout);
  const dyt = new Float64Array(hw * cout);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cout; o++) {
      const src = (b * cout + o) * hw;
      for (let p = 0; p < hw; p++) dyt[p * cout + o] = dy.data[src + p]!;
    }
    walk(g, x.data, b, dyt, dwt, true);
  }
  const dw = zeros(wShape);
  for (let o = 0; o < cout; o++) {
    for (let q = 0; q < cin * kh * kw; q++) {
      const kj = q % kw, row = (q - kj) / kw;
      dw.data[o * cin * kh * kw + q] = dwt[(row * kw + kw - 1 - kj) * cout + o]!;
    }
  }
  return dw;
}

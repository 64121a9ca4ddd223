/**
 * The Legendre Memory Unit cell (Voelker, Kajić & Eliasmith, NeurIPS 2019) over a time-first
 * sequence x [T, B, I], and its backpropagation through time. Per step, with Ā, B̄ fixed
 * (lmu-matrices.ts) and one memory channel (keras-lmu's memory_d = 1):
 *   u_t = x_t·e_xᵀ [+ h_{t−1}·e_hᵀ] [+ m_{t−1}·e_mᵀ]          a scalar per sample
 *   m_t = Ā·m_{t−1} + B̄·u_t                                   [order]
 *   a_t = tanh(m_t·W_mᵀ [+ x_t·W_xᵀ] + h_{t−1}·W_hᵀ + bias)    [H]
 *   h_t = a_t, or the sigma-delta quantizer of a_t (sigma-delta.ts) when `sigmaDelta` is a step
 * The bracketed terms are the optional e_h, e_m and w_x; h_{t−1} is what the units transmitted, so a
 * sigma-delta LMU's recurrence runs on the quantized values. States start at zero. The input-side
 * products of every step are one GEMM before the recurrence, and the weight gradients one GEMM
 * each after it, as in rnn-common.ts.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { expect, expectShape } from './check.ts';
import { sgemm } from './gemm.ts';
import { lmuMatrices32 } from './lmu-matrices.ts';
import { previousStates } from './rnn-common.ts';
import { sigmaDeltaStep } from './sigma-delta.ts';

export interface LmuWeights {
  e_x: Tensor;
  e_h?: Tensor;
  e_m?: Tensor;
  w_m: Tensor;
  w_x?: Tensor;
  w_h: Tensor;
  bias: Tensor;
}

export interface LmuOptions {
  order: number;
  theta: number;
  /** Quantizer step of sigma-delta hidden units; absent: plain tanh units. */
  sigmaDelta?: number;
  /** Blend from non-spiking (0) to spiking (1) of the sigma-delta units (sigma-delta.ts). */
  spiking?: number;
}

interface Dims { t: number; b: number; i: number; h: number; d: number }

export interface LmuCache {
  dims: Dims;
  opts: LmuOptions;
  /** Memory m_t [T, B, order]. */
  m: Float32Array;
  /** tanh outputs a_t [T, B, H]. */
  a: Float32Array;
  /** Transmitted h_t [T, B, H] (= a without sigma-delta). */
  h: Float32Array;
  /** Sigma-delta units: the integers sent [T, B, H]. */
  counts?: Int32Array;
}

export interface LmuResult {
  y: Tensor;
  hT: Tensor;
  cache: LmuCache;
}

export type LmuGrads = { dx: Tensor } & { [K in keyof LmuWeights]?: Tensor };

function dims(x: Tensor, w: LmuWeights, o: LmuOptions): Dims {
  expect('lmu', x.shape.length === 3, `input must be [T, B, I] (time first), got [${x.shape.join(', ')}]`);
  const [t, b, i] = x.shape as [number, number, number];
  const h = w.w_h.shape[0]!, d = o.order;
  expectShape('lmu', 'e_x', w.e_x.shape, [1, i]);
  if (w.e_h) expectShape('lmu', 'e_h', w.e_h.shape, [1, h]);
  if (w.e_m) expectShape('lmu', 'e_m', w.e_m.shape, [1, d]);
  expectShape('lmu', 'w_m', w.w_m.shape, [h, d]);
  if (w.w_x) expectShape('lmu', 'w_x', w.w_x.shape, [h, i]);
  expectShape('lmu', 'w_h', w.w_h.shape, [h, h]);
  expectShape('lmu', 'bias', w.bias.shape, [h]);
  return { t, b, i, h, d };
}

const dot = (p: Float32Array, pOff: number, q: Float32Array, n: number): number => {
  let s = 0;
  for (let k = 0; k < n; k++) s += p[pOff + k]! * q[k]!;
  return s;
};

export function lmu(x: Tensor, w: LmuWeights, o: LmuOptions): LmuResult {
  const dm = dims(x, w, o);
  const { t: T, b: B, i: I, h: H, d: D } = dm;
  const mats = lmuMatrices32(D, o.theta);
  const rows = T * B;
  const ux = new Float32Array(rows);
  sgemm({ m: rows, n: 1, k: I, a: x.data, b: w.e_x.data, transB: true, c: ux });
  const pre = new Float32Array(rows * H);
  for (let r = 0; r < rows; r++) pre.set(w.bias.data, r * H);
  if (w.w_x) sgemm({ m: rows, n: H, k: I, a: x.data, b: w.w_x.data, transB: true, c: pre, beta: 1 });
  const m = new Float32Array(rows * D), a = new Float32Array(rows * H);
  const h = o.sigmaDelta !== undefined ? new Float32Array(rows * H) : a;
  const counts = o.sigmaDelta !== undefined ? new Int32Array(rows * H) : undefined;
  const err = new Float32Array(B * H);
  for (let t = 0; t < T; t++) {
    const mOff = t * B * D, hOff = t * B * H;
    for (let n = 0; n < B; n++) {
      let u = ux[t * B + n]!;
      if (t > 0 && w.e_h) u += dot(h, hOff - B * H + n * H, w.e_h.data, H);
      if (t > 0 && w.e_m) u += dot(m, mOff - B * D + n * D, w.e_m.data, D);
      for (let k = 0; k < D; k++) m[mOff + n * D + k] = mats.b[k]! * u;
    }
    if (t > 0) sgemm({ m: B, n: D, k: D, a: m, aOffset: mOff - B * D, b: mats.a, transB: true, c: m, cOffset: mOff, beta: 1 });
    sgemm({ m: B, n: H, k: D, a: m, aOffset: mOff, b: w.w_m.data, transB: true, c: pre, cOffset: hOff, beta: 1 });
    if (t > 0) sgemm({ m: B, n: H, k: H, a: h, aOffset: hOff - B * H, b: w.w_h.data, transB: true, c: pre, cOffset: hOff, beta: 1 });
    for (let j = hOff; j < hOff + B * H; j++) a[j] = Math.tanh(pre[j]!);
    if (counts) sigmaDeltaStep(a, hOff, err, B * H, o.sigmaDelta!, o.spiking ?? 1, h, counts, hOff);
  }
  const hT = zeros([B, H]);
  hT.data.set(h.subarray((T - 1) * B * H));
  return { y: { shape: [T, B, H], data: h }, hT, cache: { dims: dm, opts: o, m, a, h, counts } };
}

/** BPTT given dL/dY (all steps) and/or dL/dh_T; the quantizer passes gradients straight through. */
export function lmuBackward(x: Tensor, w: LmuWeights, cache: LmuCache, dy?: Tensor, dhT?: Tensor): LmuGrads {
  const { t: T, b: B, i: I, h: H, d: D } = cache.dims;
  if (dy) expectShape('lmu backward', 'output gradient', dy.shape, [T, B, H]);
  if (dhT) expectShape('lmu backward', 'final-state gradient', dhT.shape, [B, H]);
  const mats = lmuMatrices32(D, cache.opts.theta);
  const rows = T * B;
  const gpre = new Float32Array(rows * H), gu = new Float32Array(rows);
  // Allocated once: each step's products overwrite them (beta = 0).
  const carryH = dhT ? dhT.data.slice() : new Float32Array(B * H);
  const carryM = new Float32Array(B * D);
  const gm = new Float32Array(B * D);
  for (let t = T - 1; t >= 0; t--) {
    const hOff = t * B * H;
    for (let j = 0; j < B * H; j++) {
      const av = cache.a[hOff + j]!;
      gpre[hOff + j] = (carryH[j]! + (dy ? dy.data[hOff + j]! : 0)) * (1 - av * av);
    }
    gm.set(carryM);
    sgemm({ m: B, n: D, k: H, a: gpre, aOffset: hOff, b: w.w_m.data, c: gm, beta: 1 });
    for (let n = 0; n < B; n++) gu[t * B + n] = dot(gm, n * D, mats.b, D);
    if (t === 0) break;
    sgemm({ m: B, n: D, k: D, a: gm, b: mats.a, c: carryM });
    sgemm({ m: B, n: H, k: H, a: gpre, aOffset: hOff, b: w.w_h.data, c: carryH });
    for (let n = 0; n < B; n++) {
      const g = gu[t * B + n]!;
      if (w.e_m) for (let k = 0; k < D; k++) carryM[n * D + k] = carryM[n * D + k]! + g * w.e_m.data[k]!;
      if (w.e_h) for (let k = 0; k < H; k++) carryH[n * H + k] = carryH[n * H + k]! + g * w.e_h.data[k]!;
    }
  }
  const hPrev = previousStates(cache.h, new Float32Array(B * H), { t: T, b: B, h: H, i: I, g: 1 });
  const mPrev = previousStates(cache.m, new Float32Array(B * D), { t: T, b: B, h: D, i: I, g: 1 });
  const outer = (g: Float32Array, n: number, src: Float32Array, shape: number[]): Tensor => {
    const out = zeros(shape);
    sgemm({ m: n, n: shape[1]!, k: rows, a: g, transA: true, b: src, c: out.data });
    return out;
  };
  const grads: LmuGrads = {
    dx: zeros(x.shape),
    e_x: outer(gu, 1, x.data, [1, I]),
    w_m: outer(gpre, H, cache.m, [H, D]),
    w_h: outer(gpre, H, hPrev, [H, H]),
    bias: zeros([H]),
  };
  if (w.e_h) grads.e_h = outer(gu, 1, hPrev, [1, H]);
  if (w.e_m) grads.e_m = outer(gu, 1, mPrev, [1, D]);
  if (w.w_x) grads.w_x = outer(gpre, H, x.data, [H, I]);
  for (let r = 0; r < rows; r++) for (let j = 0; j < H; j++) grads.bias!.data[j] = grads.bias!.data[j]! + gpre[r * H + j]!;
  sgemm({ m: rows, n: I, k: 1, a: gu, b: w.e_x.data, c: grads.dx.data });
  if (w.w_x) sgemm({ m: rows, n: I, k: H, a: gpre, b: w.w_x.data, c: grads.dx.data, beta: 1 });
  return grads;
}

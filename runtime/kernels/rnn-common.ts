/**
 * Shared plumbing for the recurrent kernels (rnn, lstm, gru), one direction, ONNX layout 0:
 *   x [T, B, I], W [G·H, I], R [G·H, H], optional biases Wb, Rb [G·H] (ONNX's B = [Wb, Rb]),
 *   optional initial state h0 (and c0) [B, H]; outputs Y [T, B, H] and the final states.
 * The input projection X·Wᵀ + Wb of every time step is one GEMM before the recurrence, and in
 * BPTT the weight gradients are one GEMM each after it; only h·Rᵀ is sequential.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { expect, expectShape } from './check.ts';
import { sgemm } from './gemm.ts';

export interface RecurrentWeights {
  w: Tensor;
  r: Tensor;
  wb?: Tensor;
  rb?: Tensor;
}

export interface RecurrentDims {
  t: number;
  b: number;
  i: number;
  h: number;
  g: number;
}

export interface RecurrentGrads {
  dx: Tensor;
  dw: Tensor;
  dr: Tensor;
  dwb: Tensor;
  drb: Tensor;
  dh0: Tensor;
}

export function recurrentDims(kernel: string, x: Tensor, wt: RecurrentWeights, gates: number, h0?: Tensor): RecurrentDims {
  expect(kernel, x.shape.length === 3, `input must be [T, B, I] (time first), got [${x.shape.join(', ')}]`);
  const [t, b, i] = x.shape as [number, number, number];
  expect(kernel, wt.r.shape.length === 2 && wt.r.shape[0]! % gates === 0, `R must be [${gates}·H, H], got [${wt.r.shape.join(', ')}]`);
  const h = wt.r.shape[0]! / gates;
  expectShape(kernel, 'R', wt.r.shape, [gates * h, h]);
  expectShape(kernel, 'W', wt.w.shape, [gates * h, i]);
  if (wt.wb) expectShape(kernel, 'Wb', wt.wb.shape, [gates * h]);
  if (wt.rb) expectShape(kernel, 'Rb', wt.rb.shape, [gates * h]);
  if (h0) expectShape(kernel, 'initial state', h0.shape, [b, h]);
  return { t, b, i, h, g: gates };
}

/**
 * XW[t·B + n, :] = x[t, n, :]·Wᵀ + Wb + Rb. Both biases enter a gate additively, except GRU's
 * candidate gate with linear_before_reset, where Rb sits inside the reset product: `foldRb`
 * says per gate-block whether Rb is folded in here.
 */
export function inputProjection(x: Tensor, wt: RecurrentWeights, d: RecurrentDims,
  foldRb: (gateBlock: number) => boolean = () => true): Float32Array {
  const gh = d.g * d.h;
  const bias = new Float32Array(gh);
  for (let j = 0; j < gh; j++) bias[j] = (wt.wb?.data[j] ?? 0) + (foldRb(Math.floor(j / d.h)) ? wt.rb?.data[j] ?? 0 : 0);
  const xw = new Float32Array(d.t * d.b * gh);
  for (let row = 0; row < d.t * d.b; row++) xw.set(bias, row * gh);
  sgemm({ m: d.t * d.b, n: gh, k: d.i, a: x.data, b: wt.w.data, transB: true, c: xw, beta: 1 });
  return xw;
}

/** acc[B, G·H] += h[B, H]·Rᵀ. */
export function addRecurrent(h: Float32Array, hOff: number, r: Tensor, d: RecurrentDims, acc: Float32Array, accOff: number): void {
  sgemm({ m: d.b, n: d.g * d.h, k: d.h, a: h, aOffset: hOff, b: r.data, transB: true, c: acc, cOffset: accOff, beta: 1 });
}

/** dh[B, H] += dA[B, G·H]·R. */
export function backRecurrent(dA: Float32Array, dAOff: number, r: Tensor, d: RecurrentDims, dh: Float32Array): void {
  sgemm({ m: d.b, n: d.h, k: d.g * d.h, a: dA, aOffset: dAOff, b: r.data, c: dh, beta: 1 });
}

export const sigm = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

/**
 * The time-parallel part of BPTT. dAx: gradients of the input-side pre-activations [T·B, G·H];
 * dAr: of the recurrent-side ones (hPrev·Rᵀ + Rb) — equal except for GRU's candidate gate;
 * hPrev: the recurrent GEMM's left operand at every step [T·B, H].
 */
export function weightGrads(x: Tensor, wt: RecurrentWeights, d: RecurrentDims, dAx: Float32Array, dAr: Float32Array,
  hPrev: Float32Array, dh0: Float32Array): RecurrentGrads {
  const gh = d.g * d.h;
  const rows = d.t * d.b;
  const dx = zeros(x.shape);
  sgemm({ m: rows, n: d.i, k: gh, a: dAx, b: wt.w.data, c: dx.data });
  const dw = zeros(wt.w.shape);
  sgemm({ m: gh, n: d.i, k: rows, a: dAx, transA: true, b: x.data, c: dw.data });
  const dr = zeros(wt.r.shape);
  sgemm({ m: gh, n: d.h, k: rows, a: dAr, transA: true, b: hPrev, c: dr.data });
  const dwb = zeros([gh]);
  const drb = zeros([gh]);
  for (let row = 0; row < rows; row++) {
    for (let j = 0; j < gh; j++) {
      dwb.data[j] = dwb.data[j]! + dAx[row * gh + j]!;
      drb.data[j] = drb.data[j]! + dAr[row * gh + j]!;
    }
  }
  return { dx, dw, dr, dwb, drb, dh0: { shape: [d.b, d.h], data: dh0 } };
}

/** Stack h0 and the outputs of steps 0..T−2: the hidden state each step started from. */
export function previousStates(y: Float32Array, h0: Float32Array, d: RecurrentDims): Float32Array {
  const bh = d.b * d.h;
  const out = new Float32Array(d.t * bh);
  out.set(h0, 0);
  out.set(y.subarray(0, (d.t - 1) * bh), bh);
  return out;
}

/** Incoming gradient of all outputs dY [T, B, H] plus an optional gradient of the final state. */
export function checkOutputGrads(kernel: string, d: RecurrentDims, dy: Tensor | undefined, dhT: Tensor | undefined): void {
  if (dy) expectShape(kernel, 'output gradient', dy.shape, [d.t, d.b, d.h]);
  if (dhT) expectShape(kernel, 'final-state gradient', dhT.shape, [d.b, d.h]);
}

/**
 * Pointwise activations and their backward passes. Backward functions take the forward input x,
 * except sigmoid and tanh, whose derivatives are cheapest from the output y.
 * sign and binarize are not differentiable; their straight-through estimators (Bengio et al.
 * 2013; BinaryNet, Courbariaux et al. 2016) pass the gradient where |x| ≤ clip.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { broadcastBinary, reduceToShape } from './broadcast.ts';
import { expect } from './check.ts';
import { WASM_ELEMENTWISE_MIN, useWasmKernels } from './wasm/instance.ts';
import { wasmRelu } from './wasm/relu.ts';
import { outputArray } from './step-buffers.ts';
import { wasmBinarize, wasmSignSte } from './wasm/binarize.ts';

export function map(x: Tensor, f: (v: number) => number): Tensor {
  const y = zeros(x.shape);
  const xd = x.data, yd = y.data;
  for (let i = 0; i < xd.length; i++) yd[i] = f(xd[i]!);
  return y;
}

/** dy ⊙ f'(v) for v from a same-shaped tensor (x or y). */
export function mapGrad(v: Tensor, dy: Tensor, df: (v: number) => number, kernel: string): Tensor {
  expect(kernel, v.data.length === dy.data.length, 'gradient must have the shape of the activation');
  const dx = zeros(v.shape);
  const vd = v.data, gd = dy.data, out = dx.data;
  for (let i = 0; i < vd.length; i++) out[i] = gd[i]! * df(vd[i]!);
  return dx;
}

// ReLU is on every training path, so it gets its own loops rather than sharing map's closure call.
export function relu(x: Tensor): Tensor {
  if (x.data.length >= WASM_ELEMENTWISE_MIN && useWasmKernels()) return { shape: [...x.shape], data: wasmRelu(x.data) };
  const xd = x.data, out = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) { const v = xd[i]!; out[i] = v > 0 ? v : 0; }
  return { shape: [...x.shape], data: out };
}

export function reluBackward(x: Tensor, dy: Tensor): Tensor {
  expect('relu backward', x.data.length === dy.data.length, 'gradient must have the shape of the activation');
  const xd = x.data, gd = dy.data, out = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = gd[i]! * (xd[i]! > 0 ? 1 : 0);
  return { shape: [...x.shape], data: out };
}

export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => map(x, (v) => (v >= 0 ? v : alpha * v));
export const leakyReluBackward = (x: Tensor, dy: Tensor, alpha = 0.01): Tensor =>
  mapGrad(x, dy, (v) => (v >= 0 ? 1 : alpha), 'leaky_relu backward');

/** Numerically stable logistic: never exponentiates a large positive number. */
export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
export const sigmoid = (x: Tensor): Tensor => map(x, sigmoidScalar);
export const sigmoidBackward = (y: Tensor, dy: Tensor): Tensor => mapGrad(y, dy, (s) => s * (1 - s), 'sigmoid backward');

export const tanh = (x: Tensor): Tensor => map(x, Math.tanh);
export const tanhBackward = (y: Tensor, dy: Tensor): Tensor => mapGrad(y, dy, (t) => 1 - t * t, 'tanh backward');

export const hardTanh = (x: Tensor, min = -1, max = 1): Tensor => map(x, (v) => (v < min ? min : v > max ? max : v));
export const hardTanhBackward = (x: Tensor, dy: Tensor, min = -1, max = 1): Tensor =>
  mapGrad(x, dy, (v) => (v > min && v < max ? 1 : 0), 'hard_tanh backward');

/** ONNX Clip: min(max(x, lo), hi), so lo > hi yields hi everywhere. */
export const clip = (x: Tensor, lo = -Infinity, hi = Infinity): Tensor => map(x, (v) => Math.min(Math.max(v, lo), hi));
export const clipBackward = (x: Tensor, dy: Tensor, lo = -Infinity, hi = Infinity): Tensor =>
  mapGrad(x, dy, (v) => (v >= lo && v <= hi && lo <= hi ? 1 : 0), 'clip backward');

/** ONNX Sign: −1, 0 or +1. */
export const sign = (x: Tensor): Tensor => map(x, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0));
/**
 * Deterministic binarization to ±1 as in BinaryNet: zero maps to +1 so every weight is a bit.
 * `inside`: every |x| ≤ 1, the window of the clipped straight-through estimator. In WebAssembly
 * (selects) from WASM_ELEMENTWISE_MIN values, as ReLU: the JS loop's branch on a random sign cost
 * 10 ns a value, and through map's closure call 50.
 */
export function binarizeInside(x: Tensor): { y: Tensor; inside: boolean } {
  const xd = x.data;
  if (xd.length >= WASM_ELEMENTWISE_MIN && useWasmKernels()) {
    const r = wasmBinarize(xd);
    return { y: { shape: [...x.shape], data: r.y }, inside: r.inside };
  }
  const out = outputArray(xd.length);
  let inside = true;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i]!;
    out[i] = v >= 0 ? 1 : -1;
    if (!(v <= 1 && v >= -1)) inside = false;
  }
  return { y: { shape: [...x.shape], data: out }, inside };
}

export const binarize = (x: Tensor): Tensor => binarizeInside(x).y;

/**
 * Straight-through estimator for sign / binarize: dy where |x| ≤ clip, else 0 (the hardtanh STE);
 * clip = Infinity gives the identity STE. dy·0 rather than 0 keeps mapGrad's bits (−0, NaN).
 */
export function signSteBackward(x: Tensor, dy: Tensor, clipAt = 1): Tensor {
  expect('sign STE backward', x.data.length === dy.data.length, 'gradient must have the shape of the activation');
  if (x.data.length >= WASM_ELEMENTWISE_MIN && Math.fround(clipAt) === clipAt && useWasmKernels()) return { shape: [...x.shape], data: wasmSignSte(x.data, dy.data, clipAt) };
  const xd = x.data, gd = dy.data, out = outputArray(xd.length);
  for (let i = 0; i < xd.length; i++) { const v = xd[i]!; out[i] = v <= clipAt && v >= -clipAt ? gd[i]! : gd[i]! * 0; }
  return { shape: [...x.shape], data: out };
}

/**
 * PReLU (ONNX PRelu): y = x for x ≥ 0, slope·x otherwise, with slope unidirectionally broadcast
 * to x (e.g. [C, 1, 1] against [N, C, H, W], or one value for all).
 */
export function prelu(x: Tensor, slope: Tensor): Tensor {
  const y = broadcastBinary(x, slope, (v, s) => (v >= 0 ? v : s * v), 'prelu');
  expect('prelu', y.data.length === x.data.length, `slope [${slope.shape.join(', ')}] must broadcast to the input [${x.shape.join(', ')}], not enlarge it`);
  return y;
}

export function preluBackward(x: Tensor, slope: Tensor, dy: Tensor): { dx: Tensor; dslope: Tensor } {
  const gx = broadcastBinary(x, slope, (v, s) => (v >= 0 ? 1 : s), 'prelu backward');
  const dx = zeros(x.shape);
  for (let i = 0; i < dx.data.length; i++) dx.data[i] = dy.data[i]! * gx.data[i]!;
  const gs = zeros(x.shape);
  for (let i = 0; i < gs.data.length; i++) gs.data[i] = x.data[i]! < 0 ? dy.data[i]! * x.data[i]! : 0;
  return { dx, dslope: reduceToShape(gs, slope.shape) };
}

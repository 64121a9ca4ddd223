/**
 * softmax and log_softmax along one axis (ONNX opset 13 semantics: the axis alone, default −1),
 * max-shifted so large logits do not overflow, and their backward passes from the output:
 *   softmax:     dx = y ⊙ (dy − Σ dy·y)
 *   log_softmax: dx = dy − exp(y) · Σ dy
 */
import { type Tensor, zeros } from '../tensor.ts';
import { aroundAxis, expect, normAxis } from './check.ts';

function along(kernel: string, x: Tensor, axis: number,
  row: (src: Float32Array, dst: Float32Array, base: number, len: number, step: number) => void, out = zeros(x.shape)): Tensor {
  const a = normAxis(kernel, axis, x.shape.length);
  const { outer, len, inner } = aroundAxis(x.shape, a);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) row(x.data, out.data, o * len * inner + i, len, inner);
  }
  return out;
}

export function softmax(x: Tensor, axis = -1): Tensor {
  return along('softmax', x, axis, (src, dst, base, len, step) => {
    let m = -Infinity;
    for (let j = 0, p = base; j < len; j++, p += step) m = Math.max(m, src[p]!);
    let s = 0;
    for (let j = 0, p = base; j < len; j++, p += step) { const e = Math.exp(src[p]! - m); dst[p] = e; s += e; }
    for (let j = 0, p = base; j < len; j++, p += step) dst[p] = dst[p]! / s;
  });
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return along('log_softmax', x, axis, (src, dst, base, len, step) => {
    let m = -Infinity;
    for (let j = 0, p = base; j < len; j++, p += step) m = Math.max(m, src[p]!);
    let s = 0;
    for (let j = 0, p = base; j < len; j++, p += step) s += Math.exp(src[p]! - m);
    const lse = m + Math.log(s);
    for (let j = 0, p = base; j < len; j++, p += step) dst[p] = src[p]! - lse;
  });
}

function backward(kernel: string, y: Tensor, dy: Tensor, axis: number, log: boolean): Tensor {
  expect(kernel, y.data.length === dy.data.length, 'gradient must have the shape of the output');
  const a = normAxis(kernel, axis, y.shape.length);
  const { outer, len, inner } = aroundAxis(y.shape, a);
  const dx = zeros(y.shape);
  const yd = y.data, gd = dy.data, out = dx.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let s = 0;
      for (let j = 0, p = base; j < len; j++, p += inner) s += log ? gd[p]! : gd[p]! * yd[p]!;
      for (let j = 0, p = base; j < len; j++, p += inner) {
        out[p] = log ? gd[p]! - Math.exp(yd[p]!) * s : yd[p]! * (gd[p]! - s);
      }
    }
  }
  return dx;
}

export const softmaxBackward = (y: Tensor, dy: Tensor, axis = -1): Tensor => backward('softmax backward', y, dy, axis, false);
export const logSoftmaxBackward = (y: Tensor, dy: Tensor, axis = -1): Tensor => backward('log_softmax backward', y, dy, axis, true);

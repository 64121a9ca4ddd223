/**
 * A delta dense layer (Neil et al. 2017; delta-encode.ts): over a time-first sequence
 * x [T, R, F] of R independent rows, y_t = M_t with M_t = M_{t−1} + W·Δx_t and M_{−1} = b, so
 * y_t = W·x̂_t + b for the input references x̂. Columns of units that sent no change are skipped.
 * Its backward is the dense layer's on x̂, the encoder passing the gradient straight through.
 */
import type { Tensor } from '../tensor.ts';
import { expect } from './check.ts';
import { DeltaChannel, type MacCount, transposeWeight } from './delta-encode.ts';

export interface DeltaDenseResult {
  /** [T, R, O], time first like the input. */
  y: Tensor;
  /** The input references each step multiplied [T, R, F]. */
  xhat: Tensor;
  macs: MacCount;
}

export function deltaDense(x: Tensor, w: Tensor, bias: Tensor | undefined, theta: number): DeltaDenseResult {
  expect('delta dense', x.shape.length === 3 && w.shape.length === 2 && w.shape[1] === x.shape[2],
    `input must be [T, R, ${w.shape[1]}] for a weight [${w.shape.join(', ')}], got [${x.shape.join(', ')}]`);
  const [t, r, f] = x.shape as [number, number, number];
  const o = w.shape[0]!;
  const wT = transposeWeight(w.data, o, f);
  const acc = new Float64Array(r * o);
  for (let n = 0; n < r; n++) for (let j = 0; j < o; j++) acc[n * o + j] = bias?.data[j] ?? 0;
  const ch = new DeltaChannel(r, f, theta);
  const y = new Float32Array(t * r * o), xhat = new Float32Array(t * r * f);
  let sent = 0;
  for (let s = 0; s < t; s++) {
    sent += ch.step(x.data, s * r * f, wT, o, acc);
    xhat.set(ch.ref, s * r * f);
    y.set(acc, s * r * o);
  }
  return { y: { shape: [t, r, o], data: y }, xhat: { shape: [t, r, f], data: xhat }, macs: { done: sent * o, dense: t * r * f * o } };
}

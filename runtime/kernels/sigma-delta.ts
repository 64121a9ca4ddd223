/**
 * The sigma-delta quantizer (docs/lmu.md; Voelker, Rasmussen & Eliasmith, "A Spike in
 * Performance", 2020, cast activations as quantizers whose error is diffused over time): per unit,
 *   s_t = x_t + e_{t−1},   n_t = round(s_t / scale),   e_t = s_t − n_t·scale,   e_{−1} = 0,
 * and the unit transmits the integer n_t (n_t events of weight `scale`). Since e_t stays within
 * ±scale/2, the sum of what was sent tracks the sum of the input to within half a step, at every t.
 *
 * `spiking` ∈ [0, 1] blends the output from the input itself (0: non-spiking) to the quantized
 * value (1), y_t = spiking·n_t·scale + (1 − spiking)·x_t, for training that moves from one regime
 * to the other; the error always follows the quantizer. The gradient is straight through
 * (dy/dx = 1), the error treated as a constant, as the quantizer's rounding is.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { expect } from './check.ts';

export interface SigmaDeltaResult {
  y: Tensor;
  /** The transmitted integers, same layout as y. */
  counts: Int32Array;
}

/**
 * One step on `units` values from x[xOff..]: updates `err` in place, writes y and counts at yOff.
 * Ties round away from zero, so a sign flip of the input flips the counts.
 */
export function sigmaDeltaStep(x: ArrayLike<number>, xOff: number, err: Float32Array, units: number, scale: number, spiking: number,
  y: Float32Array, counts: Int32Array, yOff: number): void {
  for (let i = 0; i < units; i++) {
    const v = x[xOff + i]!;
    const s = v + err[i]!;
    const q = s / scale;
    const n = q >= 0 ? Math.floor(q + 0.5) : -Math.floor(-q + 0.5);
    err[i] = s - n * scale;
    counts[yOff + i] = n;
    y[yOff + i] = spiking === 1 ? n * scale : spiking * n * scale + (1 - spiking) * v;
  }
}

/** The quantizer over a time-first sequence [T, ...]: each of the other positions is one unit. */
export function sigmaDelta(x: Tensor, scale: number, spiking = 1): SigmaDeltaResult {
  expect('sigma_delta', x.shape.length >= 2, 'input must be [T, ...] with time first');
  expect('sigma_delta', scale > 0 && Number.isFinite(scale), `scale must be a positive number, got ${scale}`);
  const t = x.shape[0]!, units = x.data.length / Math.max(1, t);
  const y = zeros(x.shape);
  const counts = new Int32Array(x.data.length);
  const err = new Float32Array(units);
  for (let s = 0; s < t; s++) sigmaDeltaStep(x.data, s * units, err, units, scale, spiking, y.data, counts, s * units);
  return { y, counts };
}

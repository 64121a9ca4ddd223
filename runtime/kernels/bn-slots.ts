/**
 * The rows of a per-step batch norm's running statistics (BNTT, Kim & Panda 2021): running mean
 * and variance are [T, C], one row per time step. A run longer than T reuses the last row, the
 * statistics closest to a settled network.
 */
import type { Tensor } from '../tensor.ts';

/** Row `step` of a [T, C] tensor (the last row past T), as a [C] view; a [C] tensor as it is. */
export function stepSlot(t: Tensor, step: number): Tensor {
  if (t.shape.length < 2) return t;
  const c = t.shape[1]!, row = Math.min(step, t.shape[0]! - 1);
  return { shape: [c], data: t.data.subarray(row * c, (row + 1) * c) };
}

/** A copy of a [T, C] tensor with row `step` replaced; a [C] tensor is replaced whole. */
export function withStepSlot(t: Tensor, step: number, row: Tensor): Tensor {
  if (t.shape.length < 2) return row;
  const out: Tensor = { shape: [...t.shape], data: Float32Array.from(t.data) };
  out.data.set(row.data, Math.min(step, t.shape[0]! - 1) * t.shape[1]!);
  return out;
}

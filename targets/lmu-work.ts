/**
 * What an `lmu` layer and sigma-delta units ask of a CPU or a systolic array (docs/lmu.md). Per
 * time step and sample, an LMU multiplies
 *   memory update   Ā·m_{t−1}: order² (plus B̄·u_t: order, and the encoders e_x, e_h, e_m)
 *   hidden layer    W_m·m_t + W_h·h_{t−1} (+ W_x·x_t): H·(order + H (+ I))
 * and is priced as one GEMM per step, M = batch, N = hidden, K = the hidden layer's inputs, with
 * the memory's products added as the extra K columns that hold as many multiply-accumulates, so
 * the count is exact and the shape is the one the hidden product has.
 *
 * Sigma-delta units transmit integer counts; an event-driven product adds one weight column per
 * event, so with a measured mean of e events per unit and step, a product over k sigma-delta
 * inputs costs e·k column additions instead of k multiplies, and is priced over min(k, e·k)
 * columns (activity-pricing.ts applies it once the activity is known).
 */
import type { Node } from '../compiler/ir/module.ts';

/** The MACs of one LMU step per sample: [hidden product columns, memory products]. */
export function lmuStepMacs(node: Node, features: number): { hiddenK: number; memory: number } {
  const a = node.attrs;
  const h = a.hidden as number, d = a.order as number;
  const memory = d * d + d + features + (a.hidden_to_memory ? h : 0) + (a.memory_to_memory ? d : 0);
  return { hiddenK: d + h + (a.input_to_hidden ? features : 0), memory };
}

/** The per-step GEMM's shape, dense (workload.ts makes it a GemmWork; importing its types here would be a cycle). */
export function lmuGemm(node: Node, x: readonly number[]): { m: number; n: number; k: number; repeat: number; note: string } {
  const [b, t, f] = x as [number, number, number];
  const h = node.attrs.hidden as number;
  const { hiddenK, memory } = lmuStepMacs(node, f);
  const note = `lmu: one GEMM per step, its ${hiddenK} hidden-product columns plus ${Math.ceil(memory / h)} columns holding the memory update's ${memory} multiply-accumulates (order² = ${(node.attrs.order as number) ** 2})`;
  return { m: b, n: h, k: hiddenK + Math.ceil(memory / h), repeat: t, note };
}

/** Does the node transmit sigma-delta events: a `sigma_delta` op or an `lmu` with `sigma_delta =`. */
export const isSigmaDelta = (n: Node): boolean => n.op === 'sigma_delta' || (n.op === 'lmu' && n.attrs.sigma_delta !== undefined);

/** Columns a product over `k` inputs from a sigma-delta layer sending `events` per unit and step is priced over. */
export const eventColumns = (k: number, events: number): number => Math.max(1, Math.min(k, Math.round(k * events)));

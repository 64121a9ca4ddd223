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
 * columns. Unmeasured, it is priced dense and says so.
 */
import type { Module, Node } from '../compiler/ir/module.ts';

/** Mean events per unit and time step of each sigma-delta layer, by node id (runtime/sigma-delta-activity.ts, `events_per_activation`). */
export type EventRates = Readonly<Record<string, number>>;

/** The MACs of one LMU step per sample: [hidden product columns, memory products]. */
export function lmuStepMacs(node: Node, features: number): { hiddenK: number; memory: number } {
  const a = node.attrs;
  const h = a.hidden as number, d = a.order as number;
  const memory = d * d + d + features + (a.hidden_to_memory ? h : 0) + (a.memory_to_memory ? d : 0);
  return { hiddenK: d + h + (a.input_to_hidden ? features : 0), memory };
}

/** The per-step GEMM's shape (workload.ts makes it a GemmWork; importing its types here would be a cycle). */
export function lmuGemm(node: Node, x: readonly number[], events: EventRates | undefined): { m: number; n: number; k: number; repeat: number; note: string } {
  const [b, t, f] = x as [number, number, number];
  const h = node.attrs.hidden as number;
  const { hiddenK, memory } = lmuStepMacs(node, f);
  let k = hiddenK;
  let note = `lmu: one GEMM per step, its ${hiddenK} hidden-product columns plus ${Math.ceil(memory / h)} columns holding the memory update's ${memory} multiply-accumulates (order² = ${(node.attrs.order as number) ** 2})`;
  if (node.attrs.sigma_delta !== undefined) {
    // The recurrent product W_h·h_{t−1} reads the units' own events.
    const r = sigmaDeltaColumns(node.id, h, events);
    k = hiddenK - h + r.columns;
    note += `; ${r.note}`;
  }
  return { m: b, n: h, k: k + Math.ceil(memory / h), repeat: t, note };
}

/** Columns a product over `k` inputs from sigma-delta layer `id` is priced over. */
export function sigmaDeltaColumns(id: string, k: number, events: EventRates | undefined): { columns: number; note: string } {
  const e = events?.[id];
  if (e === undefined) return { columns: k, note: `sigma-delta \`${id}\`: priced dense, its events per unit and step not measured (kiln run --checkpoint reports them)` };
  const columns = Math.max(1, Math.min(k, Math.round(k * e)));
  return { columns, note: `sigma-delta \`${id}\`: ${columns} of ${k} columns, ${e.toFixed(3)} measured events per unit and step` };
}

/** The sigma-delta layer a dense layer reads, if its input comes straight from one. */
export function sigmaDeltaSource(m: Module, node: Node): Node | undefined {
  const src = m.nodes[node.inputs[0]!];
  return src && (src.op === 'sigma_delta' || (src.op === 'lmu' && src.attrs.sigma_delta !== undefined)) ? src : undefined;
}

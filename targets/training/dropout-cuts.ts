/**
 * Which GEMMs a dropout shrinks in training (Graham, Reizenstein & Robinson 2015, "Efficient
 * batchwise dropout training using submatrices"). A batchwise or structured mask is one pattern
 * for the whole minibatch, so the layers beside it multiply only the kept units:
 *   producer  the dense or conv2d (groups 1) whose output reaches the dropout through elementwise
 *             activations no one else reads computes only the kept outputs (N shrinks);
 *   consumer  a dense, conv2d or recurrent layer reading the dropout uses only the kept inputs
 *             (K shrinks; a recurrent layer's recurrent part of K stays whole).
 * A recurrent producer is not cut: its recurrence needs every unit whatever is dropped after it.
 * An lstm with `dropout_mode = structured` drops units inside its own cell as well
 * (runtime/autodiff/lstm-cut.ts): the kept units' gate rows (N), their recurrent columns and,
 * above the first layer, the kept units of the layer below (K) are all that is multiplied.
 * The estimate prices the expected kept fraction, 1 − p; the interpreter's plan
 * (runtime/autodiff/dropout-plan.ts) cuts dense and conv2d layers by a drawn mask.
 */
import { type Module, type Node, type NodeId, readersOf } from '../../compiler/ir/module.ts';

/** Kept fraction of a layer's output units (N) and of its non-recurrent input features (K). */
export interface Cut {
  keepOut?: number;
  keepIn?: number;
  /** Kept fraction of a recurrent cell's own hidden units (in-cell structured dropout). */
  keepCell?: number;
  /** The dropout node that cuts it from outside, for the layer's note. */
  by?: string;
}

const PASS_THROUGH = new Set(['relu', 'leaky_relu', 'sigmoid', 'tanh', 'hard_tanh', 'sign']);
const RECURRENT = new Set(['rnn', 'lstm', 'gru']);

/** The feature axis a batchwise or structured mask varies on alone (last of [B, F] or [B, T, F]; 1 of NCHW). */
function featureAxis(d: Node): number | undefined {
  const shape = d.type?.shape;
  const mode = d.attrs.mode as string;
  if (!shape || shape.length < 2 || mode === 'elementwise') return undefined;
  if (mode === 'batchwise') return shape.length === 2 ? 1 : undefined;
  return shape.length === 4 ? 1 : shape.length - 1;
}

function cuttable(n: Node, axis: number, rank: number, asConsumer: boolean): boolean {
  if (n.op === 'dense') return axis === rank - 1;
  if (n.op === 'conv2d') return rank === 4 && axis === 1 && ((n.attrs.groups as number | undefined) ?? 1) === 1;
  return asConsumer && RECURRENT.has(n.op) && rank === 3 && axis === 2;
}

/** Kept fraction of a dropout's units when that dropout can shrink a neighbouring GEMM. */
export function dropoutCuts(m: Module): { layers: Map<NodeId, Cut>; dropouts: Map<NodeId, number> } {
  const readers = readersOf(m);
  const outputs = new Set(m.outputs);
  const private_ = (n: Node) => (readers.get(n.id)?.length ?? 0) === 1 && !outputs.has(n.id);
  // A per-tensor activation scale would see the dropped values, so such a producer computes them all.
  const quantizes = (n: Node) => ((n.attrs.activations as { dtype?: string } | undefined)?.dtype ?? 'f32') !== 'f32';
  const layers = new Map<NodeId, Cut>();
  const dropouts = new Map<NodeId, number>();
  for (const d of Object.values(m.nodes)) {
    if (d.op !== 'dropout') continue;
    const p = d.attrs.p as number;
    const axis = featureAxis(d);
    if (axis === undefined || !(p > 0 && p < 1)) continue;
    const rank = d.type!.shape.length;
    const keep = 1 - p;
    let cut = false;
    for (const c of readers.get(d.id) ?? []) {
      if (c.inputs[0] !== d.id || !cuttable(c, axis, rank, true)) continue;
      layers.set(c.id, { ...layers.get(c.id), keepIn: keep, by: d.id });
      cut = true;
    }
    let n = m.nodes[d.inputs[0]!];
    while (n && PASS_THROUGH.has(n.op) && private_(n)) n = m.nodes[n.inputs[0]!];
    if (n && cuttable(n, axis, rank, false) && private_(n) && !quantizes(n)) {
      layers.set(n.id, { ...layers.get(n.id), keepOut: keep, by: d.id });
      cut = true;
    }
    if (cut) dropouts.set(d.id, keep);
  }
  for (const n of Object.values(m.nodes)) {
    const p = n.attrs.dropout as number | undefined;
    if (n.op === 'lstm' && n.attrs.dropout_mode === 'structured' && p !== undefined && p > 0 && p < 1) layers.set(n.id, { ...layers.get(n.id), keepCell: 1 - p });
  }
  return { layers, dropouts };
}

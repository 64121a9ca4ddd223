/**
 * Which per-element steps after a layer reduce to a compare of its sums, and so could be applied
 * to those sums as they leave the hardware that made them, before anything is stored.
 *
 * sign(γ(x − μ)/σ + β) is x compared with one per-channel threshold μ − βσ/γ (the direction γ's
 * sign): the fold the lowered program makes for a binary layer's batch norm and sign
 * (runtime/lowered/precision binaryThresholds), so the estimate makes the same one and no other.
 * A bare sign after a layer is the compare with 0, with nothing to fold.
 */
import type { DType } from '../compiler/ir/dtype.ts';
import { type Module, type Node, readersOf } from '../compiler/ir/module.ts';
import { weightDType } from './precision.ts';

/** The batch norms that fold with the sign after them into one threshold compare an element. */
export function thresholdBatchnorms(m: Module, readers = readersOf(m)): Set<string> {
  const out = new Set<string>();
  for (const n of Object.values(m.nodes)) {
    const src = m.nodes[n.inputs[0] ?? ''];
    const next = readers.get(n.id) ?? [];
    // A batch norm the network outputs must still produce its values: it cannot become a compare.
    if (n.op !== 'batchnorm' || !src || weightDType(src) !== 'binary' || next.length !== 1 || next[0]!.op !== 'sign' || m.outputs.includes(n.id)) continue;
    out.add(n.id);
  }
  return out;
}

/** A layer whose sums only ever reach the rest of the network as one compare an element. */
export interface CompareOnOutput {
  /** The node that does the compare: the folded batch norm, or a bare sign. */
  by: string;
  /** What the compare produces, and so all the layer needs to store: the sign's dtype. */
  dtype: DType;
  /** Whether a batch norm's threshold is folded in (else the compare is with 0). */
  threshold: boolean;
  /**
   * The nodes that read the compare's result (through reshapes and dropout, which move nothing):
   * the stored width is the one they read it at. Empty when the network outputs the result.
   */
  readBy: string[];
}

/** Reshapes and inference-time dropout pass a tensor on as it is stored. */
const PASSES_ON = new Set(['flatten', 'reshape', 'dropout']);

function readersThrough(id: string, readers: Map<string, Node[]>): string[] {
  return (readers.get(id) ?? []).flatMap((r) => (PASSES_ON.has(r.op) ? readersThrough(r.id, readers) : [r.id]));
}

/**
 * Layers (`multiplies`: the ones that make sums) whose one reader is a folded batch norm or a
 * sign. A layer the network outputs, or that anything else reads, must keep its sums.
 */
export function compareOnOutputs(m: Module, thresholded: Set<string>, multiplies: (n: Node) => boolean, readers = readersOf(m)): Map<string, CompareOnOutput> {
  const out = new Map<string, CompareOnOutput>();
  for (const n of Object.values(m.nodes)) {
    const next = readers.get(n.id) ?? [];
    if (!multiplies(n) || next.length !== 1 || m.outputs.includes(n.id)) continue;
    const r = next[0]!;
    const sign = thresholded.has(r.id) ? readers.get(r.id)![0]! : r.op === 'sign' && r.inputs.length === 1 ? r : undefined;
    if (sign) out.set(n.id, { by: r.id, dtype: sign.type!.dtype, threshold: sign !== r, readBy: readersThrough(sign.id, readers) });
  }
  return out;
}

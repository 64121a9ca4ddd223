/**
 * Which per-element steps after a layer reduce to a compare of its sums, and so could be applied
 * to those sums as they leave the hardware that made them, before anything is stored.
 *
 * sign(γ(x − μ)/σ + β) is x compared with one per-channel threshold μ − βσ/γ (the direction γ's
 * sign): the fold the lowered program makes for a binary dense layer's batch norm and sign
 * (runtime/lowered/precision binaryThresholds). A batch norm that binarizes its own output
 * (`activations = binary`, as explore's binary variants of lenet5_bn declare) computes that same
 * sign, with 0 → +1 (runtime/autodiff/precision.ts); a relu after it maps its −1 to 0 and its +1
 * to 1, so batch norm → relu is the same compare with the result written as {0, 1}: still one bit,
 * the same bit. (A relu *before* a sign is no compare: sign(relu(z)) is +1 for every z, as the
 * sign of 0 is +1.) Nor is a sign after a batch norm that rounds its own output (ternary, i8,
 * i16): that rounding makes small values 0, again +1. A bare sign after a layer is the compare
 * with 0, with nothing to fold.
 */
import type { DType } from '../compiler/ir/dtype.ts';
import { precisionOf } from '../compiler/ir/node-precision.ts';
import { type Module, type Node, readersOf } from '../compiler/ir/module.ts';
import { weightDType } from './precision.ts';

/**
 * The node whose output a batch norm's compare produces: the one sign reading it, when the batch
 * norm's own output is f32 or binary; else, when it binarizes its own output, the one relu
 * reading it or the batch norm itself.
 */
function foldedEnd(bn: Node, next: readonly Node[]): Node | undefined {
  // A batch norm that quantizes its output (ternary, i8, i16 …) rounds small values to 0, and the
  // sign of 0 is +1: a sign after it is not the sign of the batch norm's value, so no compare of the sums.
  const own = precisionOf(bn, 'activations')?.dtype;
  if (own !== undefined && own !== 'binary') return undefined;
  const only = next.length === 1 ? next[0]! : undefined;
  if (only?.op === 'sign') return only;
  if (bn.type!.dtype !== 'binary') return undefined;
  return only?.op === 'relu' ? only : bn;
}

/** Reshapes and inference-time dropout pass a tensor on as it is stored. */
const PASSES_ON = new Set(['flatten', 'reshape', 'dropout']);

/** Ops that hand on the values they select or move unchanged: {0, 1} in, {0, 1} out. */
const SELECTS = new Set([...PASSES_ON, 'maxpool2d']);

/**
 * What a layer reads at inference: dropout is the identity, so a sign behind it still feeds ±1
 * (binary_mlp's layers). Only dropout, though a flatten or reshape hands on ±1 or the input's grid
 * as well: the estimate, the lowering and kiln run's scan of the input all ask here, so a network
 * whose binary layer reads input → flatten is refused the fold by every one of them alike;
 * widening this list is one change for all three (docs/cost-model.md).
 */
function producerOf(m: Module, node: Node): Node {
  let producer = m.nodes[node.inputs[0]!]!;
  while (producer.op === 'dropout') producer = m.nodes[producer.inputs[0]!]!;
  return producer;
}

/** Past the ops that only select or move values, to the node that made them. */
function through(m: Module, node: Node): Node {
  let p = node;
  while (SELECTS.has(p.op)) p = m.nodes[p.inputs[0]!]!;
  return p;
}

/**
 * Whether a layer reads nothing but 0 and 1: a relu of ±1 — of a sign, or of a node that
 * binarizes its output (`activations = binary`, as explore's binary variants of lenet5_bn
 * declare) — through max pools and reshapes. Zero padding is 0, on that grid too. A binary *type*
 * is not enough: type inference hands it on through avgpool2d, add, tanh …, whose values over
 * signs are ½, 2, 0.76 …
 */
function readsZeroOne(m: Module, layer: Node): boolean {
  const p = through(m, m.nodes[layer.inputs[0]!]!);
  if (p.op !== 'relu') return false;
  const q = through(m, m.nodes[p.inputs[0]!]!);
  return q.op === 'sign' || precisionOf(q, 'activations')?.dtype === 'binary';
}

const padded = (layer: Node) => layer.op === 'conv2d' && (layer.attrs.pad as number[]).some((p) => p !== 0);

/**
 * Which whole numbers a layer reads, the one question both the fold rule and kiln run's lowering
 * ask of it: nothing but ±1 (a sign's output, with no zero padding, as 0 is not ±1), nothing but
 * {0, 1} (readsZeroOne), the network's input (whole only where its data is), or — undefined —
 * values not known to be whole. The cases exclude each other.
 */
export function wholeInputs(m: Module, layer: Node): { reads: 'signs' | 'zero-one' | 'input' | undefined; producer: Node } {
  const producer = producerOf(m, layer);
  if (producer.op === 'sign' && !padded(layer)) return { reads: 'signs', producer };
  if (readsZeroOne(m, layer)) return { reads: 'zero-one', producer };
  return { reads: producer.op === 'input' ? 'input' : undefined, producer };
}

export interface FoldOptions {
  /**
   * The network's input was shown to be whole numbers over one denominator (pixels): `kiln run`
   * finds that on the rows it runs. The estimate sees no data and leaves it false.
   */
  inputOnGrid?: boolean;
}

/**
 * Why a batch norm after a binary layer is not folded for what it reads, or undefined when its
 * layer's sums are what the rule folds. `kiln run` folds only whole sums (a real sum needs its
 * unrounded threshold and a float product): an XNOR-popcount of ±1 inputs, a one-plane popcount
 * of {0, 1} inputs, or the network's input on its grid. A layer that rounds its own output
 * (`activations =`) hands the batch norm that rounding, not its sums. Where the IR does not say the
 * inputs are whole (a real input, a padded conv on signs, whose zero padding is no ±1) the estimate
 * assumes the real product, as `kiln run` on such data computes it, rather than price a compare
 * nothing executes.
 */
function foldRefusal(m: Module, bn: Node, o: FoldOptions = {}): string | undefined {
  const layer = m.nodes[bn.inputs[0]!]!;
  if (bn.attrs.per_step) return 'a per-step batch norm has a threshold per time step, not one a channel';
  const own = precisionOf(layer, 'activations')?.dtype;
  if (own) return `\`${layer.id}\` rounds its own output (activations = ${own}), which the batch norm reads instead of its sums`;
  const { reads, producer } = wholeInputs(m, layer);
  switch (reads) {
    case 'signs': case 'zero-one': return undefined;
    case 'input': return o.inputOnGrid ? undefined : `\`${layer.id}\` reads the network's input, not known to be whole numbers here (kiln run folds it when its data is, as pixels are)`;
  }
  const source = through(m, producer);
  if (source.op === 'sign' && padded(layer)) return `\`${layer.id}\` reads ±1 with zero padding, so its sums are real`;
  if (source !== producer && (source.op === 'input' || source.op === 'sign')) return hiddenBehind(m, layer, producer, source);
  return `\`${layer.id}\` reads values not known to be ±1 or {0, 1}, so its sums are real`;
}

/**
 * A layer that reads the input or a sign's ±1 through a flatten, reshape or max pool reads whole
 * values, but the rule looks for them past dropout only (producerOf): "not known to be ±1" would
 * blame the data for what is the rule's reach, and leave the user nothing to change.
 */
function hiddenBehind(m: Module, layer: Node, producer: Node, source: Node): string {
  const what = source.op === 'input' ? "the network's input" : `\`${source.id}\`'s ±1`;
  const fix = source.op === 'input' ? inputFix(m, layer, producer, source) : `apply the sign after \`${producer.id}\` (the same values) so that the layer reads it directly, and both fold it`;
  return `\`${layer.id}\` reads ${what} through \`${producer.id}\` (${producer.op}), but the rule looks for the input or a sign past dropout only, so its sums count as real, in the estimate and kiln run alike; ${fix}`;
}

/**
 * How to let a layer read the input itself: declared in the shape the layer reads, where only
 * reshapes stand between (flat for a dense layer, as binary_mlp does); a max pool between
 * computes something, so no declaration removes it.
 */
function inputFix(m: Module, layer: Node, producer: Node, input: Node): string {
  const folds = 'kiln run folds a layer that reads the input itself when the data is whole (pixels are)';
  let pooled = false;
  for (let p = producer; p !== input; p = m.nodes[p.inputs[0]!]!) pooled ||= p.op === 'maxpool2d';
  if (pooled) return `${folds}; a max pool between them keeps that from \`${layer.id}\``;
  const shape = [batchName(m, input), ...producer.type!.shape.slice(1)].join(', ');
  const decl = `${input.type!.dtype}[${shape}]`;
  return layer.op === 'dense' ? `${folds}: for a dense layer, declare the input flat (${decl}, as binary_mlp does)` : `${folds}: for a ${layer.op}, declare the input in the shape it reads (${decl})`;
}

/**
 * The name to write for the input's batch dimension: the network's one parameter of that value
 * (its batch parameter, whatever it is called), else `batch`.
 */
function batchName(m: Module, input: Node): string {
  const named = Object.entries(m.params).filter(([, v]) => v === input.type!.shape[0]);
  return named.length === 1 ? named[0]![0] : 'batch';
}

/** What the rule makes of one batch norm: the node its compare would produce and, when it does not fold, why not. */
export interface FoldDecision {
  end: string;
  refusal?: string;
}

/**
 * What the rule makes of a batch norm: the node its compare would produce (foldedEnd) and, when
 * it does not fold, why not (`refusal`); undefined where nothing after it could be a compare at
 * all — no binary layer before it, the network outputs it, or it ends in no sign or binarizing —
 * so that no reason is given for a fold no data would make.
 */
function foldDecision(m: Module, bn: Node, readers: Map<string, Node[]>, o: FoldOptions): FoldDecision | undefined {
  const src = m.nodes[bn.inputs[0] ?? ''];
  // A batch norm the network outputs must still produce its values: it cannot become a compare.
  if (bn.op !== 'batchnorm' || !src || weightDType(src) !== 'binary' || m.outputs.includes(bn.id)) return undefined;
  const end = foldedEnd(bn, readers.get(bn.id) ?? []);
  if (!end) return undefined;
  const refusal = foldRefusal(m, bn, o);
  return refusal ? { end: end.id, refusal } : { end: end.id };
}

/** Every batch norm the rule has a word on, by id: folded ones (no `refusal`) and refused ones. */
export function foldDecisions(m: Module, readers = readersOf(m), o: FoldOptions = {}): Map<string, FoldDecision> {
  const out = new Map<string, FoldDecision>();
  for (const n of Object.values(m.nodes)) {
    const d = foldDecision(m, n, readers, o);
    if (d) out.set(n.id, d);
  }
  return out;
}

/**
 * The batch norms after a binary layer that fold into one threshold compare an element, each with
 * the node whose output the compare produces: the sign or relu after it, or the batch norm itself
 * when it binarizes its own output and nothing after it folds. The estimate prices this set and
 * `kiln run`'s lowering folds it where the data keeps the sums whole (runtime/lowered/precision).
 * A caller that also reports the refusals decides once with foldDecisions and takes foldedOf them.
 */
export function thresholdBatchnorms(m: Module, readers = readersOf(m), o: FoldOptions = {}): Map<string, string> {
  return foldedOf(foldDecisions(m, readers, o));
}

/** The folds among the decisions: each batch norm that folds, with the node its compare produces. */
export function foldedOf(decisions: ReadonlyMap<string, FoldDecision>): Map<string, string> {
  return new Map([...decisions].filter(([, d]) => !d.refusal).map(([bn, d]) => [bn, d.end]));
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

function readersThrough(id: string, readers: Map<string, Node[]>): string[] {
  return (readers.get(id) ?? []).flatMap((r) => (PASSES_ON.has(r.op) ? readersThrough(r.id, readers) : [r.id]));
}

/**
 * Layers (`multiplies`: the ones that make sums) whose one reader is a folded batch norm or a
 * sign. A layer the network outputs, or that anything else reads, must keep its sums.
 */
export function compareOnOutputs(m: Module, thresholded: ReadonlyMap<string, string>, multiplies: (n: Node) => boolean, readers = readersOf(m)): Map<string, CompareOnOutput> {
  const out = new Map<string, CompareOnOutput>();
  for (const n of Object.values(m.nodes)) {
    const next = readers.get(n.id) ?? [];
    if (!multiplies(n) || next.length !== 1 || m.outputs.includes(n.id)) continue;
    const r = next[0]!;
    const folded = thresholded.get(r.id);
    const end = folded !== undefined ? m.nodes[folded]! : r.op === 'sign' && r.inputs.length === 1 ? r : undefined;
    if (end) out.set(n.id, { by: r.id, dtype: end.type!.dtype, threshold: folded !== undefined, readBy: readersThrough(end.id, readers) });
  }
  return out;
}

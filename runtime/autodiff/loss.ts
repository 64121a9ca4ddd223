/**
 * Losses over a network's (first) output, whose last axis holds the classes, against integer
 * labels, one per row (a sequence output [B, T, V] has B·T rows):
 *   cross_entropy  −mean log p[label]. For an output that is a softmax over the last axis, the
 *                  loss and its gradient come from the softmax's input through the fused
 *                  log-softmax (dL/dz = (p − onehot)/N): stable, and no softmax Jacobian. A
 *                  log_softmax output is used as log-probabilities. Any other output is taken as
 *                  logits, a spiking output's being its firing rates in [0, 1]: close to snnTorch's
 *                  ce_rate_loss, which applies cross-entropy to each step's spikes. (Spike counts
 *                  as logits saturate the softmax: an always-firing wrong class then costs up to
 *                  T nats and its surrogate gradient is near zero, so training stalls.)
 *   mse            mean over every element of (y − onehot)², PyTorch's reduction = 'mean'.
 * A softmax over another axis (a segmentation network's channels) holds the classes there: its
 * rows are the positions, one label each (class-axis.ts), and the same losses apply per pixel.
 */
import type { Module, NodeId } from '../../compiler/ir/module.ts';
import { KilnError, error } from '../../compiler/lang/diagnostics.ts';
import { type Tensor, zeros } from '../tensor.ts';
import type { ForwardResult } from './forward.ts';
import { classAxis, classesBack, classesLast } from './class-axis.ts';

export type LossKind = 'cross_entropy' | 'mse';

export interface LossResult {
  /** Mean loss over the rows. */
  loss: number;
  /** dL/d(value) for the backward sweep. */
  seeds: Map<NodeId, Tensor>;
  /** Rows whose argmax equals the label, and rows in all. */
  correct: number;
  rows: number;
}

/** Argmax along the last axis, row by row. */
export function argmaxRows(t: Tensor): Int32Array {
  const c = t.shape[t.shape.length - 1] ?? 1;
  const rows = t.data.length / c;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = -Infinity, at = 0;
    for (let j = 0; j < c; j++) { const v = t.data[r * c + j]!; if (v > best) { best = v; at = j; } }
    out[r] = at;
  }
  return out;
}

export function countCorrect(out: Tensor, labels: ArrayLike<number>): number {
  const pred = argmaxRows(out);
  let n = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) n++;
  return n;
}

/** log Σ exp over one row of `c` values at `o`, shifted by the row's maximum so no exp overflows. */
function rowLogSumExp(data: ArrayLike<number>, o: number, c: number): number {
  let m = -Infinity, s = 0;
  for (let j = 0; j < c; j++) m = Math.max(m, data[o + j]!);
  for (let j = 0; j < c; j++) s += Math.exp(data[o + j]! - m);
  return m + Math.log(s);
}

/** −mean log softmax(z)[label] and its gradient w.r.t. z, row by row. */
function softmaxCrossEntropy(z: Tensor, labels: ArrayLike<number>): { loss: number; grad: Tensor } {
  const c = z.shape[z.shape.length - 1]!;
  const rows = z.data.length / c;
  const grad = zeros(z.shape);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    const lse = rowLogSumExp(z.data, o, c);
    const y = labels[r]!;
    loss += lse - z.data[o + y]!;
    for (let j = 0; j < c; j++) grad.data[o + j] = (Math.exp(z.data[o + j]! - lse) - (j === y ? 1 : 0)) / rows;
  }
  return { loss: loss / rows, grad };
}

/**
 * Mean −log p[label] per row of a network output, in nats: `op` says what the output holds (a
 * softmax: probabilities; log_softmax: log-probabilities; anything else: logits). Its exp is the
 * perplexity a language model is compared by. A probability that rounded to 0 in float32 counts
 * as the smallest float32 (≈ 103 nats), so one such token cannot make the mean infinite.
 */
export function meanCrossEntropy(out: Float32Array, classes: number, labels: ArrayLike<number>, op: string): number {
  const rows = labels.length;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * classes, v = out[o + labels[r]!]!;
    if (op === 'softmax') sum -= Math.log(Math.max(v, 1.4e-45));
    else if (op === 'log_softmax') sum -= v;
    else sum += rowLogSumExp(out, o, classes) - v;
  }
  return sum / rows;
}

function checkLabels(m: Module, out: Tensor, labels: ArrayLike<number>): number {
  const c = out.shape[out.shape.length - 1]!;
  const rows = out.data.length / c;
  const node = m.nodes[m.outputs[0]!]!;
  if (labels.length !== rows) {
    throw new KilnError(error('train', `output \`${node.id}\` has ${rows} rows of ${c} classes, but the data gives ${labels.length} labels per batch`, node.loc,
      'the output must be [batch, classes] (or [batch, steps, classes] for sequences), matching the data set'));
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!(y >= 0 && y < c)) throw new KilnError(error('train', `label ${y} is outside the ${c} classes of output \`${node.id}\``, node.loc, 'the last axis of the output must have one entry per class'));
  }
  return rows;
}

export function computeLoss(m: Module, fwd: ForwardResult, labels: ArrayLike<number>, kind: LossKind): LossResult {
  const id = m.outputs[0]!;
  const node = m.nodes[id]!;
  const axis = classAxis(node, fwd.outputs[id]!.shape.length);
  const entries = fwd.tape.filter((e) => e.node === id);
  // Only a softmax's loss reads its input: other outputs (log_softmax over channels) skip the transpose.
  const fusedInput = node.op === 'softmax' && entries.length === 1 && !entries[0]!.outputQuant ? classesLast(entries[0]!.inputs[0]!, axis) : undefined;
  const r = lossClassesLast(m, classesLast(fwd.outputs[id]!, axis), fusedInput, labels, kind);
  for (const [k, g] of r.seeds) r.seeds.set(k, classesBack(g, axis));
  return r;
}

/** The loss of an output whose classes are on its last axis; `fusedInput` is a softmax's input, if it was recorded. */
function lossClassesLast(m: Module, out: Tensor, fusedInput: Tensor | undefined, labels: ArrayLike<number>, kind: LossKind): LossResult {
  const id = m.outputs[0]!;
  const node = m.nodes[id]!;
  const rows = checkLabels(m, out, labels);
  const correct = countCorrect(out, labels);
  const seeds = new Map<NodeId, Tensor>();
  if (kind === 'mse') {
    const c = out.shape[out.shape.length - 1]!;
    const g = zeros(out.shape);
    let loss = 0;
    for (let i = 0; i < out.data.length; i++) {
      const d = out.data[i]! - (i % c === labels[Math.floor(i / c)] ? 1 : 0);
      loss += d * d;
      g.data[i] = (2 * d) / out.data.length;
    }
    seeds.set(id, g);
    return { loss: loss / out.data.length, seeds, correct, rows };
  }
  if (node.op === 'softmax' && fusedInput) {
    const { loss, grad } = softmaxCrossEntropy(fusedInput, labels);
    seeds.set(node.inputs[0]!, grad);
    return { loss, seeds, correct, rows };
  }
  if (node.op === 'log_softmax') {
    const c = out.shape[out.shape.length - 1]!;
    const g = zeros(out.shape);
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      loss -= out.data[r * c + labels[r]!]!;
      g.data[r * c + labels[r]!] = -1 / rows;
    }
    seeds.set(id, g);
    return { loss: loss / rows, seeds, correct, rows };
  }
  const { loss, grad } = softmaxCrossEntropy(out, labels);
  seeds.set(id, grad);
  return { loss, seeds, correct, rows };
}

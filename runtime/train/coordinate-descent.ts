/**
 * Ternary (and binary) weights trained by coordinate descent over their value set, after CoNNTrA
 * (Date, Carothers, Mitchell, Hendler & Magdon-Ismail 2020, "Training deep neural networks with
 * constrained learning parameters"). The weights of a layer with `weights = ternary` only ever
 * hold values of {−α, 0, +α}, α per layer (per output channel with `ternary per_channel`) fixed at
 * the start as TWN's scale of the initial weights; `weights = binary` layers hold {−1, +1}. No
 * latent real weight is kept and no gradient step is taken on them.
 *
 * Trying every value of every weight against the loss, one weight at a time, costs a forward pass
 * per trial; Kiln makes a step affordable so:
 *   1. one forward and backward pass give the minibatch loss L0 and dL/dw for every weight;
 *   2. each weight's candidate move is to the neighbouring value of its set in the descent
 *      direction (−α → 0 → +α; ±1 → ∓1 for binary), with the first-order estimate of the loss
 *      change, ΔL ≈ g·(w' − w);
 *   3. the `fraction` of all discrete weights with the largest estimated decrease move together,
 *      and a forward pass on the same minibatch confirms: kept if the loss is below L0, else
 *      undone and retried with half as many moves, at most `tries` times.
 * Everything that is not a discrete weight (biases, batch norm, f32 layers) follows Adam at `lr`.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { declaredPrecision } from '../../compiler/ir/node-precision.ts';
import type { Loc } from '../../compiler/lang/ast.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { computeLoss, forward, isQuantizedParam, lossAndGradients, type LossKind } from '../autodiff.ts';
import type { Inputs, Weights } from '../interpreter/types.ts';
import { ternarize } from '../kernels/ternary.ts';
import type { Params } from '../optim.ts';
import { paramKey, paramMap } from './state.ts';

interface DiscreteParam {
  key: string;
  w: Float32Array;
  /** Step between neighbouring values per output channel (one entry per tensor unless per channel). */
  alpha: Float32Array;
  /** Elements per output channel (the whole tensor when `alpha` has one entry). */
  inner: number;
  binary: boolean;
}

export interface CoordinateDescentOptions {
  fraction: number;
  tries: number;
  loss: LossKind;
}

/** Project the layers' discrete weights onto their value sets and remember each set's step. */
export function discreteParams(m: Module, weights: Weights, at?: Loc): DiscreteParam[] {
  const out: DiscreteParam[] = [];
  for (const node of Object.values(m.nodes)) {
    const p = declaredPrecision(node, 'weights');
    if (p?.dtype !== 'ternary' && p?.dtype !== 'binary') continue;
    for (const [name, t] of Object.entries(weights[node.id] ?? {})) {
      if (!isQuantizedParam(node.op, name)) continue;
      const key = paramKey(node.id, name);
      if (p.dtype === 'binary') {
        for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! >= 0 ? 1 : -1;
        out.push({ key, w: t.data, alpha: Float32Array.of(1), inner: t.data.length, binary: true });
        continue;
      }
      const perChannel = p.granularity === 'per_channel' && t.shape.length >= 2;
      const tt = ternarize(t, { axis: perChannel ? 0 : undefined });
      const inner = t.data.length / tt.scale.length;
      // An all-zero channel has no TWN scale; any positive step lets its weights leave zero.
      const alpha = tt.scale.map((a) => (a > 0 ? a : 1e-2));
      for (let i = 0; i < t.data.length; i++) t.data[i] = tt.values[i]! * alpha[Math.floor(i / inner)]!;
      out.push({ key, w: t.data, alpha, inner, binary: false });
    }
  }
  if (out.length === 0) {
    throw new KilnError(error('train', `optimizer coordinate_descent: network \`${m.name}\` has no layer with ternary or binary weights`, at,
      'give its layers `weights = ternary` (or binary), or train it with adam or sgd'));
  }
  return out;
}

/** The neighbouring value in the descent direction of gradient g, or the current one. */
function neighbour(d: DiscreteParam, i: number, g: number): number {
  const a = d.alpha[Math.floor(i / d.inner)]!;
  const w = d.w[i]!;
  if (g === 0) return w;
  if (d.binary) return g > 0 ? -1 : 1;
  const code = Math.round(w / a) - Math.sign(g);
  return Math.max(-1, Math.min(1, code)) * a;
}

/**
 * One coordinate-descent step on the minibatch. Returns the loss before the step and the
 * gradients of every parameter (for the optimizer of the real-valued ones) and the forward state.
 */
export function coordinateStep(m: Module, weights: Weights, discrete: DiscreteParam[], inputs: Inputs, labels: ArrayLike<number>, seed: number, o: CoordinateDescentOptions) {
  const r = lossAndGradients(m, weights, inputs, labels, { loss: o.loss, seed });
  const grads = paramMap(r.grads.params);
  const total = discrete.reduce((n, d) => n + d.w.length, 0);
  const all = new Float64Array(total);
  let n = 0;
  for (const d of discrete) {
    const g = grads.get(d.key);
    if (!g) continue;
    for (let i = 0; i < d.w.length; i++) { const gain = -g[i]! * (neighbour(d, i, g[i]!) - d.w[i]!); if (gain > 0) all[n++] = gain; }
  }
  const gains = all.subarray(0, n).sort();
  let moves = Math.min(n, Math.max(1, Math.round(o.fraction * total)));
  let accepted = 0;
  for (let t = 0; t < o.tries && moves >= 1; t++, moves = Math.floor(moves / 2)) {
    const undo = apply(discrete, grads, gains[n - moves]!, moves);
    const after = computeLoss(m, forward(m, weights, inputs, { training: true, seed }), labels, o.loss).loss;
    if (after < r.loss) { accepted = undo.length; break; }
    for (const [w, i, v] of undo) w[i] = v;
  }
  const discreteKeys = new Set(discrete.map((d) => d.key));
  const realGrads: Params = new Map([...grads].filter(([k]) => !discreteKeys.has(k)));
  return { loss: r.loss, correct: r.correct, rows: r.rows, state: r.state, realGrads, accepted };
}

/** Move up to `limit` weights whose estimated decrease is at least `threshold`; returns how to undo. */
function apply(discrete: DiscreteParam[], grads: Map<string, Float32Array>, threshold: number, limit: number): [Float32Array, number, number][] {
  const undo: [Float32Array, number, number][] = [];
  for (const d of discrete) {
    const g = grads.get(d.key);
    if (!g) continue;
    for (let i = 0; i < d.w.length && undo.length < limit; i++) {
      const next = neighbour(d, i, g[i]!);
      if (-g[i]! * (next - d.w[i]!) >= threshold && next !== d.w[i]) { undo.push([d.w, i, d.w[i]!]); d.w[i] = next; }
    }
  }
  return undo;
}

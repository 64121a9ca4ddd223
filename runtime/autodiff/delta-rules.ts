/**
 * Backward of the `delta =` layers and the L1 cost on their changes (docs/delta-networks.md). The
 * encoder's threshold is passed straight through, so a delta dense layer differentiates as a
 * dense layer on the references it multiplied, and a delta recurrent layer by its own BPTT
 * (kernels/delta-recurrent.ts). The train block's `delta_l1 = λ` adds
 *   λ · (1/B) · Σ |v_t − v_{t−1}|
 * for every delta recurrent layer's hidden state (each stacked layer) and every delta dense layer's
 * input when another layer computes it (a data input's changes are not the network's to shrink):
 * B samples, steps t, units, v_{−1} = 0.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { Tensor } from '../tensor.ts';
import { denseBackward } from '../kernels/dense.ts';
import { addChangeL1Grad, changeL1 } from '../kernels/delta-l1.ts';
import { type DeltaRecurrentCache, deltaRecurrentBackward } from '../kernels/delta-recurrent.ts';
import type { RecurrentGrads, RecurrentWeights } from '../kernels/rnn-common.ts';
import { batchFirst, timeFirst } from '../interpreter/delta.ts';
import type { TapeEntry } from '../interpreter/types.ts';
import type { RuleArgs, RuleResult } from './types.ts';

const isDelta = (m: Module, id: string): boolean => m.nodes[id]?.attrs.delta !== undefined;

/** Whether a delta dense layer's input changes are penalized: another layer computes them. */
function penalizesInput(m: Module, id: string): boolean {
  const from = m.nodes[m.nodes[id]!.inputs[0]!];
  return from !== undefined && from.op !== 'input';
}

/** The L1 cost's value over a forward tape (0 without delta layers or λ). */
export function deltaPenalty(m: Module, tape: readonly TapeEntry[], lambda: number): number {
  if (!lambda) return 0;
  let sum = 0;
  for (const e of tape) {
    if (!isDelta(m, e.node)) continue;
    const batch = e.inputs[0]!.shape[0]!;
    if (e.op === 'dense') {
      if (!penalizesInput(m, e.node)) continue;
      const x = timeFirst(e.inputs[0]!);
      sum += changeL1(x.data, x.shape[0]!, x.shape[1]! * x.shape[2]!) / batch;
    } else {
      for (const l of e.saved.layers as { cache: DeltaRecurrentCache }[]) sum += l.cache.changeL1 / batch;
    }
  }
  return lambda * sum;
}

export function deltaDenseRule(a: RuleArgs, m: Module | undefined, lambda: number): RuleResult {
  const p = a.entry.params;
  const x = a.entry.inputs[0]!;
  const g = denseBackward(a.entry.saved.xhat as Tensor, p.weight!, a.dy!, { input: a.want[0], weight: true, bias: p.bias !== undefined });
  if (g.dx && lambda && m && penalizesInput(m, a.node.id)) {
    const xt = timeFirst(x);
    const gt = timeFirst(g.dx);
    addChangeL1Grad(xt.data, xt.shape[0]!, xt.shape[1]! * xt.shape[2]!, lambda / x.shape[0]!, gt.data);
    g.dx = batchFirst(gt, x.shape);
  }
  return { inputs: [g.dx], params: { weight: g.dw!, ...(g.db ? { bias: g.db } : {}) } };
}

/** One stacked delta layer's BPTT, with the L1 cost's gradient on its states. */
export function deltaLayerBackward(input: Tensor, wt: RecurrentWeights, cache: DeltaRecurrentCache, dy: Tensor | undefined, dhT: Tensor | undefined, lambda: number): RecurrentGrads {
  return deltaRecurrentBackward(input, wt, cache, dy, dhT, lambda / cache.dims.b);
}

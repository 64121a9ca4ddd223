/**
 * Rate regularization for ANNs meant for conversion to spiking networks (after Patel et al. 2021,
 * "A spiking neural network for image segmentation", who add a loss on a percentile of each
 * layer's activations so that the converted network's firing rates stay in a usable band). For
 * every relu layer, q is the p-th percentile of the batch's positive activations; the penalty is
 * weight·(max(0, q − high)² + max(0, low − q)²), summed over the layers. The percentile is one
 * element of the batch, so the gradient flows to that element alone (the order statistic's
 * derivative), as a sort-based percentile in an autodiff framework does.
 */
import type { Module, NodeId } from '../../compiler/ir/module.ts';
import { type Tensor, zeros } from '../tensor.ts';
import type { ForwardResult } from './forward.ts';

export interface RateBand {
  low: number;
  high: number;
  /** 0 < percentile ≤ 100. */
  percentile: number;
  weight: number;
}

/** The index, into `v`, of the element at the p-th percentile of v's positive values (−1 if none is positive). */
export function percentileIndex(v: Float32Array, p: number): number {
  const pos = v.filter((x) => x > 0).sort();
  if (pos.length === 0) return -1;
  const want = pos[Math.min(pos.length - 1, Math.max(0, Math.ceil((p / 100) * pos.length) - 1))]!;
  return v.indexOf(want);
}

/** The band penalty of one forward pass and dL/d(value) of each relu it touches. */
export function rateBandLoss(m: Module, fwd: ForwardResult, band: RateBand): { loss: number; seeds: Map<NodeId, Tensor> } {
  const seeds = new Map<NodeId, Tensor>();
  let loss = 0;
  for (const e of fwd.tape) {
    if (m.nodes[e.node]?.op !== 'relu') continue;
    const v = e.output.data;
    const at = percentileIndex(v, band.percentile);
    if (at < 0) continue; // a silent layer has no element to move (relu passes no gradient at 0)
    const q = v[at]!;
    const over = Math.max(0, q - band.high), under = Math.max(0, band.low - q);
    if (over === 0 && under === 0) continue;
    loss += band.weight * (over * over + under * under);
    const g = seeds.get(e.node) ?? zeros(e.output.shape);
    // A node evaluated at several steps reports its mean, so a step's element carries 1/steps of it.
    g.data[at] = g.data[at]! + (2 * band.weight * (over - under)) / fwd.steps;
    seeds.set(e.node, g);
  }
  return { loss, seeds };
}

/** `a` plus `b`, node by node. */
export function addSeeds(a: Map<NodeId, Tensor>, b: ReadonlyMap<NodeId, Tensor>): Map<NodeId, Tensor> {
  for (const [id, g] of b) {
    const prev = a.get(id);
    if (!prev) { a.set(id, g); continue; }
    const sum = zeros(prev.shape);
    for (let i = 0; i < sum.data.length; i++) sum.data[i] = prev.data[i]! + g.data[i]!;
    a.set(id, sum);
  }
  return a;
}

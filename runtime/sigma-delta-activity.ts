/**
 * What sigma-delta layers actually transmit (docs/lmu.md), measured by running the network in the
 * interpreter on sample data: per layer (an `lmu` with `sigma_delta =`, or a `sigma_delta` op) the
 * integers its units sent at every step, summarised as
 *   events_per_activation  mean |n|: events (spikes of weight `scale`) per unit per step
 *   zero_fraction          share of unit-steps that sent nothing
 *   entropy_bits           Shannon entropy of the sent integers: the mean bits per activation of
 *                          an ideal code for the whole layer
 *   fixed_bits             per unit, log2 of the number of integers between the least and most it
 *                          ever sent (the width of a fixed code that carries all its values),
 *                          averaged over units: "at most this many bits per activation, on
 *                          average", the form of Voelker et al. 2020's 3.74-bit figure
 * Like firing rates (runtime/activity/probes.ts), it depends on the weights: measure trained ones.
 * `kiln estimate --measure` measures the same (runtime/activity/probes.ts) and prices the products
 * that read these units per event with events_per_activation (targets/activity-pricing.ts).
 */
import type { Module } from '../compiler/ir/module.ts';
import type { Dataset } from './data/dataset.ts';
import { run, type Weights } from './interpreter.ts';
import type { SentCounts } from './interpreter/lmu.ts';
import { inOrderBatches, inputPlan } from './train/batches.ts';
import { countCorrect } from './autodiff/loss.ts';
import { isSigmaDelta } from '../targets/lmu-work.ts';

export interface SigmaDeltaLayerActivity {
  /** Unit-steps measured (units × steps × samples). */
  activations: number;
  events: number;
  events_per_activation: number;
  zero_fraction: number;
  entropy_bits: number;
  fixed_bits: number;
}

export interface SigmaDeltaActivity {
  /** By node id, every sigma-delta layer. */
  layers: Record<string, SigmaDeltaLayerActivity>;
  samples: number;
  correct: number;
  rows: number;
}

/** Running sums of one layer's sent integers. */
class Tally {
  histogram = new Map<number, number>();
  min: Int32Array;
  max: Int32Array;
  constructor(readonly units: number) {
    this.min = new Int32Array(units).fill(2 ** 31 - 1);
    this.max = new Int32Array(units).fill(-(2 ** 31));
  }

  add(s: SentCounts): void {
    const { counts, units } = s;
    for (let i = 0; i < counts.length; i++) {
      const n = counts[i]!, u = i % units;
      this.histogram.set(n, (this.histogram.get(n) ?? 0) + 1);
      if (n < this.min[u]!) this.min[u] = n;
      if (n > this.max[u]!) this.max[u] = n;
    }
  }

  summary(): SigmaDeltaLayerActivity {
    let total = 0, events = 0;
    for (const [n, c] of this.histogram) { total += c; events += Math.abs(n) * c; }
    let entropy = 0;
    for (const c of this.histogram.values()) entropy -= (c / total) * Math.log2(c / total);
    let fixed = 0;
    for (let u = 0; u < this.units; u++) fixed += Math.log2(this.max[u]! - this.min[u]! + 1);
    return {
      activations: total, events, events_per_activation: total ? events / total : 0,
      zero_fraction: total ? (this.histogram.get(0) ?? 0) / total : 0,
      entropy_bits: entropy, fixed_bits: this.units ? fixed / this.units : 0,
    };
  }
}

/** Per node id, the tallies of what its units sent, added to record by record. */
export class SentTally {
  private tallies = new Map<string, Tally>();

  add(id: string, s: SentCounts): void {
    let t = this.tallies.get(id);
    if (!t) { t = new Tally(s.units); this.tallies.set(id, t); }
    t.add(s);
  }

  summary(): Record<string, SigmaDeltaLayerActivity> {
    return Object.fromEntries([...this.tallies].map(([id, t]) => [id, t.summary()]));
  }
}

/** Whether a module has a sigma-delta layer. */
export const hasSigmaDelta = (m: Module): boolean => Object.values(m.nodes).some(isSigmaDelta);

export function measureSigmaDeltaActivity(m: Module, weights: Weights, data: Dataset, samples: number, onBatch?: (done: number, total: number) => void): SigmaDeltaActivity {
  const plan = inputPlan(m, data);
  const count = Math.min(samples, data.count);
  const tally = new SentTally();
  let correct = 0, rows = 0;
  // Short last batch rather than padded: padding samples would count as activity.
  for (const { x, labels, start, n } of inOrderBatches(data, plan, count, true)) {
    const r = run(m, weights, { [plan.id]: x }, { record: true, checkShapes: false });
    for (const e of r.tape!) if (e.saved.counts) tally.add(e.node, e.saved.counts as SentCounts);
    correct += countCorrect(r.outputs[m.outputs[0]!]!, labels);
    rows += labels.length;
    onBatch?.(start + n, count);
  }
  return { layers: tally.summary(), samples: count, correct, rows };
}

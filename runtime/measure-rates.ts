/**
 * Firing rates measured by running the network in the reference interpreter on sample data:
 * for every lif population, each neuron's spikes per time step averaged over the samples (the
 * interpreter returns a spiking node's value as its mean over the time steps); for the input,
 * the rate a rate-coding host would send, clamp(x, 0, 1) per pixel. Rates depend on the weights,
 * so they mean most with trained ones (a checkpoint).
 */
import type { Module } from '../compiler/ir/module.ts';
import type { Dataset } from './data/dataset.ts';
import { run, type Weights } from './interpreter.ts';
import { gather, inputPlan } from './train/batches.ts';

export interface MeasuredRates {
  /** Per population (lif node id or input id): one rate per neuron of a sample, NCHW order. */
  neuronRates: Record<string, Float64Array>;
  samples: number;
}

export function measureRates(m: Module, weights: Weights, data: Dataset, samples: number, onBatch?: (done: number, total: number) => void): MeasuredRates {
  const plan = inputPlan(m, data);
  const count = Math.min(samples, data.count);
  const lifs = Object.values(m.nodes).filter((n) => n.op === 'lif').map((n) => n.id);
  const sums: Record<string, Float64Array> = {};
  const perSample = (id: string) => m.nodes[id]!.type!.shape.slice(1).reduce((a, b) => a * b, 1);
  for (const id of [...lifs, plan.id]) sums[id] = new Float64Array(perSample(id));
  for (let start = 0; start < count; start += plan.batch) {
    const n = Math.min(plan.batch, count - start);
    const { x } = gather(data, plan, undefined, start, n);
    const r = run(m, weights, { [plan.id]: x }, { keepValues: true });
    for (const id of lifs) accumulate(sums[id]!, r.values![id]!.data, n, (v) => v);
    accumulate(sums[plan.id]!, x.data, n, (v) => Math.min(1, Math.max(0, v)));
    onBatch?.(start + n, count);
  }
  for (const s of Object.values(sums)) for (let i = 0; i < s.length; i++) s[i] = s[i]! / count;
  return { neuronRates: sums, samples: count };
}

/** Add the first `n` samples of a batch-major tensor into per-neuron sums. */
function accumulate(sum: Float64Array, data: ArrayLike<number>, n: number, f: (v: number) => number): void {
  const size = sum.length;
  for (let b = 0; b < n; b++) for (let i = 0; i < size; i++) sum[i]! += f(data[b * size + i]!);
}

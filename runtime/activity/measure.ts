/**
 * Activity measured by running the network in the reference interpreter on sample data: every
 * probe (probes.ts) that applies to a node sees each evaluation of it, each time step of each
 * batch, and the layer's activity is the probes' fractions. It depends on the weights, so it
 * means most with trained ones (a checkpoint).
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { Activity, LayerActivity } from '../../targets/activity.ts';
import type { Dataset } from '../data/dataset.ts';
import { run, type RunOptions, type Weights } from '../interpreter.ts';
import { inOrderBatches, inputPlan } from '../train/batches.ts';
import { ACTIVITY_PROBES, type ActivityProbe, type ProbeTally } from './probes.ts';

export interface MeasuredActivity {
  activity: Activity;
  samples: number;
}

export function measureActivity(m: Module, weights: Weights, data: Dataset, samples: number, onBatch?: (done: number, total: number) => void,
  probes: readonly ActivityProbe[] = ACTIVITY_PROBES): MeasuredActivity {
  const plan = inputPlan(m, data);
  const count = Math.min(samples, data.count);
  const options = new Map(probes.map((p) => [p, p.runOptions?.() ?? {}]));
  const tallies = new Map<string, [ActivityProbe, ProbeTally][]>();
  for (const node of Object.values(m.nodes)) {
    const t = probes.filter((p) => p.applies(node, m)).map((p): [ActivityProbe, ProbeTally] => [p, p.start(node, m, options.get(p)!)]);
    if (t.length) tallies.set(node.id, t);
  }
  const extra: Partial<RunOptions> = Object.assign({}, ...options.values());
  // A kernel's own counters (a delta layer's MACs) cannot tell padding rows from samples, so where
  // a probe reads them the last batch runs short instead of padded, as runtime/delta-activity.ts does.
  const counting = [...tallies.values()].some((ts) => ts.some(([p]) => p.runOptions));
  for (const { x, start, n } of inOrderBatches(data, plan, count, counting)) {
    // The input is not an op evaluation: a direct-coded input is the same at every step, seen once.
    for (const [, t] of tallies.get(plan.id) ?? []) t.observe(x, n);
    run(m, weights, { [plan.id]: x }, {
      ...extra, ...(x.shape[0] === plan.shape[0] ? {} : { checkShapes: false }),
      onNode: (e) => {
        for (const [, t] of tallies.get(e.node.id) ?? []) t.observe(e.output, n, e.entry?.saved);
        return e.output;
      },
    });
    onBatch?.(start + n, count);
  }
  const layers: Record<string, LayerActivity> = {};
  for (const [id, ts] of tallies) {
    const l: LayerActivity = {};
    for (const [p, t] of ts) {
      const v = t.value();
      if (v !== undefined) l[p.key] = v;
      Object.assign(l, t.others?.());
      if (t.perNeuron) l.neuron_rates = t.perNeuron();
    }
    layers[id] = l;
  }
  return { activity: { layers, source: 'measured' }, samples: count };
}

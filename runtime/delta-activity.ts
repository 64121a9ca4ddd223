/**
 * How much of its products each `delta =` layer really did, measured by running the network in
 * the interpreter on sample data (docs/delta-networks.md): per layer the multiply-accumulates done,
 * the dense layer's count on the same inputs, and their ratio, the transmitted fraction a cost
 * model prices a delta layer's GEMMs by. Like firing rates (runtime/activity/probes.ts), it depends on the
 * weights, so it means most with trained ones.
 */
import type { Module } from '../compiler/ir/module.ts';
import type { MacCount } from './kernels/delta-encode.ts';
import type { Dataset } from './data/dataset.ts';
import { run, type Weights } from './interpreter.ts';
import { inOrderBatches, inputPlan } from './train/batches.ts';
import { countCorrect } from './autodiff/loss.ts';

export interface DeltaLayerActivity extends MacCount {
  /** done / dense: the share of the dense layer's multiply-accumulates the delta layer did. */
  delta_fraction: number;
}

export interface DeltaActivity {
  /** By node id, every layer with `delta =`. */
  layers: Record<string, DeltaLayerActivity>;
  samples: number;
  /** Rows of the first output whose argmax is the label, in the same pass. */
  correct: number;
  rows: number;
}

/** Whether a module has any `delta =` layer. */
export const hasDeltaLayers = (m: Module): boolean => Object.values(m.nodes).some((n) => n.attrs.delta !== undefined);

function activityOf(macs: ReadonlyMap<string, MacCount>): Record<string, DeltaLayerActivity> {
  const out: Record<string, DeltaLayerActivity> = {};
  for (const [id, c] of macs) out[id] = { ...c, delta_fraction: c.dense ? c.done / c.dense : 0 };
  return out;
}

export function measureDeltaActivity(m: Module, weights: Weights, data: Dataset, samples: number, onBatch?: (done: number, total: number) => void): DeltaActivity {
  const plan = inputPlan(m, data);
  const count = Math.min(samples, data.count);
  const macs = new Map<string, MacCount>();
  let correct = 0, rows = 0;
  // The last batch runs short rather than padded: padding rows would count as dense work.
  for (const { x, labels, start, n } of inOrderBatches(data, plan, count, true)) {
    const out = run(m, weights, { [plan.id]: x }, { macs, checkShapes: false }).outputs[m.outputs[0]!]!;
    correct += countCorrect(out, labels);
    rows += labels.length;
    onBatch?.(start + n, count);
  }
  return { layers: activityOf(macs), samples: count, correct, rows };
}

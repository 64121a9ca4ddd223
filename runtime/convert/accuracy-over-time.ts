/**
 * Test accuracy of a spiking network after each of several step counts, from one run of the
 * largest: the output spikes are summed step by step and the argmax of the running count is read
 * at every requested T. With a constant-current input nothing before the last step depends on how
 * many steps follow, so this equals separate runs of T steps each, at the cost of one.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { Dataset } from '../data/dataset.ts';
import { argmaxRows } from '../autodiff/loss.ts';
import { run } from '../interpreter.ts';
import type { Weights } from '../interpreter/types.ts';
import { gather, inputPlan } from '../train/batches.ts';

export interface OverTimeOptions {
  /** Evaluate the first `limit` samples only. */
  limit?: number;
  onProgress?(done: number, total: number): void;
}

/** Accuracy after each of `steps` (ascending or not) time steps, in the order given. */
export function accuracyOverTime(m: Module, weights: Weights, ds: Dataset, steps: readonly number[], o: OverTimeOptions = {}): number[] {
  const longest = Math.max(...steps);
  const module: Module = { ...m, timesteps: longest };
  const plan = inputPlan(module, ds);
  const count = Math.min(ds.count, o.limit ?? ds.count);
  const out = module.outputs[0]!;
  // As evaluate() counts them: one row per sample, or per position of a sequence output.
  const shape = module.nodes[out]!.type!.shape;
  const rowsPerSample = shape.reduce((a, b) => a * b, 1) / shape[shape.length - 1]! / plan.batch;
  const correct = steps.map(() => 0);
  for (let start = 0; start < count; start += plan.batch) {
    const n = Math.min(plan.batch, count - start);
    const { x, labels } = gather(ds, plan, undefined, start, n);
    let sum: Float32Array | undefined;
    run(module, weights, { [plan.id]: x }, {
      onNode: (e) => {
        if (e.node.id !== out) return e.output;
        sum ??= new Float32Array(e.output.data.length);
        for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + e.output.data[i]!;
        steps.forEach((t, k) => {
          if (t !== e.step + 1) return;
          const pred = argmaxRows({ shape: e.output.shape, data: sum! });
          for (let i = 0; i < n * rowsPerSample; i++) if (pred[i] === labels[i]) correct[k]!++;
        });
        return e.output;
      },
    });
    o.onProgress?.(start + n, count);
  }
  return correct.map((c) => c / (count * rowsPerSample));
}

/**
 * Test accuracy of a spiking network after each of several step counts, from one run of the
 * largest: the output spikes are summed step by step and the argmax of the running count is read
 * at every requested T. With a constant-current input nothing before the last step depends on how
 * many steps follow, so this equals separate runs of T steps each, at the cost of one.
 * The spiking output has lost the ANN's softmax, which said where the classes are: a
 * segmentation network's [batch, classes, H, W] spike counts are read on the axis given as
 * `classAxis` (the ANN's), else the last; segmentation also gets foreground IoU at each T.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { Dataset } from '../data/dataset.ts';
import { argmaxRows } from '../autodiff/loss.ts';
import { classesLast } from '../autodiff/class-axis.ts';
import { foregroundOverlap } from '../train/overlap.ts';
import { run } from '../interpreter.ts';
import type { Weights } from '../interpreter/types.ts';
import { inOrderBatches, inputPlan } from '../train/batches.ts';

export interface OverTimeOptions {
  /** Evaluate the first `limit` samples only. */
  limit?: number;
  onProgress?(done: number, total: number): void;
  /** Where the output keeps its classes (default: the last axis). */
  classAxis?: number;
  /** Score foreground IoU too (segmentation). */
  overlap?: boolean;
}

/** Accuracy after each of `steps` (ascending or not) time steps, in the order given. */
export function accuracyOverTime(m: Module, weights: Weights, ds: Dataset, steps: readonly number[], o: OverTimeOptions = {}): number[] {
  return scoresOverTime(m, weights, ds, steps, o).accuracy;
}

/** Accuracy, and with `overlap` the foreground IoU, after each of `steps` time steps. */
export function scoresOverTime(m: Module, weights: Weights, ds: Dataset, steps: readonly number[], o: OverTimeOptions = {}): { accuracy: number[]; iou?: number[] } {
  const longest = Math.max(...steps);
  const module: Module = { ...m, timesteps: longest };
  const plan = inputPlan(module, ds);
  const count = Math.min(ds.count, o.limit ?? ds.count);
  const out = module.outputs[0]!;
  // As evaluate() counts them: one row per sample, or per position of a sequence output.
  const shape = module.nodes[out]!.type!.shape;
  const axis = o.classAxis ?? shape.length - 1;
  const rowsPerSample = shape.reduce((a, b) => a * b, 1) / shape[axis]! / plan.batch;
  const correct = steps.map(() => 0);
  const predictions = o.overlap ? steps.map(() => new Int32Array(count * rowsPerSample)) : [];
  for (const { x, labels, start, n } of inOrderBatches(ds, plan, count, false)) {
    let sum: Float32Array | undefined;
    run(module, weights, { [plan.id]: x }, {
      onNode: (e) => {
        if (e.node.id !== out) return e.output;
        sum ??= new Float32Array(e.output.data.length);
        for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + e.output.data[i]!;
        steps.forEach((t, k) => {
          if (t !== e.step + 1) return;
          const pred = argmaxRows(classesLast({ shape: e.output.shape, data: sum! }, axis));
          for (let i = 0; i < n * rowsPerSample; i++) if (pred[i] === labels[i]) correct[k]!++;
          predictions[k]?.set(pred.subarray(0, n * rowsPerSample), start * rowsPerSample);
        });
        return e.output;
      },
    });
    o.onProgress?.(start + n, count);
  }
  const accuracy = correct.map((c) => c / (count * rowsPerSample));
  if (!o.overlap) return { accuracy };
  const labels = ds.y.subarray(0, count * rowsPerSample);
  return { accuracy, iou: predictions.map((p) => foregroundOverlap(p, labels).iou) };
}

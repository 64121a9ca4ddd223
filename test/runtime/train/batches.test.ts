/**
 * gather into the training loop's one input array gives what a fresh zeroed input does, also for
 * a short batch over an array still holding the previous batch (its padding rows must be zeros).
 */
import { describe, expect, it } from 'vitest';
import { gather, type InputPlan } from '../../../runtime/train/batches.ts';
import type { Dataset } from '../../../runtime/data/dataset.ts';

describe('gather', () => {
  it('into a reused array = into a fresh one, padding rows zeroed', () => {
    const per = 6, count = 10;
    const ds: Dataset = { name: 'toy', sampleShape: [per], x: Float32Array.from({ length: count * per }, (_, i) => i + 1), y: Int32Array.from({ length: count }, (_, i) => i % 3), count, classes: 3 };
    const plan: InputPlan = { id: 'x', shape: [4, per], batch: 4, sampleSize: per, labelsPerSample: 1 };
    const idx = [9, 2, 7, 0, 5, 1];
    const into = new Float32Array(4 * per).fill(-1);
    for (const [start, n] of [[0, 4], [4, 2]] as const) {
      const fresh = gather(ds, plan, idx, start, n), reused = gather(ds, plan, idx, start, n, into);
      expect(reused.x.data).toBe(into);
      expect(reused.x.shape).toEqual([4, per]);
      expect(Array.from(reused.x.data)).toEqual(Array.from(fresh.x.data));
      expect(Array.from(reused.labels)).toEqual(Array.from(fresh.labels));
    }
    expect(Array.from(into.subarray(2 * per))).toEqual(new Array(2 * per).fill(0));
  });
});

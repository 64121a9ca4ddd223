/**
 * The MNIST segmentation task: the target is the clean digit's mask, the input is cluttered enough
 * that thresholding it is a poor segmenter (so a network's IoU means something), everything is a
 * function of the seed, and IoU and Dice are the textbook ratios.
 */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { loadData } from '../../../runtime/data/index.ts';
import { mnistSplit } from '../../../runtime/data/mnist.ts';
import { FOREGROUND } from '../../../runtime/data/mnist-masks.ts';
import { foregroundOverlap } from '../../../runtime/train/overlap.ts';

describe('mnist_masks', () => {
  const data = loadData('mnist_masks', { train: 50, test: 300 });
  const clean = mnistSplit(50, 300);

  it('targets are the clean test digits above one half, one class per pixel', () => {
    expect(data.test.sampleShape).toEqual([1, 28, 28]);
    expect(data.test.y.length).toBe(300 * 784);
    expect(data.test.classes).toBe(2);
    let wrong = 0;
    for (let i = 0; i < data.test.y.length; i++) if (data.test.y[i] !== (clean.test.x[i]! > FOREGROUND ? 1 : 0)) wrong++;
    expect(wrong).toBe(0);
  });

  it('thresholding the cluttered input at one half is a poor segmenter (IoU well below 1), the clean digit a perfect one', () => {
    const thresholded = Array.from(data.test.x, (v) => (v > 0.5 ? 1 : 0));
    const base = foregroundOverlap(thresholded, data.test.y);
    expect(base.iou).toBeGreaterThan(0.2);
    expect(base.iou).toBeLessThan(0.6);
    expect(foregroundOverlap(Array.from(clean.test.x, (v) => (v > FOREGROUND ? 1 : 0)), data.test.y).iou).toBe(1);
  });

  it('is a function of its seed, and another seed gives other clutter on the same digits', () => {
    const again = loadData('mnist_masks', { train: 50, test: 300 });
    const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
    expect(same(again.test.x, data.test.x)).toBe(true);
    const other = loadData('mnist_masks', { train: 50, test: 300, seed: 6 });
    expect(same(other.test.y, data.test.y)).toBe(true);
    expect(same(other.test.x, data.test.x)).toBe(false);
  });

  it('with no noise and no strokes the input is the digit itself', () => {
    const plain = loadData('mnist_masks', { train: 5, test: 5, noise: 0, strokes: 0 });
    expect(plain.test.x).toEqual(clean.test.x.subarray(0, 5 * 784));
  });

  it('bad arguments are an error that says what it takes', () => {
    expect(() => loadData('mnist_masks', { train: 5, test: 5, strokes: 1.5 })).toThrowError(KilnError);
    expect(() => loadData('mnist_masks', { train: 5, test: 5, noise: -1 })).toThrowError(/noise ≥ 0/);
  });
});

describe('foreground IoU and Dice', () => {
  it('count over every pixel: TP 2, FP 1, FN 1 gives IoU 2/4 and Dice 4/6', () => {
    const r = foregroundOverlap([1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 0, 0]);
    expect(r.iou).toBeCloseTo(0.5, 12);
    expect(r.dice).toBeCloseTo(4 / 6, 12);
  });
});

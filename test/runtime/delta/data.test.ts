/** The delta-network data sets: sequential MNIST and the generated slow_signal task. */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { loadData } from '../../../runtime/data/index.ts';

describe('sequential_mnist', () => {
  it('is the mnist split, each digit 28 steps of 28 pixels', () => {
    const s = loadData('sequential_mnist', { train: 100, test: 50 });
    const flat = loadData('mnist', { train: 100, test: 50 });
    expect(s.train.sampleShape).toEqual([28, 28]);
    expect([s.train.count, s.test.count]).toEqual([100, 50]);
    expect(s.test.x).toEqual(flat.test.x);
    expect(s.test.y).toEqual(flat.test.y);
  });
});

describe('slow_signal', () => {
  it('has [length, channels] samples, balanced classes, and is a function of its seed', () => {
    const a = loadData('slow_signal', { classes: 3, length: 20, channels: 2, train: 30, test: 9 });
    expect(a.train.sampleShape).toEqual([20, 2]);
    expect(a.train.x.length).toBe(30 * 20 * 2);
    expect(Array.from(a.test.y)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(loadData('slow_signal', { classes: 3, length: 20, channels: 2, train: 30, test: 9 }).train.x).toEqual(a.train.x);
    expect(loadData('slow_signal', { classes: 3, length: 20, channels: 2, train: 30, test: 9, seed: 8 }).train.x).not.toEqual(a.train.x);
  });

  it('varies slowly: the mean step-to-step change is under half the mean level', () => {
    const d = loadData('slow_signal', { noise: 0 }).train;
    const [t, c] = d.sampleShape as [number, number];
    let change = 0, level = 0, n = 0;
    for (let s = 0; s < 100; s++) {
      for (let step = 1; step < t; step++) {
        for (let ch = 0; ch < c; ch++) {
          const q = (s * t + step) * c + ch;
          change += Math.abs(d.x[q]! - d.x[q - c]!);
          level += Math.abs(d.x[q]!);
          n++;
        }
      }
    }
    // Measured 0.37: the fastest family's harmonic has 8 cycles in 50 steps.
    expect(change / n).toBeLessThan(0.5 * (level / n));
  });

  it('rejects impossible sizes with the arguments it takes', () => {
    expect(() => loadData('slow_signal', { classes: 1 })).toThrow(KilnError);
    expect(() => loadData('slow_signal', { noise: -1 })).toThrow(/slow_signal needs whole numbers classes ≥ 2/);
  });
});

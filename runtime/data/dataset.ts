/** A labelled data set in memory: features as one Float32Array, labels as class ids. */
import type { Rng } from '../tensor.ts';
import type { Preprocess } from './preprocess.ts';

export interface Dataset {
  name: string;
  /** Shape of one sample, e.g. [784] or [1, 28, 28]. */
  sampleShape: number[];
  x: Float32Array;
  /** Class ids, or for sequences the next-token ids per position. */
  y: Int32Array;
  count: number;
  classes: number;
  /** How raw samples became `x` (stored in checkpoints for `kiln run` on raw inputs). */
  preprocess?: Preprocess;
}

export interface Split {
  train: Dataset;
  test: Dataset;
}

/** Fisher-Yates with a seeded generator: the same seed, the same order. */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

/** Take the samples at `idx` (in that order) into a new data set. */
export function subset(d: Dataset, idx: ArrayLike<number>, name = d.name): Dataset {
  const per = d.x.length / d.count;
  const yPer = d.y.length / d.count;
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length * yPer);
  for (let i = 0; i < idx.length; i++) {
    const s = idx[i]!;
    x.set(d.x.subarray(s * per, (s + 1) * per), i * per);
    y.set(d.y.subarray(s * yPer, (s + 1) * yPer), i * yPer);
  }
  return { ...d, name, x, y, count: idx.length };
}

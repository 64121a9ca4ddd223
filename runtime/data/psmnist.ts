/**
 * Permuted sequential MNIST (Le, Jaitly & Hinton 2015; the LMU's benchmark in Voelker et al.
 * 2019): the `mnist` split (mnist.ts), each digit read one pixel per time step in a fixed random
 * order of its 784 pixels, so [784, 1] per sample. The permutation is one Fisher-Yates shuffle of
 * 0..783 from `seed`, the same for every digit and both splits; a different seed is a different
 * task, so published numbers name it. Step t of every sample is pixel perm[t] of the row-major
 * 28×28 image.
 */
import { mulberry32 } from '../tensor.ts';
import { shuffledIndices, type Dataset, type Split } from './dataset.ts';
import { mnistSplit } from './mnist.ts';

const PIXELS = 784;
/** The default permutation's seed (Kiln's choice; keras-lmu's example draws its own). */
export const PSMNIST_SEED = 784;

export function pixelPermutation(seed = PSMNIST_SEED): Int32Array {
  return shuffledIndices(PIXELS, mulberry32(seed));
}

function permuted(d: Dataset, perm: Int32Array, name: string): Dataset {
  const x = new Float32Array(d.x.length);
  for (let s = 0; s < d.count; s++) {
    const o = s * PIXELS;
    for (let t = 0; t < PIXELS; t++) x[o + t] = d.x[o + perm[t]!]!;
  }
  return { ...d, name, x, sampleShape: [PIXELS, 1] };
}

export function psmnistSplit(train = 8000, test = 2000, seed = PSMNIST_SEED): Split {
  const s = mnistSplit(train, test);
  const perm = pixelPermutation(seed);
  return { train: permuted(s.train, perm, 'psmnist-train'), test: permuted(s.test, perm, 'psmnist-test') };
}

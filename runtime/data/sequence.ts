/**
 * Generated token sequences for the recurrent examples: a seeded first-order Markov "language"
 * in which every token has a few likely successors. A model that learns the transitions predicts
 * the next token far better than the 1/vocab of guessing, so training progress is measurable
 * without any corpus being downloaded.
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { mulberry32 } from '../tensor.ts';
import type { Dataset, Split } from './dataset.ts';

export interface SequenceOptions {
  vocab: number;
  length: number;
  train: number;
  test: number;
  /** Likely successors per token. */
  branching?: number;
  seed?: number;
}

function generate(o: Required<SequenceOptions>, count: number, seed: number, successors: Int32Array): Dataset {
  const rng = mulberry32(seed);
  const x = new Float32Array(count * o.length);
  const y = new Int32Array(count * o.length);
  for (let s = 0; s < count; s++) {
    let tok = Math.floor(rng() * o.vocab);
    for (let t = 0; t < o.length; t++) {
      x[s * o.length + t] = tok;
      // 90% of the time one of the token's successors, else any token (noise).
      const next = rng() < 0.9 ? successors[tok * o.branching + Math.floor(rng() * o.branching)]! : Math.floor(rng() * o.vocab);
      y[s * o.length + t] = next;
      tok = next;
    }
  }
  return { name: 'sequence', sampleShape: [o.length], x, y, count, classes: o.vocab, preprocess: { kind: 'none' } };
}

export function sequenceSplit(opts: SequenceOptions): Split {
  const o: Required<SequenceOptions> = { branching: 3, seed: 11, ...opts };
  if (!(o.vocab >= 2 && o.length >= 1 && o.train >= 1 && o.test >= 1)) {
    throw new KilnError(error('data', 'sequence data needs vocab ≥ 2, length ≥ 1, train ≥ 1 and test ≥ 1', undefined, 'e.g. data sequence(vocab = 10000, length = 35, train = 2000, test = 200)'));
  }
  const rng = mulberry32(o.seed);
  const successors = new Int32Array(o.vocab * o.branching);
  for (let i = 0; i < successors.length; i++) successors[i] = Math.floor(rng() * o.vocab);
  return { train: generate(o, o.train, o.seed + 1, successors), test: generate(o, o.test, o.seed + 2, successors) };
}

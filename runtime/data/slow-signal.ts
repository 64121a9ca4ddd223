/**
 * A generated task of slowly varying signals for delta networks, which pay off when a sequence
 * changes little from one step to the next (Neil et al. 2017 used speech, TIDIGITS and WSJ, which
 * no npm package ships). Each sample is `channels` sensor traces of `length` steps; class k's
 * traces are a sinusoid of f_k = k + 1 cycles per sample plus half as much of its second
 * harmonic, each channel with its own amplitude in [0.5, 1] and its own random phases, plus white
 * Gaussian noise of standard deviation `noise` at every step. The task is to tell the frequency
 * family from the traces. A delta threshold above the noise sends almost only the slow changes.
 * Every value is a function of the seed.
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { mulberry32, normalSampler } from '../tensor.ts';
import type { Dataset, Split } from './dataset.ts';

export interface SlowSignalOptions {
  classes: number;
  length: number;
  channels: number;
  train: number;
  test: number;
  noise: number;
  seed: number;
}

export const SLOW_SIGNAL_DEFAULTS: SlowSignalOptions = { classes: 4, length: 50, channels: 8, train: 2000, test: 500, noise: 0.05, seed: 7 };

function generate(o: SlowSignalOptions, count: number, seed: number, name: string): Dataset {
  const rng = mulberry32(seed);
  const gauss = normalSampler(rng);
  const { length: t, channels: c } = o;
  const x = new Float32Array(count * t * c);
  const y = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    const k = s % o.classes;
    y[s] = k;
    const f = k + 1;
    for (let ch = 0; ch < c; ch++) {
      const amp = 0.5 + 0.5 * rng(), p1 = 2 * Math.PI * rng(), p2 = 2 * Math.PI * rng();
      for (let step = 0; step < t; step++) {
        const w = (2 * Math.PI * f * step) / t;
        x[(s * t + step) * c + ch] = amp * (Math.sin(w + p1) + 0.5 * Math.sin(2 * w + p2)) + o.noise * gauss();
      }
    }
  }
  return { name, sampleShape: [t, c], x, y, count, classes: o.classes, preprocess: { kind: 'none' } };
}

export function slowSignalSplit(given: Partial<SlowSignalOptions> = {}): Split {
  const o = { ...SLOW_SIGNAL_DEFAULTS, ...given };
  const whole = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!(whole(o.classes, 2) && whole(o.length, 2) && whole(o.channels, 1) && whole(o.train, 1) && whole(o.test, 1) && o.noise >= 0 && whole(o.seed, 0))) {
    throw new KilnError(error('data', 'slow_signal needs whole numbers classes ≥ 2, length ≥ 2, channels ≥ 1, train ≥ 1, test ≥ 1, seed ≥ 0 and a noise ≥ 0', undefined,
      'e.g. data slow_signal(classes = 4, length = 50, channels = 8, train = 2000, test = 500, noise = 0.05)'));
  }
  return { train: generate(o, o.train, o.seed * 2 + 1, 'slow_signal-train'), test: generate(o, o.test, o.seed * 2 + 2, 'slow_signal-test') };
}

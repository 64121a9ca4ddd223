/** Data sets by the name a train block uses: `data mnist(train = 8000, test = 2000)`. */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';
import type { Split } from './dataset.ts';
import { irisSplit } from './iris.ts';
import { mnistSplit, sequentialMnistSplit } from './mnist.ts';
import { MNIST_MASKS_DEFAULTS, mnistMasksSplit } from './mnist-masks.ts';
import { PSMNIST_SEED, psmnistSplit } from './psmnist.ts';
import { sequenceSplit } from './sequence.ts';
import { SLOW_SIGNAL_DEFAULTS, slowSignalSplit } from './slow-signal.ts';
import { sotuSplit } from './sotu.ts';

export type { Dataset, Split } from './dataset.ts';

/** `mnist:test`, `iris:train`, …: a shipped data set and one of its splits, as commands name them. */
export const DATA_SPLIT = new RegExp(`^(${DATASETS.join('|')}):(train|test)$`);

/** Training and test samples of a data set whose call leaves them out (`data mnist()`). */
const DEFAULT_SPLIT: Readonly<Record<string, { train: number; test: number }>> = {
  mnist: { train: 8000, test: 2000 }, iris: { train: 120, test: 30 }, sequential_mnist: { train: 8000, test: 2000 }, psmnist: { train: 8000, test: 2000 },
  slow_signal: { train: SLOW_SIGNAL_DEFAULTS.train, test: SLOW_SIGNAL_DEFAULTS.test },
  mnist_masks: { train: MNIST_MASKS_DEFAULTS.train, test: MNIST_MASKS_DEFAULTS.test },
};

/** Training samples a train block's `data` asks for, without loading the data. */
export function trainSamples(name: string, args: Record<string, number | string>): number | undefined {
  const v = args.train ?? DEFAULT_SPLIT[name]?.train;
  return typeof v === 'number' ? v : undefined;
}

export function loadData(name: string, args: Record<string, number | string>): Split {
  const num = (k: string, d?: number): number => {
    const v = args[k];
    if (v === undefined && d !== undefined) return d;
    if (typeof v !== 'number') throw new KilnError(error('data', `data ${name}(…) needs a number \`${k}\``));
    return v;
  };
  switch (name) {
    case 'mnist': return mnistSplit(num('train', DEFAULT_SPLIT.mnist!.train), num('test', DEFAULT_SPLIT.mnist!.test));
    case 'iris': return irisSplit(num('train', DEFAULT_SPLIT.iris!.train), num('test', DEFAULT_SPLIT.iris!.test));
    case 'sequential_mnist': return sequentialMnistSplit(num('train', DEFAULT_SPLIT.sequential_mnist!.train), num('test', DEFAULT_SPLIT.sequential_mnist!.test));
    case 'psmnist': return psmnistSplit(num('train', DEFAULT_SPLIT.psmnist!.train), num('test', DEFAULT_SPLIT.psmnist!.test), num('seed', PSMNIST_SEED));
    case 'slow_signal': {
      const d = SLOW_SIGNAL_DEFAULTS;
      return slowSignalSplit({ classes: num('classes', d.classes), length: num('length', d.length), channels: num('channels', d.channels),
        train: num('train', d.train), test: num('test', d.test), noise: num('noise', d.noise), seed: num('seed', d.seed) });
    }
    case 'mnist_masks': {
      const d = MNIST_MASKS_DEFAULTS;
      return mnistMasksSplit({ train: num('train', d.train), test: num('test', d.test), noise: num('noise', d.noise), strokes: num('strokes', d.strokes), seed: num('seed', d.seed) });
    }
    case 'sequence': return sequenceSplit({ vocab: num('vocab'), length: num('length'), train: num('train'), test: num('test'), seed: num('seed', 11) });
    case 'sotu': return sotuSplit({ vocab: num('vocab'), length: num('length'), train: num('train'), test: num('test') });
    default: throw new KilnError(error('data', `unknown data set \`${name}\``, undefined, `data sets: ${DATASETS.join(', ')}`));
  }
}

/** Data sets by the name a train block uses: `data mnist(train = 8000, test = 2000)`. */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';
import type { Split } from './dataset.ts';
import { irisSplit } from './iris.ts';
import { mnistSplit } from './mnist.ts';
import { sequenceSplit } from './sequence.ts';
import { sotuSplit } from './sotu.ts';

export type { Dataset, Split } from './dataset.ts';

/** `mnist:test`, `iris:train`, …: a shipped data set and one of its splits, as commands name them. */
export const DATA_SPLIT = new RegExp(`^(${DATASETS.join('|')}):(train|test)$`);

export function loadData(name: string, args: Record<string, number | string>): Split {
  const num = (k: string, d?: number): number => {
    const v = args[k];
    if (v === undefined && d !== undefined) return d;
    if (typeof v !== 'number') throw new KilnError(error('data', `data ${name}(…) needs a number \`${k}\``));
    return v;
  };
  switch (name) {
    case 'mnist': return mnistSplit(num('train', 8000), num('test', 2000));
    case 'iris': return irisSplit(num('train', 120), num('test', 30));
    case 'sequence': return sequenceSplit({ vocab: num('vocab'), length: num('length'), train: num('train'), test: num('test'), seed: num('seed', 11) });
    case 'sotu': return sotuSplit({ vocab: num('vocab'), length: num('length'), train: num('train'), test: num('test') });
    default: throw new KilnError(error('data', `unknown data set \`${name}\``, undefined, `data sets: ${DATASETS.join(', ')}`));
  }
}

/**
 * `--measure DATA [--checkpoint PATH] [--samples N]`: firing rates measured by running the network
 * in the interpreter on DATA (a data set split such as mnist:test, split as the file's train
 * block splits it) with trained weights, or with freshly initialized ones and a warning.
 */
import { UsageError } from '../args.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { loadData } from '../../runtime/data/index.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { loadCheckpointInto } from '../../runtime/train/state.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { measureRates } from '../../runtime/measure-rates.ts';
import type { RateOptions } from '../../targets/neuromorphic/rates.ts';
import type { CommandIo } from './train.ts';

const SPLIT = new RegExp(`^(${DATASETS.join('|')}):(train|test)$`);

export function measuredRates(m: Module, source: string, data: string, checkpoint: string | undefined, samples: number, io: CommandIo, progress?: (s: string) => void): RateOptions {
  const split = SPLIT.exec(data);
  if (!split) throw new UsageError(`kiln partition: --measure takes ${DATASETS.map((d) => d + ':test').join(', ')} (or :train), not '${data}'`);
  const p = prepare(source);
  const args = p.config && p.config.data.name === split[1] ? p.config.data.args : {};
  const s = loadData(split[1]!, args);
  const ds = split[2] === 'train' ? s.train : s.test;
  const weights = initParams(m, 0);
  if (checkpoint) loadCheckpointInto(checkpoint, m, weights);
  else io.warn([{ severity: 'warning', code: 'rates', message: `measuring firing rates with untrained (initialized) weights`, hint: 'give --checkpoint PATH (written by kiln train) for the rates of the trained network' }]);
  const r = measureRates(m, weights, ds, samples, (done, total) => progress?.(`measuring firing rates: ${done}/${total} samples`));
  return { neuronRates: r.neuronRates };
}

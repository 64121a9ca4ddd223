/**
 * A train block's settings as the training cost model reads them (targets/training/): the step's
 * batch, the training samples of an epoch, and the optimizer's row in the cost table (sgd with
 * momentum is its own row, `momentum`).
 */
import type { TrainingPlan } from '../../targets/training/estimate.ts';
import { trainSamples } from '../data/index.ts';
import type { TrainConfig } from './config.ts';

export function trainingPlan(c: TrainConfig, networkBatch: number): TrainingPlan {
  const o = c.optimizer;
  const name = o.kind === 'sgd' && (o.momentum ?? 0) > 0 ? 'momentum' : o.kind;
  return { batch: c.batch ?? networkBatch, samples: trainSamples(c.data.name, c.data.args), optimizer: { name, kahan: !!o.kahan, weightDecay: o.weightDecay ?? 0, ...(o.storage && o.storage !== 'f32' ? { storage: o.storage } : {}) } };
}

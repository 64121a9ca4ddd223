/** A short training run, then the fake-quantized graph and the integer lowering on the same test samples. */
import { loadData } from '../../runtime/data/index.ts';
import { evaluate, train } from '../../runtime/train.ts';
import { integerExecution } from '../../runtime/lowered/precision/execute.ts';
import { example } from '../runtime/train/helpers.ts';

export function agreement(name: string, overrides: Record<string, number>, epochs: number) {
  const s = example(name, overrides);
  const data = loadData('mnist', { train: 1024, test: 1000 });
  const r = train({ ...s, data, config: { ...s.config, epochs } }, { testLimit: 0 });
  const exec = integerExecution(s.module, r.weights, new Map(), () => data.train);
  const fake = evaluate(s.module, r.weights, data.test);
  const int = evaluate(s.module, r.weights, data.test, { run: exec.run });
  let same = 0, maxDiff = 0;
  for (let i = 0; i < fake.rows; i++) if (fake.predictions[i] === int.predictions[i]) same++;
  for (let i = 0; i < fake.outputs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fake.outputs[i]! - int.outputs[i]!));
  return { s, exec, data, fake, int, same: same / fake.rows, maxDiff, weights: r.weights };
}


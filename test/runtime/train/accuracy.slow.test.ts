/**
 * Accuracy goals on held-out data, training the examples exactly as their train blocks say (the
 * numbers are documented in docs/training.md): examples/mlp.kiln ≥ 96 % and examples/lenet5.kiln
 * ≥ 97.5 % on the 2,000 held-out MNIST digits, examples/iris_mlp.kiln ≥ 95 % on the 30 held-out
 * flowers. (short-runs.slow.test.ts holds the binarized and spiking networks' short runs; the two files
 * run in parallel.)
 */
import { describe, expect, it } from 'vitest';
import { evaluate, train } from '../../../runtime/train.ts';
import { example, MINUTES } from './helpers.ts';

describe('accuracy goals (held-out data, the examples\' own train blocks)', () => {
  it('iris_mlp: ≥ 95 % of the 30 held-out flowers', () => {
    const r = train(example('iris_mlp'));
    expect(r.history.at(-1)!.test_accuracy).toBeGreaterThanOrEqual(0.95);
  }, 2 * MINUTES);

  // Training skips the per-epoch test evaluation (testLimit 0); the held-out set is scored once at the end.
  for (const [name, goal, minutes] of [['mlp', 0.96, 4], ['lenet5', 0.975, 8]] as const) {
    it(`${name}: ≥ ${goal * 100} % of the 2,000 held-out MNIST digits`, () => {
      const s = example(name);
      const r = train(s, { testLimit: 0 });
      expect(r.history).toHaveLength(s.config.epochs);
      const test = evaluate(s.module, r.weights, s.data.test);
      expect(test.rows).toBe(2000);
      expect(test.accuracy).toBeGreaterThanOrEqual(goal);
    }, minutes * MINUTES);
  }
});

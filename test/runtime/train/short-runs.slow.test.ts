/**
 * Short runs (a few hundred steps, smaller than the examples' full train blocks) showing that the
 * binarized MLP (Courbariaux, Hubara et al. 2016) and the spiking CNN (surrogate gradients, after
 * Ledinauskas et al. 2020) learn: the loss falls and held-out accuracy is far above the 10 % of
 * guessing. Sizes are cut for CI time: binary_mlp's hidden layers to 256, spiking_cnn's time steps
 * to 6 and its batch to 8.
 */
import { describe, expect, it } from 'vitest';
import { loadData } from '../../../runtime/data/index.ts';
import { evaluate, train } from '../../../runtime/train.ts';
import { example, MINUTES } from './helpers.ts';

describe('the binarized and the spiking network learn (short runs)', () => {
  it('binary_mlp (hidden = 256 for speed): 240 steps lift held-out accuracy far above chance', () => {
    const s = example('binary_mlp', { hidden: 256 });
    const r = train({ ...s, config: { ...s.config, epochs: 3 } }, { testLimit: 0 });
    expect(r.steps).toBe(240);
    expect(r.history[2]!.loss).toBeLessThan(r.history[0]!.loss);
    expect(evaluate(s.module, r.weights, s.data.test).accuracy).toBeGreaterThan(0.85);
  }, 4 * MINUTES);

  it('spiking_cnn (6 time steps, batch 8 for speed): 150 steps of surrogate-gradient BPTT learn', () => {
    const s = example('spiking_cnn', { batch: 8 });
    const module = { ...s.module, timesteps: 6 };
    const data = loadData('mnist', { train: 1200, test: 200 });
    const losses: number[] = [];
    const r = train({ module, config: { ...s.config, batch: 8, epochs: 1 }, data }, {
      testLimit: 0,
      onBatch: (b) => { if (b.batch % 50 === 0) losses.push(b.loss); },
    });
    expect(r.steps).toBe(150);
    // The running mean loss falls steadily; held-out accuracy is far above the 10 % of guessing.
    expect(losses).toHaveLength(3);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    expect(evaluate(module, r.weights, data.test).accuracy).toBeGreaterThan(0.3);
  }, 4 * MINUTES);
});

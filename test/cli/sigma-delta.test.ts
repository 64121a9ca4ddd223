/** `kiln train` and `kiln run` on a sigma-delta LMU report the bits per activation its units sent. */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

const src = `network tiny(batch = 8, step = 0.25) {
  input x : f32[batch, 12, 3]
  h = lmu(x, 6, order = 4, theta = 12, sequence = last, sigma_delta = step)
  y = dense(h, 2) -> softmax
  output y
}
train tiny { data slow_signal(classes = 2, length = 12, channels = 3, train = 32, test = 16)  epochs 2  batch 8  optimizer adam(lr = 1e-2)  spiking_anneal 1 }
`;

type Layers = Record<string, { activations: number; events_per_activation: number; fixed_bits: number; entropy_bits: number; zero_fraction: number }>;

describe('sigma-delta LMUs on the command line', () => {
  it('train and run print the bits per activation; run --json has them per layer; a coarser step sends fewer bits', () => {
    const dir = tempFiles({ 'tiny.kiln': src, 'neg.kiln': src.replace('spiking_anneal 1', 'spiking_anneal -1') });
    const file = path.join(dir, 'tiny.kiln'), ckpt = path.join(dir, 'tiny.ckpt');
    const t = runMain(['train', file, '--checkpoint', ckpt]);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/sigma-delta layers over 16 samples:\n {2}h: \d+\.\d\d bits per activation at most on average \(fixed width per unit\), \d+\.\d\d bits entropy; \d+\.\d{3} events per unit and step, [\d.]+% silent\n$/);
    const json = (step: string) => (JSON.parse(runMain(['run', file, '--checkpoint', ckpt, '--input', 'slow_signal:test', '--json', '--set', `step=${step}`]).out) as { sigma_delta: Layers }).sigma_delta;
    const fine = json('0.25').h!, coarse = json('1').h!;
    // 16 samples × 12 steps × 6 hidden units.
    expect(fine.activations).toBe(16 * 12 * 6);
    // tanh in (−1, 1) plus a carried error within ±1/2 stays inside (−1.5, 1.5): at step 1 a unit sends −1, 0 or 1.
    expect(coarse.fixed_bits).toBeLessThanOrEqual(Math.log2(3) + 1e-9);
    expect(coarse.fixed_bits).toBeLessThan(fine.fixed_bits);
    expect(coarse.events_per_activation).toBeLessThan(fine.events_per_activation);
    const bad = runMain(['train', path.join(dir, 'neg.kiln')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/neg\.kiln:7:\d+: error: `spiking_anneal` must be a number of epochs ≥ 0/);
  });
});

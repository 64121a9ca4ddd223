/**
 * `kiln train` and `kiln run` on a sigma-delta LMU report the bits per activation its units sent;
 * `kiln estimate --measure` prices with the same figures, as measured activity.
 */
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
    expect(bad.err).toMatch(/neg\.kiln:7:\d+: error: `spiking_anneal` expects a number ≥ 0 but found `-1`/);
    expect(runMain(['check', path.join(dir, 'neg.kiln')]).code).toBe(1);

    // estimate --measure prices with what kiln run reports: events per unit and step, bits per activation.
    type Activity = { value: Record<string, number>; source: string; priced_by: string | null };
    const est = (...extra: string[]) => {
      const r = runMain(['estimate', file, '--target', 'avx2_laptop', '--target', 'loihi_1chip', ...extra]);
      expect(r.code, r.err).toBe(0);
      return r.out;
    };
    const results = (JSON.parse(est('--checkpoint', ckpt, '--measure', 'slow_signal:test', '--json')) as { results: { target: string; summary: { macs: number }; layers: { name: string; activity: Activity }[] }[] }).results;
    for (const r of results) {
      const h = r.layers.find((l) => l.name === 'h')!.activity;
      expect(h).toMatchObject({ source: 'measured', priced_by: 'events_per_activation' });
      expect(h.value.events_per_activation).toBeCloseTo(fine.events_per_activation, 12);
      expect(h.value.bits_per_activation).toBeCloseTo(fine.fixed_bits, 12);
    }
    const y = results[0]!.layers.find((l) => l.name === 'y.dense')!.activity;
    expect(y).toMatchObject({ source: 'measured', priced_by: 'input_events_per_activation' });
    const dense = (JSON.parse(est('--json')) as { results: { summary: { macs: number } }[] }).results;
    if (fine.events_per_activation < 1) expect(results[0]!.summary.macs).toBeLessThan(dense[0]!.summary.macs);
    expect(est('--checkpoint', ckpt, '--measure', 'slow_signal:test', '--per-layer')).toMatch(/\nh +lmu .* events \d\.\d{3} \(\d\.\d\d bits\) · measured/);
  });
});

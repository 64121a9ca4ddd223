/** `kiln train` and `kiln run` on a delta network report each delta layer's share of the dense MACs. */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

const src = `network tiny(batch = 8, theta = 0.1) {
  input x : f32[batch, 12, 3]
  h = gru(x, 6, sequence = last, delta = theta)
  y = dense(h, 2) -> softmax
  output y
}
train tiny { data slow_signal(classes = 2, length = 12, channels = 3, train = 32, test = 16)  epochs 1  batch 8  optimizer adam(lr = 1e-2)  delta_l1 1e-3 }
`;

describe('delta networks on the command line', () => {
  it('train and run print the measured share of the dense MACs; run --json has it per layer', () => {
    const dir = tempFiles({ 'tiny.kiln': src, 'neg.kiln': src.replace('delta_l1 1e-3', 'delta_l1 -1') });
    const file = path.join(dir, 'tiny.kiln'), ckpt = path.join(dir, 'tiny.ckpt');
    const t = runMain(['train', file, '--checkpoint', ckpt]);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/delta layers over 16 samples:\n {2}h: \d+\.\d% of the dense MACs \([\d,]+ done, [\d,]+ skipped; [\d.]+× fewer\)\n$/);
    const r = runMain(['run', file, '--checkpoint', ckpt, '--input', 'slow_signal:test']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tiny on slow_signal:test \(16 samples\): accuracy [\d.]+% \(\d+\/16\)\ndelta layers over 16 samples:\n {2}h: /);
    const j = JSON.parse(runMain(['run', file, '--checkpoint', ckpt, '--input', 'slow_signal:test', '--json']).out) as { delta: Record<string, { done: number; dense: number; delta_fraction: number }> };
    // 16 samples × 12 steps × (3 inputs + 6 hidden) columns × 18 gate rows.
    expect(j.delta.h!.dense).toBe(16 * 12 * 9 * 18);
    expect(j.delta.h!.delta_fraction).toBeCloseTo(j.delta.h!.done / j.delta.h!.dense, 12);
    expect(j.delta.h!.delta_fraction).toBeLessThan(1);
    // θ = 0 sends more than θ = 0.5 on the same weights.
    const at = (theta: string) => (JSON.parse(runMain(['run', file, '--checkpoint', ckpt, '--input', 'slow_signal:test', '--json', '--set', `theta=${theta}`]).out) as typeof j).delta.h!.done;
    expect(at('0')).toBeGreaterThan(at('0.5'));
    const bad = runMain(['train', path.join(dir, 'neg.kiln')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/neg\.kiln:7:150: error: `delta_l1` expects a number ≥ 0 but found `-1`/);
    // kiln check catches it too: the train block's schema bounds the value, not only kiln train.
    const checked = runMain(['check', path.join(dir, 'neg.kiln')]);
    expect(checked.code).toBe(1);
    expect(checked.err).toMatch(/neg\.kiln:7:150: error: `delta_l1` expects a number ≥ 0/);
  });

  it('delta_anneal: a number of epochs ≥ 0, reported at its position otherwise', () => {
    const dir = tempFiles({ 'ok.kiln': src.replace('delta_l1 1e-3', 'delta_l1 1e-3  delta_anneal 0.5'), 'neg.kiln': src.replace('delta_l1 1e-3', 'delta_l1 1e-3  delta_anneal -2') });
    const ok = runMain(['train', path.join(dir, 'ok.kiln')]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const bad = runMain(['train', path.join(dir, 'neg.kiln')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/neg\.kiln:7:169: error: `delta_anneal` expects a number ≥ 0 but found `-2`/);
    expect(runMain(['check', path.join(dir, 'neg.kiln')]).code).toBe(1);
  });
});

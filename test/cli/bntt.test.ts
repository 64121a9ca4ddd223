/**
 * `batchnorm(per_step = true)` from the command line: a checkpoint with [T, C] statistics goes from
 * `kiln train` to `kiln run`, which measures the held-out accuracy training reported, and a network
 * without time steps refuses it at its location. (That the rows are used step by step is checked
 * against the step-by-step interpreter in test/runtime/autodiff/bntt.test.ts.)
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

// The batch norm reads spikes, so its statistics differ from step to step.
const src = `network s(batch = 8) {
  timesteps 4
  input x : f32[batch, 1, 28, 28]
  h = flatten(x) -> dense(32) -> lif
  g = dense(h, 16) -> batchnorm(per_step = true) -> lif
  y = dense(g, 10) -> lif(readout = membrane)
  output y
}
train s { data mnist(train = 64, test = 32)  epochs 2  batch 8  seed 1  optimizer adam(lr = 1e-2) }
`;

const flat = `network f {
  input x : f32[4, 8]
  y = dense(x, 3) -> batchnorm(per_step = true)
  output y
}
`;

describe('per-step batch norm on the command line', () => {
  it('kiln run on the checkpoint measures the held-out accuracy kiln train reported', () => {
    const dir = tempFiles({ 's.kiln': src, 'flat.kiln': flat });
    const file = path.join(dir, 's.kiln'), ckpt = path.join(dir, 's.ckpt');
    const t = runMain(['train', file, '--json', '--checkpoint', ckpt]);
    expect(t.code).toBe(0);
    const last = JSON.parse(t.out.trim().split('\n').at(-1)!) as { test_accuracy: number };
    const r = runMain(['run', file, '--checkpoint', ckpt, '--input', 'mnist:test']);
    expect(r.code).toBe(0);
    const [, right] = /\((\d+)\/32\)/.exec(r.out)!;
    expect(Number(right) / 32).toBeCloseTo(last.test_accuracy, 10);
    const bad = runMain(['check', path.join(dir, 'flat.kiln')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/flat\.kiln:3:22: error: batchnorm `y`: `per_step = true` keeps statistics per time step/);
  });
});

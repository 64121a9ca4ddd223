/**
 * `kiln run` scans its input for grid levels (q/d, runtime/kernels/bitplane.ts) only when a binary
 * layer reads the network's input, the one layer that sums by bit-planes on them: a network whose
 * binary layers are all hidden does not pay the scan, and a binary first layer (behind dropout,
 * as in binary_mlp) still gets its levels.
 */
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const scans = vi.hoisted(() => ({ count: 0 }));

vi.mock('../../runtime/kernels/bitplane.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../runtime/kernels/bitplane.ts')>();
  return { ...real, inputLevels: (...a: Parameters<typeof real.inputLevels>) => { scans.count++; return real.inputLevels(...a); } };
});

const { removeTempFiles, runMain, tempFiles } = await import('../helpers/cli.ts');
const { writeUntrainedCheckpoint } = await import('../helpers/checkpoint.ts');

afterAll(removeTempFiles);
beforeEach(() => { scans.count = 0; });

const train = (name: string) => `train ${name} { data mnist(train = 100, test = 100)  epochs 1  batch 50 }\n`;
const dir = tempFiles({
  'hidden.kiln': `network hidden(batch = 50) {
  input x : f32[batch, 784]
  h = dense(x, 32) -> relu -> dense(32) -> batchnorm -> sign
  y = dense(h, 10, weights = binary) -> batchnorm -> softmax
  output y
}
${train('hidden')}`,
  'first.kiln': `network first(batch = 50) {
  input x : f32[batch, 784]
  d = dropout(x, p = 0.2)
  h = dense(d, 32, weights = binary) -> batchnorm -> sign
  y = dense(h, 10) -> softmax
  output y
}
${train('first')}`,
});

function run(name: string) {
  const src = path.join(dir, `${name}.kiln`), ckpt = path.join(dir, `${name}.ckpt`);
  writeUntrainedCheckpoint(src, ckpt);
  return runMain(['run', src, '--checkpoint', ckpt, '--input', 'mnist:test', '--timing']);
}

describe('kiln run: the input-levels scan', () => {
  it('is skipped when every binary layer is hidden', () => {
    const r = run('hidden');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/y\.dense: xnor-popcount 10×32/);
    expect(scans.count).toBe(0);
  });

  it('runs once for a binary layer reading the input through dropout, which then sums on the levels', () => {
    const r = run('first');
    expect(r.code).toBe(0);
    expect(scans.count).toBe(1);
    expect(r.err).toMatch(/h\.dense: integer fp32 GEMM 32×784, exact as 784·\(2\^10 − 1\) < 2\^24, on inputs q\/1000/);
  });
});

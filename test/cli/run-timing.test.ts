/**
 * `kiln run --timing`: where the time went, phase by phase, on stderr (stdout unchanged), with the
 * lowering's decision for each layer: the exact integer fp32 GEMM for a binary first layer on
 * MNIST's pixels (every value q/1000, 784·1023 < 2^24), the plain fp32 GEMM for inputs on no grid.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePhaseTiming } from '../../cli/commands/phase-timing.ts';
import { writeUntrainedCheckpoint } from '../helpers/checkpoint.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

const dir = tempFiles({
  'bnn.kiln': `network bnn(batch = 50) {
  input x : f32[batch, 784]
  h = dense(x, 64, weights = binary) -> batchnorm -> sign
  y = dense(h, 10, weights = binary) -> batchnorm -> softmax
  output y
}
train bnn { data mnist(train = 100, test = 200)  epochs 1  batch 50 }
`,
});
const src = path.join(dir, 'bnn.kiln'), ckpt = path.join(dir, 'bnn.ckpt');
writeUntrainedCheckpoint(src, ckpt);

describe('kiln run --timing', () => {
  it('prints each phase to stderr and leaves stdout as without it', () => {
    const plain = runMain(['run', src, '--checkpoint', ckpt, '--input', 'mnist:test']);
    const timed = runMain(['run', src, '--checkpoint', ckpt, '--input', 'mnist:test', '--timing']);
    expect(timed.code).toBe(0);
    expect(timed.out).toBe(plain.out);
    expect(plain.err).toBe('');
    expect(parsePhaseTiming(timed.err)?.map((r) => r.phase)).toEqual(['start-up', 'compile', 'data', 'checkpoint', 'lowering', 'inference', 'output', 'total']);
    expect(timed.err).toMatch(/lowering .*h\.dense: integer fp32 GEMM 64×784, exact as 784·\(2\^10 − 1\) < 2\^24, on inputs q\/1000, q < 2\^10/);
    expect(timed.err).toMatch(/y\.dense: xnor-popcount 10×64/);
    expect(timed.err).toMatch(/inference .*200 rows in batches of 50/);
  });

  it('keeps the fp32 product for inputs that are no whole numbers over a denominator', () => {
    const json = path.join(dir, 'odd.json');
    writeFileSync(json, JSON.stringify([Array.from({ length: 784 }, (_, i) => (i % 7) * 0.1234567)]));
    const r = runMain(['run', src, '--checkpoint', ckpt, '--input', json, '--timing']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/h\.dense: fp32 GEMM 64×784 \(real input, ±1 weights\)/);
  });
});

/**
 * `kiln train` with `optimizer ebp` and `optimizer coordinate_descent`: they learn on a few hundred
 * digits, resume from a checkpoint to the same weights bit for bit, and refuse networks they cannot
 * train with an error at the offending line (exit 1, no stack trace).
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../../runtime/checkpoint.ts';
import { removeTempFiles, runMain, tempFiles } from '../../helpers/cli.ts';

afterAll(removeTempFiles);

const EBP = `network b(batch = 20, hidden = 40) {
  input x : f32[batch, 784]
  h = dense(x, hidden, weights = binary) -> sign
  y = dense(h, 10, weights = binary) -> softmax
  output y
}

train b { data mnist(train = 400, test = 200)  epochs 2  batch 20  seed 2  optimizer ebp }
`;

/** Iris, as examples/iris_ternary.kiln, for 20 epochs of 12 steps (29 / 30 held out when measured). */
const CD = `network t(batch = 10, hidden = 16) {
  input x : f32[batch, 4]
  h = dense(x, hidden, weights = ternary) -> relu
  y = dense(h, 3, weights = ternary) -> softmax
  output y
}

train t { data iris(train = 120, test = 30)  epochs 20  batch 10  seed 1  optimizer coordinate_descent(lr = 1e-2, fraction = 0.02) }
`;

const dir = tempFiles({
  'ebp.kiln': EBP,
  'cd.kiln': CD,
  'ebp-bn.kiln': EBP.replace('weights = binary) -> sign', 'weights = binary) -> batchnorm -> sign'),
  'cd-f32.kiln': CD.replaceAll(', weights = ternary', ''),
});
const at = (name: string) => path.join(dir, name);

function lastTest(out: string): number {
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { test_accuracy: number });
  return lines[lines.length - 1]!.test_accuracy;
}

describe.each([['ebp', 0.65], ['cd', 0.9]])('optimizer %s through kiln train', (name, floor) => {
  const full = runMain(['train', at(`${name}.kiln`), '--json', '--checkpoint', at(`${name}-full.ckpt`)]);

  it('learns: held-out accuracy well above chance (EBP on 400 digits: 72.5 % measured; CD on Iris: 96.7 %)', () => {
    expect(full.code, full.err).toBe(0);
    expect(lastTest(full.out)).toBeGreaterThan(floor);
  });

  it('resumes to the same weights, bit for bit', () => {
    expect(runMain(['train', at(`${name}.kiln`), '--json', '--epochs', '1', '--checkpoint', at(`${name}-part.ckpt`)]).code).toBe(0);
    const rest = runMain(['train', at(`${name}.kiln`), '--json', '--resume', at(`${name}-part.ckpt`), '--checkpoint', at(`${name}-part.ckpt`)]);
    expect(rest.code, rest.err).toBe(0);
    const a = readCheckpoint(at(`${name}-full.ckpt`)), b = readCheckpoint(at(`${name}-part.ckpt`));
    for (const [k, v] of a.params) expect(Buffer.from(b.params.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  });
});

describe('networks the optimizers refuse', () => {
  it('ebp: batch norm, at its line', () => {
    const r = runMain(['train', at('ebp-bn.kiln')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ebp-bn\.kiln:3:\d+: error: optimizer ebp: `h\.batchnorm` is a batchnorm/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
  it('coordinate_descent: no ternary or binary layer, at the optimizer', () => {
    const r = runMain(['train', at('cd-f32.kiln')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cd-f32\.kiln:8:\d+: error: optimizer coordinate_descent: network `t` has no layer with ternary or binary weights/);
  });
});

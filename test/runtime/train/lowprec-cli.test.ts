/**
 * `kiln train` with low-precision storage and int16 training: the checkpoint holds bf16 weights
 * and resumes bit for bit, the epoch lines report the int16 GEMMs and overflows, and a wrong
 * storage format is an input error at its position.
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bf16Round } from '../../../runtime/autodiff.ts';
import { readCheckpoint } from '../../../runtime/checkpoint.ts';
import { removeTempFiles, runMain, tempFiles } from '../../helpers/cli.ts';

afterAll(removeTempFiles);

const IRIS = (train: string) => `network iris_mlp(batch = 10, hidden = 16) {
  input x : f32[batch, 4]
  h = dense(x, hidden) -> relu
  y = dense(h, 3) -> softmax
  output y
}

train iris_mlp { data iris(train = 120, test = 30)  epochs 3  batch 10  seed 1  ${train} }
`;

const dir = tempFiles({
  'bf16.kiln': IRIS('optimizer sgd(lr = 0.01, momentum = 0.9, storage = bf16, kahan = true)'),
  'dfp16.kiln': IRIS('optimizer adam(lr = 1e-2)  precision dfp16'),
  'bad.kiln': IRIS('optimizer sgd(lr = 0.01, storage = int16)'),
});
const at = (name: string) => path.join(dir, name);

describe('kiln train with low-precision weights', () => {
  it('stores bf16 weights and compensation in the checkpoint, and a resumed run matches an unbroken one bit for bit', () => {
    expect(runMain(['train', at('bf16.kiln'), '--json', '--checkpoint', at('full.ckpt')]).code).toBe(0);
    expect(runMain(['train', at('bf16.kiln'), '--json', '--epochs', '2', '--checkpoint', at('part.ckpt')]).code).toBe(0);
    expect(runMain(['train', at('bf16.kiln'), '--json', '--resume', at('part.ckpt')]).code).toBe(0);
    const full = readCheckpoint(at('full.ckpt')), resumed = readCheckpoint(at('part.ckpt'));
    for (const [k, w] of full.params) {
      expect([...w].every((v) => bf16Round(v) === v), k).toBe(true);
      expect(Buffer.from(resumed.params.get(k)!.buffer).equals(Buffer.from(w.buffer)), k).toBe(true);
    }
    for (const [k, slots] of full.optimizer.slots) expect([...slots.at(-1)!].every((v) => bf16Round(v) === v), k).toBe(true);
  });

  it('reports int16 GEMMs and overflows per epoch under precision dfp16', () => {
    const r = runMain(['train', at('dfp16.kiln'), '--json']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    // 12 steps of 10 flowers; 5 GEMMs a step (the first layer reads the data: no input gradient).
    expect(lines.map((l) => l.int16_gemms)).toEqual([60, 60, 60]);
    for (const l of lines) expect(l.int16_rescales).toBeGreaterThanOrEqual(l.int16_overflows!);
    const text = runMain(['train', at('dfp16.kiln'), '--epochs', '1']).out;
    expect(text).toMatch(/^training .*, dense and conv2d GEMMs in int16 dynamic fixed point\n/);
    expect(text).toMatch(/int16: 60 GEMMs, \d+ rows overflowed int32/);
    expect(runMain(['train', at('bf16.kiln'), '--epochs', '1']).out).toMatch(/^training .*, weights stored in bf16 with Kahan summation\n/);
  });

  it('a storage format Kiln does not know is an input error at its position', () => {
    const r = runMain(['train', at('bad.kiln')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${at('bad.kiln')}:8:`);
    expect(r.err).toContain('`storage` must be one of f32, f16, bf16, i16, not "int16"');
  });
});

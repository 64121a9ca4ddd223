/**
 * `kiln estimate --training` through the command: every example on every preset prices (a
 * neuromorphic preset says training is off-chip), the text states its basis, the JSON has the
 * training summary, and a classifier whose last layer is narrower than its class count allows
 * is warned about at the layer.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { examplesDir, kilnFiles } from '../helpers/paths.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';
import { lastLayerBitsBound } from '../../targets/training/last-layer-bits.ts';
import { LARGE, pricesEverywhere, type Out } from '../helpers/training-estimate.ts';

afterAll(removeTempFiles);

const example = (name: string) => path.join(examplesDir, `${name}.kiln`);

describe('every example on every preset', () => {
  for (const file of kilnFiles(examplesDir).filter((f) => !LARGE.has(path.basename(f, '.kiln')))) {
    it(`${path.basename(file, '.kiln')}: a step priced on every CPU and array, off-chip on every neuromorphic preset`, () => pricesEverywhere(file));
  }
});

describe('the basis', () => {
  it('lenet5 trains at its train block\'s batch 32: 8,000 digits are 250 steps an epoch', () => {
    const r = runMain(['estimate', example('lenet5'), '--training', '--target', 'avx2_laptop', '--target', 'loihi_1chip', '--per-layer']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('per training step (batch 32)');
    expect(r.out).toContain('per epoch (250 steps)');
    expect(r.out).toMatch(/\n {4}forward .*\n {4}backward .*\n {4}update /);
    expect(r.out).toMatch(/layer .*fwd MACs .*bwd MACs .*update energy/);
    expect(r.out).toContain('off-chip: loihi_1chip: training runs off-chip');
  });

  it('a network without a train block: one step at its batch, plain SGD, no epoch, said on stderr', () => {
    const file = path.join(tempFiles({ 'n.kiln': 'network n(batch = 4) {\n  input x : f32[batch, 1, 8, 8]\n  y = conv2d(x, 2, 3, pad = 1) -> softmax(axis = 1)\n  output y\n}\n' }), 'n.kiln');
    const r = runMain(['estimate', file, '--training', '--target', 'avx2_laptop', '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/has no train block: priced one training step/);
    const out = JSON.parse(r.out) as Out;
    expect(out.steps_per_epoch).toBeNull();
    expect(out.results[0]!.summary.per_epoch).toBeUndefined();
  });

  it('the train block\'s optimizer: sgd with momentum and Kahan summation is 2 buffers and 4 + 3 operations a parameter', () => {
    const src = `network t(batch = 8) {\n  input x : f32[batch, 4]\n  y = dense(x, 3) -> softmax\n  output y\n}\ntrain t { data iris(train = 100, test = 30)  batch 8  optimizer sgd(lr = 0.1, momentum = 0.9, kahan = true) }\n`;
    const file = path.join(tempFiles({ 't.kiln': src }), 't.kiln');
    const out = JSON.parse(runMain(['estimate', file, '--training', '--target', 'neon_core', '--json']).out) as Out;
    expect(out.steps_per_epoch).toBe(13); // ⌈100 ÷ 8⌉
    const summary = out.results[0]!.summary as unknown as { optimizer: { name: string; state_buffers: number; ops_per_param: number; state_bytes: number } };
    expect(summary.optimizer).toMatchObject({ name: 'momentum', kahan: true, state_buffers: 2, ops_per_param: 7, state_bytes: (4 * 3 + 3) * 4 * 2 });
  });

  it('without --training the inference report is unchanged', () => {
    const r = runMain(['estimate', example('mlp'), '--target', 'avx2_laptop', '--json']);
    expect(JSON.parse(r.out).results[0].summary.phase).toBeUndefined();
  });

  it('bad combinations are usage errors (exit 2)', () => {
    const csv = path.join(tempFiles({ 't.csv': 'Layer, M, N, K,\ng, 4, 4, 4,\n' }), 't.csv');
    const a = runMain(['estimate', csv, '--training', '--target', 'systolic_32x32']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--training prices a \.kiln network.*SCALE-Sim topology/);
    const b = runMain(['estimate', example('mlp'), '--training', '--rate', '0.1', '--target', 'loihi_1chip']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--rate sets firing rates for neuromorphic inference/);
  });
});

describe('the last layer\'s bit-width (Kiln\'s bound 1 + ⌈log2 N⌉ after Park et al. 2018)', () => {
  it('small class counts, by hand', () => {
    // N = 2: 1 + 1; 3 and 4: 1 + 2; 10: 1 + 4 (2³ < 10 ≤ 2⁴); 100: 1 + 7; 1000: 1 + 10.
    expect([2, 3, 4, 5, 10, 100, 1000].map(lastLayerBitsBound)).toEqual([2, 3, 3, 4, 5, 8, 11]);
  });

  it('reported for a classifier; a binary last layer of a 10-class softmax is warned about at the layer', () => {
    const ok = JSON.parse(runMain(['estimate', example('iris_mlp'), '--training', '--target', 'avx2_laptop', '--json']).out) as Out;
    expect(ok.classifier).toMatchObject({ classes: 3, bits: 32, bound_bits: 3, too_narrow: false });
    const r = runMain(['estimate', example('binary_mlp'), '--training', '--target', 'avx2_laptop', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).classifier).toMatchObject({ classes: 10, bits: 1, bound_bits: 5, too_narrow: true });
    const line = readFileSync(example('binary_mlp'), 'utf8').split('\n').findIndex((l) => l.includes('y = dense(h3')) + 1;
    expect(r.err).toContain(`binary_mlp.kiln:${line}:7: warning: the last layer \`y.dense\` computes at 1 bit, below the 5 bits its 10-class softmax needs`);
    expect(r.err).toMatch(/e\.g\. `weights = i8`/);
  });

  it('a network that is no softmax classifier has no bound', () => {
    const src = 'network reg(batch = 2) {\n  input x : f32[batch, 4]\n  y = dense(x, 1)\n  output y\n}\n';
    const file = path.join(tempFiles({ 'reg.kiln': src }), 'reg.kiln');
    const r = runMain(['estimate', file, '--training', '--target', 'avx2_laptop', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).classifier).toBeNull();
  });
});

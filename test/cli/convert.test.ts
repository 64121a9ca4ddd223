/** kiln convert on the command line: usage errors, located refusals, files left intact, and the generated SNN through the other commands. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';
import { writeUntrainedCheckpoint } from '../helpers/checkpoint.ts';

afterAll(removeTempFiles);

const SIGMOID = `network sig(batch = 10) {
  input x : f32[batch, 4]
  h = dense(x, 8) -> sigmoid
  y = dense(h, 3) -> softmax
  output y
}
train sig { data iris(train = 120, test = 30)  epochs 1  batch 10 }
`;
const SPIKING = `network spk(batch = 10) {
  timesteps 4
  input x : f32[batch, 4]
  y = dense(x, 3) -> lif
  output y
}
`;
const dir = tempFiles({ 'sig.kiln': SIGMOID, 'spk.kiln': SPIKING });
const ckpt = path.join(dir, 'iris.ckpt');
writeUntrainedCheckpoint('examples/iris_mlp.kiln', ckpt);
const sigCkpt = path.join(dir, 'sig.ckpt');
writeUntrainedCheckpoint(path.join(dir, 'sig.kiln'), sigCkpt);
const out = path.join(dir, 'iris_snn.kiln');
const convert = (...args: string[]) => runMain(['convert', 'examples/iris_mlp.kiln', '--checkpoint', ckpt, '--timesteps', '20', ...args]);

describe('kiln convert: bad command lines are exit 2 before any work', () => {
  it.each([
    [['--out', out, '--normalize', 'mean'], /--normalize takes max or percentile:P/],
    [['--out', out, '--normalize', 'percentile:0'], /--normalize takes/],
    [['--out', out, '--maxpool', 'min'], /--maxpool takes spike/],
    [['--out', out, '--weights', 'i4'], /--weights takes f32 \(the default, as trained\) or i8/],
    [['--out', out, '--evaluate', '10,x'], /--evaluate takes step counts/],
    [['--out', out, '--calibrate', 'cifar:train'], /--calibrate takes a data set split/],
    [['--out', path.join(dir, 'snn.txt')], /name ending in \.kiln/],
    [['--out', 'examples/iris_mlp.kiln'], /--out `examples\/iris_mlp.kiln` is the input/],
    [['--out', path.join(dir, 'missing', 'snn.kiln')], /the directory .* does not exist/],
    [[], /--out SNN\.kiln/],
  ])('%j', (args, message) => {
    const r = convert(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('needs --checkpoint and --timesteps', () => {
    expect(runMain(['convert', 'examples/iris_mlp.kiln', '--timesteps', '5', '--out', out]).err).toMatch(/--checkpoint PATH/);
    const r = runMain(['convert', 'examples/iris_mlp.kiln', '--checkpoint', ckpt, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--timesteps T/);
  });

  it('refuses an SNN.ckpt beside --out that is the checkpoint it reads', () => {
    const r = runMain(['convert', 'examples/iris_mlp.kiln', '--checkpoint', ckpt, '--timesteps', '5', '--out', path.join(dir, 'iris.kiln')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is the input/);
  });
});

describe('kiln convert: errors in the input', () => {
  it('names an op that cannot convert at its line and column, says what to do, and leaves existing outputs alone', () => {
    const target = path.join(dir, 'keep.kiln');
    writeFileSync(target, '# precious\n');
    const r = runMain(['convert', path.join(dir, 'sig.kiln'), '--checkpoint', sigCkpt, '--timesteps', '5', '--out', target]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/sig\.kiln:3:\d+: error: `h` \(sigmoid\) cannot be converted to spiking neurons/);
    expect(r.err).toMatch(/replace it with relu and retrain/);
    expect(r.err).not.toMatch(STACK_TRACE);
    expect(readFileSync(target, 'utf8')).toBe('# precious\n');
    expect(existsSync(path.join(dir, 'keep.ckpt'))).toBe(false);
  });

  it('reports a missing checkpoint file as an input error', () => {
    const r = runMain(['convert', 'examples/iris_mlp.kiln', '--checkpoint', path.join(dir, 'nope.ckpt'), '--timesteps', '5', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope\.ckpt/);
    expect(r.err).not.toMatch(STACK_TRACE);
  });

  it('refuses a checkpoint of another network', () => {
    const r = runMain(['convert', path.join(dir, 'sig.kiln'), '--checkpoint', ckpt, '--timesteps', '5', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/holds network `iris_mlp`/);
  });

  it('refuses a network that already spikes', () => {
    const spiking = path.join(dir, 'spiking.ckpt');
    writeUntrainedCheckpoint(path.join(dir, 'spk.kiln'), spiking);
    const r = runMain(['convert', path.join(dir, 'spk.kiln'), '--checkpoint', spiking, '--timesteps', '5', '--calibrate', 'iris:train', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already a spiking network/);
  });
});

describe('kiln convert writes an SNN the other commands take', () => {
  it('writes SNN.kiln and SNN.ckpt, and kiln check, run, estimate and partition accept them', () => {
    const r = convert('--out', out, '--samples', '60', '--evaluate', '5,20', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.thresholds.map((l: { layer: string }) => l.layer)).toEqual(['h', 'y']);
    expect(j.thresholds.every((l: { threshold: number }) => l.threshold > 0)).toBe(true);
    expect(j.snn_accuracy.map((a: { timesteps: number }) => a.timesteps)).toEqual([5, 20]);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# Generated by `kiln convert` from examples\/iris_mlp\.kiln/);
    expect(text).toMatch(/h = lif\(h_dense, threshold = [\d.]+, decay = 1, reset = subtract\)/);
    const snnCkpt = path.join(dir, 'iris_snn.ckpt');
    expect(runMain(['check', out]).code).toBe(0);
    const run = runMain(['run', out, '--checkpoint', snnCkpt, '--input', 'iris:test', '--json']);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out).accuracy).toBe(j.snn_accuracy[1].accuracy);
    const est = runMain(['estimate', out, '--target', 'loihi_1chip', '--set', 'batch=1', '--json']);
    expect(est.code, est.err).toBe(0);
    expect(JSON.parse(est.out).results[0].summary.per_inference.energy_j).toBeGreaterThan(0);
    expect(runMain(['partition', out, '--target', 'loihi_1chip']).code).toBe(0);
    // Surrogate-gradient fine-tuning starts from the converted weights.
    const tuned = runMain(['train', out, '--resume', snnCkpt, '--epochs', '1', '--checkpoint', path.join(dir, 'tuned.ckpt')]);
    expect(tuned.code, tuned.err).toBe(0);
    expect(tuned.out).toMatch(/epoch 1\/1/);
  });
});

describe('kiln convert --weights i8', () => {
  it('writes integer weights and weights = i8 layers, which kiln run uses as they are and kiln estimate prices as 8 bits without a warning', () => {
    const i8Out = path.join(dir, 'iris_i8.kiln'), i8Ckpt = path.join(dir, 'iris_i8.ckpt');
    const r = convert('--out', i8Out, '--samples', '60', '--evaluate', '20', '--weights', 'i8', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.weights).toBe('i8');
    // Each layer's scale went into its lif: the new threshold is the old one over the scale, rounded.
    for (const q of j.weight_scales as { scale: number; threshold_f32: number; threshold: number }[]) expect(q.threshold).toBe(Math.max(1, Math.round(q.threshold_f32 / q.scale)));
    expect(j.thresholds.map((l: { threshold: number }) => l.threshold)).toEqual(j.weight_scales.map((q: { threshold: number }) => q.threshold));
    const text = readFileSync(i8Out, 'utf8');
    expect(text).toMatch(/# Weights: i8, integers in \[−127, 127\]/);
    expect(text).toMatch(/h_dense = dense\(x, units = \d+, weights = i8\)/);
    const ckptText = runMain(['run', i8Out, '--checkpoint', i8Ckpt, '--input', 'iris:test', '--json']);
    expect(ckptText.code, ckptText.err).toBe(0);
    expect(ckptText.err).toBe('');
    expect(JSON.parse(ckptText.out).accuracy).toBe(j.snn_accuracy[0].accuracy);
    const est = runMain(['estimate', i8Out, '--target', 'loihi_1chip', '--set', 'batch=1', '--rate', '0.1', '--json']);
    expect(est.code, est.err).toBe(0);
    expect(est.err).not.toMatch(/ASSUMES/);
    expect(JSON.parse(est.out).results[0].summary.weight_bits).toBe(8);
    // The f32 conversion of the same network is the one that warns.
    expect(runMain(['estimate', out, '--target', 'loihi_1chip', '--set', 'batch=1', '--rate', '0.1']).err).toMatch(/ASSUMES the weights of `h_dense` \(f32\)/);
    expect(convert('--out', path.join(dir, 'iris_f32.kiln'), '--samples', '60').out).toMatch(/weights f32, as trained/);
  });
});

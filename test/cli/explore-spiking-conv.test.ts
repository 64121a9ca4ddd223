/**
 * A convolutional network's binary variant on a spiking chip. `kiln explore`'s binary layers output
 * sign(x), and lenet5's relu after each makes that a step, relu(sign(x)) ∈ {0, 1}: converted as a
 * step neuron (threshold 0, no memory) whose spikes are those values, with max pooling over
 * {0, 1} spikes an OR (exactly the max), the whole network is exact in one time step and must
 * predict, digit by digit, what the CPU variant predicts (as binary_mlp's does,
 * explore-spiking.test.ts). A mix of steps and rate-coded relus has no exact conversion: it
 * converts as a relu network and its label says so.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadData } from '../../runtime/data/index.ts';
import { evaluate, train } from '../../runtime/train.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { convertedLabel, spikingNetwork } from '../../cli/explore/spiking.ts';
import { stepActivations } from '../../cli/explore/step-activations.ts';
import { precisionMap, uniformVariants, variantModule, type Variant } from '../../cli/explore/variants.ts';
import { removeTempFiles, tempFiles } from '../helpers/cli.ts';
import { compile } from '../../compiler/driver.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { memoryFiles } from '../helpers/memfs.ts';
import { repoRoot } from '../helpers/paths.ts';

const LENET5 = readFileSync(path.join(repoRoot, 'examples/lenet5.kiln'), 'utf8');
/** lenet5 with batch norm before each relu, as binarized networks normalize before binarizing. */
const LENET5_BN = LENET5
  .replace(/\) -> relu/g, ') -> batchnorm -> relu')
  .replace('dense(120) -> relu -> dense(84) -> relu', 'dense(120) -> batchnorm -> relu -> dense(84) -> batchnorm -> relu');

afterAll(removeTempFiles);

describe('a binary-activation conv network converted to spiking', () => {
  const dir = tempFiles({ 'lenet5.kiln': LENET5, 'lenet5_bn.kiln': LENET5_BN });

  function trainedBinary(file: string, samples: number) {
    const p = prepare(path.join(dir, file), { requireTrain: true });
    const data = loadData('mnist', { train: samples, test: 200 });
    const binary = uniformVariants(p.module, ['binary'], [undefined])[0]!;
    // Trained as the variant declares it (explore without --ptq), with its straight-through estimators.
    const declared = variantModule(p.module, binary);
    const { weights } = train({ module: declared, config: p.config!, data }, { epochs: 1, testLimit: 0 });
    return { p, data, binary, declared, weights, cpu: evaluate(declared, weights, data.test) };
  }

  it('lenet5 with batch norm: conv + sign + relu → step neurons, max pool over spikes, one exact step', () => {
    const { p, data, binary, weights, cpu } = trainedBinary('lenet5_bn.kiln', 2000);
    // Well above chance (10 %): the comparison below would hold for one that predicts a constant.
    expect(cpu.accuracy).toBeGreaterThan(0.3);
    const snn = spikingNetwork({ module: p.module, identity: {}, ptq: false, data }, binary, weights, 25);
    if ('error' in snn) throw new Error(snn.error);
    expect(snn.module.timesteps).toBe(1);
    expect(snn.reluRates).toBe(false);
    // The relu after each sign adds no neurons: the pool reads the step neurons' spikes, and is
    // their OR, a neuron per window over a depthwise sum of ones (what a chip runs for a max).
    expect(snn.text).toMatch(/c1_batchnorm_step = lif\(c1_conv2d, threshold = 0, decay = 0, reset = zero\).*relu\(sign\) = the spike itself/);
    expect(snn.text).toMatch(/c1_window = conv2d\(c1_batchnorm_step, filters = 6, kernel = \[2, 2\], stride = \[2, 2\].*groups = 6, bias = false, weights = binary\)/);
    expect(snn.text).toMatch(/c1 = lif\(c1_window, threshold = 0.5, decay = 0, reset = zero\).*an OR/);
    expect(snn.text).not.toMatch(/= (relu|maxpool2d)\(/);
    expect(Object.values(snn.module.nodes).filter((n) => n.op === 'lif')).toHaveLength(7);
    // A step's spike is the value the next layer reads, so its weights stay the binary ±1 (no ×2, no −1 in the bias).
    expect(new Set(snn.weights.c2_conv2d!.weight!.data)).toEqual(new Set([1, -1]));
    const converted = evaluate(snn.module, snn.weights, data.test);
    expect([...converted.predictions]).toEqual([...cpu.predictions]);
  }, 60_000);

  it('lenet5 as shipped (no batch norm): the converted network is the CPU variant, digit for digit', () => {
    const { p, data, binary, weights, cpu } = trainedBinary('lenet5.kiln', 500);
    const snn = spikingNetwork({ module: p.module, identity: {}, ptq: false, data }, binary, weights, 25);
    if ('error' in snn) throw new Error(snn.error);
    expect(snn.module.timesteps).toBe(1);
    // The CPU's unscaled sign(w), not the ±α a rate-coded conversion takes (that would move every step's threshold).
    expect(new Set(snn.weights.c1_conv2d!.weight!.data)).toEqual(new Set([1, -1]));
    expect(new Set(snn.weights.y_dense!.weight!.data)).toEqual(new Set([1, -1]));
    // It barely trains without batch norm, so compare more than a constant: at least two classes predicted.
    expect(new Set(cpu.predictions).size).toBeGreaterThan(1);
    const converted = evaluate(snn.module, snn.weights, data.test);
    expect([...converted.predictions]).toEqual([...cpu.predictions]);
  }, 60_000);

  it('a mix of steps and rate-coded relus (or ternary activations) converts as a relu network, and its label says so', () => {
    const p = prepare(path.join(dir, 'lenet5.kiln'), { requireTrain: true });
    const f32 = (v: Variant) => variantModule(p.module, { ...v, layers: v.layers.map(() => 'f32') });
    const mix: Variant = { label: 'i8/binary/i8/binary/i8', layers: ['i8', 'binary', 'i8', 'binary', 'i8'] };
    const ternary = uniformVariants(p.module, ['ternary'], [undefined])[0]!;
    const i8 = uniformVariants(p.module, ['i8'], [undefined])[0]!;
    const binary = uniformVariants(p.module, ['binary'], [undefined])[0]!;
    for (const [v, exact, reluRates] of [[mix, false, true], [ternary, false, true], [i8, false, false], [binary, true, false]] as const) {
      const s = stepActivations(f32(v), precisionMap(p.module, v));
      expect({ label: v.label, exact: s.exact, reluRates: s.reluRates }).toEqual({ label: v.label, exact, reluRates });
      expect(Object.values(s.module.nodes).filter((n) => n.op === 'sign')).toHaveLength(exact ? 4 : 0);
    }
    expect(convertedLabel('ternary', 25, true)).toBe('ternary → SNN T=25 (relu rates)');
    expect(convertedLabel('binary', 1)).toBe('binary → SNN T=1');
  });
});

describe('binary variants the one-step conversion cannot take', () => {
  const SRC = `network pooled(batch = 4) {
  input x : f32[batch, 1, 28, 28]
  c = conv2d(x, filters = 4, kernel = 3, pad = 1) -> maxpool2d(2) -> relu
  y = flatten(c) -> dense(10) -> softmax
  output y
}
network padded(batch = 4) {
  input x : f32[batch, 1, 28, 28]
  c = conv2d(x, filters = 4, kernel = 3, pad = 1) -> conv2d(filters = 4, kernel = 3, pad = 1) -> relu
  y = flatten(c) -> dense(10) -> softmax
  output y
}`;
  const net = (name: string) => compile(`t.kiln:${name}`, { readFile: memoryFiles({ 't.kiln': SRC }) }).module;

  it('a binary activation that reaches a relu through a max pool is not made a step: rate-coded, and labelled so', () => {
    const m = net('pooled');
    const binary = uniformVariants(m, ['binary'], [undefined])[0]!;
    const f32 = variantModule(m, { ...binary, layers: binary.layers.map(() => 'f32') });
    expect(stepActivations(f32, precisionMap(m, binary))).toMatchObject({ exact: false, reluRates: true });
  });

  it('what the converter refuses becomes the variant\'s error, not an exception that ends the explore run', () => {
    const m = net('padded');
    const binary = uniformVariants(m, ['binary'], [undefined])[0]!;
    const data = loadData('mnist', { train: 64, test: 8 });
    const snn = spikingNetwork({ module: m, identity: {}, ptq: false, data }, binary, initParams(m, 1), 10);
    expect(snn).toMatchObject({ error: expect.stringMatching(/^cannot convert to spiking: .*pads a sign layer/) });
  });
});

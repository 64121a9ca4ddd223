/**
 * Every example compiles, prints its golden IR (test/golden/*.ir; `UPDATE_GOLDEN=1` rewrites
 * them), has the shapes and parameter counts its paper or reference implementation gives, and
 * round-trips through JSON byte for byte.
 */
import { describe, it, expect, afterAll } from 'vitest';
import * as path from 'node:path';
import { compile } from '../../compiler/driver.ts';
import { printModule } from '../../compiler/ir/print.ts';
import { numElements } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { verifyModule } from '../../compiler/ir/verify.ts';
import { expectGolden } from '../helpers/golden.ts';
import { examplesDir, kilnFiles } from '../helpers/paths.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';
import { typeOf, paramsOf } from '../helpers/kiln.ts';

afterAll(removeTempFiles);

/** Every example network as [golden name, compile selector]. */
const examples: [string, string][] = [
  ...kilnFiles(examplesDir).map((f): [string, string] => [path.basename(f, '.kiln'), f]),
  ['residual.basic_block', path.join(examplesDir, 'blocks/residual.kiln') + ':basic_block'],
  ['residual.down_block', path.join(examplesDir, 'blocks/residual.kiln') + ':down_block'],
];

const modules = new Map<string, Module>();
function compiled(name: string): Module {
  let m = modules.get(name);
  if (!m) {
    const spec = examples.find(([n]) => n === name)![1];
    const r = compile(spec);
    expect(r.diagnostics).toEqual([]);
    m = r.module;
    modules.set(name, m);
  }
  return m;
}

/** Learnable parameters: every parameter tensor but batch-norm running statistics. */
const learnable = (m: Module) => Object.values(m.nodes).reduce((sum, n) => sum + Object.entries(n.params ?? {}).filter(([k]) => !k.startsWith('running_')).reduce((s, [, t]) => s + numElements(t.shape), 0), 0);

describe('examples: golden IR', () => {
  it('has all the examples the README lists', () => {
    expect(examples.map(([n]) => n).sort()).toEqual(['binary_mlp', 'delta_gru', 'delta_signal', 'ebp_mlp', 'iris_mlp', 'iris_ternary', 'lenet5', 'lenet5_i8', 'lmu_psmnist', 'lmu_rows', 'lstm_psmnist', 'lstm_rows', 'mlp', 'mlp_i16', 'ptb_lstm', 'residual.basic_block', 'residual.down_block', 'resnet18', 'spiking_cnn', 'spiking_cnn_bntt', 'unet_small', 'vgg11']);
  });

  for (const [name] of examples) {
    it(`${name} compiles clean, verifies, and prints its golden IR`, () => {
      const m = compiled(name);
      expect(verifyModule(m, { requireTypes: true })).toEqual([]);
      expectGolden(`${name}.ir`, printModule(m));
    });
  }
});

describe('examples: key shapes and sizes', () => {
  it('the LMUs and their LSTM baselines have about as many parameters (within 2 %)', () => {
    // psMNIST: LMU 64·64 (w_m) + 64·64 (w_h) + 64 + 1 + 650 = 8,907; LSTM hidden 45: 4·45·(1 + 45 + 1) + 460 = 8,920.
    expect(learnable(compiled('lmu_psmnist'))).toBe(8907);
    expect(learnable(compiled('lstm_psmnist'))).toBe(8920);
    // Rows: LMU 28 + 64·16 + 64·28 + 64·64 + 64 + 650 = 7,654; LSTM hidden 31: 4·31·(28 + 31 + 1) + 320 = 7,760.
    expect(learnable(compiled('lmu_rows'))).toBe(7654);
    expect(learnable(compiled('lstm_rows'))).toBe(7760);
    expect(typeOf(compiled('lmu_psmnist'), 'h')).toBe('f32[10, 64]');
  });

  it('lenet5: 28×28 → 14×14 → 5×5×16 = 400 → 10, 61,706 parameters (LeCun et al. 1998, with 400 inputs to the first dense)', () => {
    const m = compiled('lenet5');
    expect(typeOf(m, 'c1')).toBe('f32[64, 6, 14, 14]');
    expect(typeOf(m, 'c2')).toBe('f32[64, 16, 5, 5]');
    expect(typeOf(m, 'f.flatten')).toBe('f32[64, 400]');
    expect(typeOf(m, 'y')).toBe('f32[64, 10]');
    expect(learnable(m)).toBe(6 * 25 + 6 + 16 * 6 * 25 + 16 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10);
  });

  it('resnet18: 224 → 56 after the stem, 512×7×7 at the end, 512 → 1000, 11,689,512 parameters (torchvision resnet18)', () => {
    const m = compiled('resnet18');
    expect(typeOf(m, 'stem')).toBe('f32[1, 64, 56, 56]');
    expect(typeOf(m, 'l1.y')).toBe('f32[1, 64, 56, 56]');
    expect(typeOf(m, 'l2.y')).toBe('f32[1, 128, 28, 28]');
    expect(typeOf(m, 'l3.y')).toBe('f32[1, 256, 14, 14]');
    expect(typeOf(m, 'l4.y')).toBe('f32[1, 512, 7, 7]');
    expect(paramsOf(m, 'y.dense')).toEqual({ weight: 'f32[1000, 512]', bias: 'f32[1000]' });
    expect(typeOf(m, 'y')).toBe('f32[1, 1000]');
    expect(Object.values(m.nodes).filter((n) => n.op === 'conv2d')).toHaveLength(20);
    expect(Object.values(m.nodes).filter((n) => n.op === 'add')).toHaveLength(8);
    expect(learnable(m)).toBe(11_689_512);
  });

  it('vgg11: five pools take 224 to 7, 25,088 → 4096 → 4096 → 1000, 132,863,336 parameters (torchvision vgg11)', () => {
    const m = compiled('vgg11');
    expect(typeOf(m, 'b5')).toBe('f32[1, 512, 7, 7]');
    expect(paramsOf(m, 'fc.dense')).toEqual({ weight: 'f32[4096, 25088]', bias: 'f32[4096]' });
    expect(typeOf(m, 'y')).toBe('f32[1, 1000]');
    expect(learnable(m)).toBe(132_863_336);
  });

  it('unet_small: 28×28 MNIST halves twice to 7×7 and the decoder returns to 28×28 with one channel per class', () => {
    const m = compiled('unet_small');
    expect(typeOf(m, 'e1')).toBe('f32[16, 4, 28, 28]');
    expect(typeOf(m, 'mid')).toBe('f32[16, 16, 7, 7]');
    // The skip connections double the channels before each decoder convolution.
    expect(typeOf(m, 'm2.concat')).toBe('f32[16, 16, 14, 14]');
    expect(typeOf(m, 'm1.concat')).toBe('f32[16, 8, 28, 28]');
    expect(typeOf(m, 'y')).toBe('f32[16, 2, 28, 28]');
  });

  it('ptb_lstm: [20, 35] tokens → [20, 35, 10000], 4,651,600 parameters (Zaremba et al. 2014 "small", one bias per gate)', () => {
    const m = compiled('ptb_lstm');
    expect(typeOf(m, 'e.embedding')).toBe('f32[20, 35, 200]');
    expect(paramsOf(m, 'h.lstm')).toEqual({ w_ih0: 'f32[800, 200]', w_hh0: 'f32[800, 200]', b0: 'f32[800]', w_ih1: 'f32[800, 200]', w_hh1: 'f32[800, 200]', b1: 'f32[800]' });
    expect(typeOf(m, 'y')).toBe('f32[20, 35, 10000]');
    expect(learnable(m)).toBe(10000 * 200 + 2 * (4 * 200 * 400 + 800) + 200 * 10000 + 10000);
  });

  it('spiking_cnn: 10 time steps, spikes between layers, the membrane potential out', () => {
    const m = compiled('spiking_cnn');
    expect(m.timesteps).toBe(10);
    expect(typeOf(m, 's1.lif')).toBe('spike[32, 12, 24, 24]');
    expect(typeOf(m, 's1')).toBe('spike[32, 12, 12, 12]');
    expect(typeOf(m, 's2')).toBe('spike[32, 32, 4, 4]');
    expect(typeOf(m, 'y')).toBe('f32[32, 10]');
  });

  it('binary_mlp: binary weights everywhere, sign activations between layers', () => {
    const m = compiled('binary_mlp');
    for (const id of ['h1.dense', 'h2.dense', 'h3.dense', 'y.dense']) expect(paramsOf(m, id).weight).toMatch(/^binary\[/);
    expect(typeOf(m, 'h1')).toBe('binary[100, 1024]');
    expect(typeOf(m, 'h2.dense')).toBe('f32[100, 1024]');
    expect(typeOf(m, 'y')).toBe('f32[100, 10]');
  });

  it('mlp: 784 → 256 → 10, 203,530 parameters', () => {
    const m = compiled('mlp');
    expect(typeOf(m, 'y')).toBe('f32[64, 10]');
    expect(learnable(m)).toBe(784 * 256 + 256 + 256 * 10 + 10);
  });
});

describe('examples: JSON round trip', () => {
  for (const [name, spec] of examples) {
    it(`${name}: compile --emit json, then compiling that JSON prints the same bytes and the same IR`, () => {
      const first = runMain(['compile', spec, '--emit', 'json']);
      expect(first.code).toBe(0);
      expect(first.err).toBe('');
      const dir = tempFiles({ [`${name}.json`]: first.out });
      const json = path.join(dir, `${name}.json`);
      const second = runMain(['compile', json, '--emit', 'json']);
      expect(second.code).toBe(0);
      expect(second.out).toBe(first.out);
      const ir = runMain(['compile', json]);
      expect(ir.out).toBe(printModule(compiled(name)));
    });
  }
});

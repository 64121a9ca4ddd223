/**
 * Every example network runs forward with random (initParams) weights and random inputs, in
 * inference and in training mode, giving finite outputs of the shapes infer-shapes inferred.
 * Batch 1 or 2 keeps the big image networks (VGG-11, ResNet-18 at 224×224) to seconds.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { initParams, run, type Inputs } from '../../../runtime/interpreter.ts';
import { mulberry32, randomNormal, zeros } from '../../../runtime/tensor.ts';
import { examplesDir, kilnFiles } from '../../helpers/paths.ts';

const BIG = new Set(['vgg11', 'resnet18']);

function randomInputs(m: Module, seed: number): Inputs {
  const rng = mulberry32(seed);
  const out: Inputs = {};
  for (const id of m.inputs) {
    const n = m.nodes[id]!;
    const shape = n.attrs.shape as number[];
    if (n.attrs.dtype === 'i32') {
      // Token ids below the smallest vocabulary an embedding reading this input declares.
      const vocab = Math.min(...Object.values(m.nodes).filter((c) => c.op === 'embedding' && c.inputs[0] === id).map((c) => c.attrs.vocab as number));
      const t = zeros(shape);
      for (let i = 0; i < t.data.length; i++) t.data[i] = Math.floor(rng() * vocab);
      out[id] = t;
    } else {
      out[id] = randomNormal(shape, rng);
    }
  }
  return out;
}

function check(m: Module, training: boolean): void {
  const r = run(m, initParams(m, 1), randomInputs(m, 2), { training, seed: 3 });
  for (const id of m.outputs) {
    const y = r.outputs[id]!;
    expect(y.shape, `${m.name}.${id}`).toEqual(m.nodes[id]!.type!.shape);
    expect(y.data.every(Number.isFinite), `${m.name}.${id} finite`).toBe(true);
    expect(y.data.some((v) => v !== 0), `${m.name}.${id} not all zero`).toBe(true);
  }
}

const files = [...kilnFiles(examplesDir).map((f) => ({ spec: f, name: path.basename(f, '.kiln') })),
  ...['basic_block', 'down_block'].map((n) => ({ spec: `${path.join(examplesDir, 'blocks/residual.kiln')}:${n}`, name: n }))];

describe('examples run forward', () => {
  it('covers the example networks', () => {
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['lenet5', 'mlp', 'ptb_lstm', 'resnet18', 'spiking_cnn', 'unet_small', 'vgg11', 'binary_mlp']));
  });

  for (const { spec, name } of files) {
    it(name, { timeout: 180_000 }, () => {
      const m = compile(spec, { overrides: new Map([['batch', BIG.has(name) ? 1 : 2]]) }).module;
      check(m, false);
      if (!BIG.has(name)) check(m, true);
    });
  }
});

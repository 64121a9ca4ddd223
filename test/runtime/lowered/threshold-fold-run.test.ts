/**
 * `kiln run`'s integer lowering folds the batch norms the estimate prices as a compare
 * (targets/threshold-fold.ts): after a binary layer with whole sums — XNOR on a sign's ±1, or an
 * input shown to be q/255 — batch norm → sign, and a batch norm that binarizes its own output,
 * alone or with a relu after it, on dense and conv2d alike. What the lowered program outputs must
 * be what the fake-quantized training graph (the interpreter) outputs for the same weights.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { forward } from '../../../runtime/autodiff/forward.ts';
import { initParams, type Weights } from '../../../runtime/interpreter.ts';
import { lowerPrecision } from '../../../runtime/lowered/precision/lower.ts';
import { runPrecision } from '../../../runtime/lowered/precision/run.ts';
import { mulberry32, type Tensor } from '../../../runtime/tensor.ts';
import { memoryFiles } from '../../helpers/memfs.ts';

const NETS = `network dense_relu(batch = 6) {
  input x : f32[batch, 64]
  b = sign(x) -> dense(32, weights = binary) -> batchnorm(activations = binary) -> relu
  y = dense(b, 10)
  output y
}
network dense_bn(batch = 6) {
  input x : f32[batch, 64]
  b = sign(x) -> dense(32, weights = binary) -> batchnorm(activations = binary)
  y = dense(b, 10)
  output y
}
network conv_relu(batch = 6) {
  input x : f32[batch, 1, 8, 8]
  c = conv2d(x, filters = 8, kernel = 3, pad = 1, weights = binary) -> batchnorm(activations = binary) -> relu -> maxpool2d(2)
  y = flatten(c) -> dense(10)
  output y
}
network conv_sign(batch = 6) {
  input x : f32[batch, 1, 8, 8]
  c = conv2d(x, filters = 8, kernel = 3, pad = 1, weights = binary) -> batchnorm -> sign
  y = flatten(c) -> dense(10)
  output y
}`;
const net = (name: string): Module => compile(`t.kiln:${name}`, { readFile: memoryFiles({ 't.kiln': NETS }) }).module;

/** Initial weights with batch norm statistics away from the defaults, γ of both signs and one γ = 0. */
function weights(m: Module, bn: string): Weights {
  const w = initParams(m, 3), rand = mulberry32(4), p = w[bn]!;
  for (const k of ['gamma', 'beta', 'running_mean'] as const) p[k]!.data.forEach((_, i, a) => (a[i] = 4 * rand() - 2));
  p.gamma!.data[1] = 0;
  p.running_var!.data.forEach((_, i, a) => (a[i] = 0.5 + rand()));
  return w;
}

/** Pixels as the mnist package stores them: whole numbers over 255. */
const input = (shape: number[]): Tensor => {
  const rand = mulberry32(5), n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => Math.floor(rand() * 256) / 255 - (shape.length === 2 ? 0.5 : 0)) };
};

const CASES = [
  { name: 'dense_relu', bn: 'b.batchnorm', end: 'b', low: 0, shape: [6, 64] },
  { name: 'dense_bn', bn: 'b', end: undefined, low: -1, shape: [6, 64] },
  { name: 'conv_relu', bn: 'c.batchnorm', end: 'c.relu', low: 0, shape: [6, 1, 8, 8] },
  { name: 'conv_sign', bn: 'c.batchnorm', end: 'c', low: -1, shape: [6, 1, 8, 8] },
] as const;

describe('kiln run folds what the estimate prices as a compare', () => {
  for (const c of CASES) {
    it(`${c.name}: the batch norm${c.end ? ` and ${c.end}` : ''} fold into the layer's thresholds, and the outputs equal the interpreter's`, () => {
      const m = net(c.name), w = weights(m, c.bn), x = input([...c.shape]);
      const p = lowerPrecision(m, w, new Map(), { inputLevels: { denominator: 255, bits: 8 } });
      expect(p.folded.get(c.bn)?.low).toBe(c.low);
      expect([...p.foldedEnds]).toEqual(c.end ? [c.end] : []);
      // The fold's own values: the compare goes both ways and writes only 1 and `low`.
      const mid = runPrecision({ ...p, module: { ...m, outputs: [c.end ?? c.bn] } }, w, { x }).outputs[c.end ?? c.bn]!.data;
      expect(new Set(mid)).toEqual(new Set([1, c.low]));
      const lowered = runPrecision(p, w, { x }).outputs.y!;
      const interpreted = forward(m, w, { x }).outputs.y!;
      expect([...lowered.data]).toEqual([...interpreted.data]);
    });
  }

  it('a batch norm the network outputs keeps its values: it does not fold', () => {
    const m = net('dense_bn'), w = weights(m, 'b');
    const p = lowerPrecision({ ...m, outputs: ['y', 'b'] }, w, new Map());
    expect(p.folded.size).toBe(0);
  });
});

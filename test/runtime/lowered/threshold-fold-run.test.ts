/**
 * `kiln run`'s integer lowering folds the batch norms the estimate prices as a compare
 * (targets/threshold-fold.ts): after a binary layer with whole sums — XNOR on a sign's ±1, or an
 * input shown to be q/255 — batch norm → sign, and a batch norm that binarizes its own output,
 * alone or with a relu after it, on dense and conv2d alike. What the lowered program outputs must
 * be what the fake-quantized training graph (the interpreter) outputs for the same weights.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { thresholdBatchnorms } from '../../../targets/threshold-fold.ts';
import { weightDType } from '../../../targets/precision.ts';
import { forward } from '../../../runtime/autodiff/forward.ts';
import { initParams, type Weights } from '../../../runtime/interpreter.ts';
import type { BinaryLayer } from '../../../runtime/lowered/precision/binary-layer.ts';
import { lowerPrecision } from '../../../runtime/lowered/precision/lower.ts';
import { runPrecision } from '../../../runtime/lowered/precision/run.ts';
import { newCounts } from '../../../runtime/lowered/precision/types.ts';
import { mulberry32, type Tensor } from '../../../runtime/tensor.ts';
import { foldedSums } from '../../helpers/folded-sums.ts';
import { memoryFiles } from '../../helpers/memfs.ts';

/** A dense network whose hidden layer `b` is `chain`, read by y (and what `extra` adds). */
const denseNet = (name: string, chain: string, extra = '', outputs = 'y'): string => `network ${name}(batch = 6) {
  input x : f32[batch, 64]
  b = ${chain}
  y = dense(b, 10)${extra}
  output ${outputs}
}`;
const SIGN_BINARY = 'sign(x) -> dense(32, weights = binary) -> batchnorm';
const NETS = [
  denseNet('dense_relu', `${SIGN_BINARY}(activations = binary) -> relu`),
  denseNet('dense_bn', `${SIGN_BINARY}(activations = binary)`),
  denseNet('dense_grid', 'dense(x, 32, weights = binary) -> batchnorm -> sign'),
  denseNet('relu_out', `${SIGN_BINARY}(activations = binary) -> relu`, '', 'y, b'),
  denseNet('relu_two', `${SIGN_BINARY}(activations = binary) -> relu`, '\n  z = dense(b, 4)', 'y, z'),
  denseNet('bn_ternary', `${SIGN_BINARY}(activations = ternary) -> sign`),
  denseNet('bn_i8', `${SIGN_BINARY}(activations = i8) -> sign`),
  `network conv_relu(batch = 6) {
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
}
network conv_xnor(batch = 6) {
  input x : f32[batch, 1, 8, 8]
  c = sign(x) -> conv2d(filters = 8, kernel = 3, weights = binary) -> batchnorm(activations = binary) -> relu -> maxpool2d(2)
  y = flatten(c) -> dense(10)
  output y
}
network dense_zero_one(batch = 6) {
  input x : f32[batch, 64]
  a = dense(x, 32, weights = binary) -> batchnorm(activations = binary) -> relu -> dropout(p = 0.5)
  b = dense(a, 16, weights = binary) -> batchnorm -> sign
  y = dense(b, 10)
  output y
}
network conv_zero_one(batch = 6) {
  input x : f32[batch, 1, 8, 8]
  c = conv2d(x, filters = 4, kernel = 3, pad = 1, weights = binary) -> batchnorm(activations = binary) -> relu -> maxpool2d(2)
  b = conv2d(c, filters = 8, kernel = 3, pad = 1, weights = binary) -> batchnorm -> sign
  y = flatten(b) -> dense(10)
  output y
}
network layer_two(batch = 6) {
  input x : f32[batch, 64]
  h = sign(x) -> dense(32, weights = binary)
  b = batchnorm(h, activations = binary) -> relu
  y = dense(b, 10)
  z = dense(h, 4)
  output y, z
}
network layer_out(batch = 6) {
  input x : f32[batch, 64]
  h = sign(x) -> dense(32, weights = binary)
  b = batchnorm(h) -> sign
  y = dense(b, 10)
  output y, h
}`,
].join('\n');
const net = (name: string): Module => compile(`t.kiln:${name}`, { readFile: memoryFiles({ 't.kiln': NETS }) }).module;

/**
 * Initial weights with batch norm statistics away from the defaults, γ of both signs and one
 * γ = 0, and real biases on the binary layers, so the thresholds' − b term is not 0.
 */
function weights(m: Module, bn: string): Weights {
  const w = initParams(m, 3), rand = mulberry32(4), p = w[bn]!;
  for (const k of ['gamma', 'beta', 'running_mean'] as const) p[k]!.data.forEach((_, i, a) => (a[i] = 4 * rand() - 2));
  p.gamma!.data[1] = 0;
  p.running_var!.data.forEach((_, i, a) => (a[i] = 0.5 + rand()));
  for (const n of Object.values(m.nodes)) if (weightDType(n) === 'binary') w[n.id]!.bias!.data.forEach((_, i, a) => (a[i] = 4 * rand() - 2));
  return w;
}

/** Pixels as the mnist package stores them: whole numbers over 255, moved by `shift`/255 to leave the grid. */
const input = (shape: number[], shift = 0): Tensor => {
  const rand = mulberry32(5), n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => (Math.floor(rand() * 256) + shift) / 255 - (shape.length === 2 ? 0.5 : 0)) };
};

const LEVELS = { inputLevels: { denominator: 255, bits: 8 } };

/** Every output of the lowered program equals the interpreter's. */
function expectInterpreted(m: Module, w: Weights, x: Tensor, p = lowerPrecision(m, w, new Map(), LEVELS)): void {
  const lowered = runPrecision(p, w, { x }).outputs, interpreted = forward(m, w, { x }).outputs;
  for (const o of m.outputs) expect([...lowered[o]!.data], o).toEqual([...interpreted[o]!.data]);
}

const CASES = [
  { name: 'dense_relu', bn: 'b.batchnorm', end: 'b', low: 0, shape: [6, 64] },
  { name: 'dense_bn', bn: 'b', end: undefined, low: -1, shape: [6, 64] },
  { name: 'conv_relu', bn: 'c.batchnorm', end: 'c.relu', low: 0, shape: [6, 1, 8, 8] },
  { name: 'conv_sign', bn: 'c.batchnorm', end: 'c', low: -1, shape: [6, 1, 8, 8] },
  // An unpadded conv on a sign's ±1: XNOR-popcounts.
  { name: 'conv_xnor', bn: 'c.batchnorm', end: 'c.relu', low: 0, shape: [6, 1, 8, 8] },
  // A dense layer reading the pixels: their grid's integer sums.
  { name: 'dense_grid', bn: 'b.batchnorm', end: 'b', low: -1, shape: [6, 64] },
  // A relu the network outputs, or two layers read, still writes the compare's {0, 1}.
  { name: 'relu_out', bn: 'b.batchnorm', end: 'b', low: 0, shape: [6, 64] },
  { name: 'relu_two', bn: 'b.batchnorm', end: 'b', low: 0, shape: [6, 64] },
] as const;

describe('kiln run folds what the estimate prices as a compare', () => {
  for (const c of CASES) {
    it(`${c.name}: the batch norm${c.end ? ` and ${c.end}` : ''} fold into the layer's thresholds, and the outputs equal the interpreter's`, () => {
      const m = net(c.name), w = weights(m, c.bn), x = input([...c.shape]);
      const p = lowerPrecision(m, w, new Map(), LEVELS);
      const f = p.folded.get(c.bn);
      expect(f?.low).toBe(c.low);
      const layer = p.layers.get(f!.layer) as BinaryLayer;
      expect(layer.xnor || layer.levels !== undefined).toBe(true);
      // One fold, reached by batch norm or by layer: no second copy of its thresholds to drift.
      expect(p.foldedLayers.get(f!.layer)).toBe(f);
      expect(f!.binary).toBe(layer);
      expect([...p.foldedEnds]).toEqual(c.end ? [c.end] : []);
      // The fold's own values: the compare goes both ways and writes only 1 and `low`.
      const mid = runPrecision({ ...p, module: { ...m, outputs: [c.end ?? c.bn] } }, w, { x }).outputs[c.end ?? c.bn]!.data;
      expect(new Set(mid)).toEqual(new Set([1, c.low]));
      expectInterpreted(m, w, x, p);
    });
  }

  it('the XNOR and grid paths are the ones taken', () => {
    const xnor = net('conv_xnor'), grid = net('dense_grid');
    expect((lowerPrecision(xnor, weights(xnor, 'c.batchnorm'), new Map(), LEVELS).layers.get('c.conv2d') as BinaryLayer).xnor).toBe(true);
    expect((lowerPrecision(grid, weights(grid, 'b.batchnorm'), new Map(), LEVELS).layers.get('b.dense') as BinaryLayer).levels).toEqual(LEVELS.inputLevels);
  });

  it('a batch norm the network outputs keeps its values: it does not fold', () => {
    const m = net('dense_bn'), w = weights(m, 'b');
    const p = lowerPrecision({ ...m, outputs: ['y', 'b'] }, w, new Map());
    expect(p.folded.size).toBe(0);
  });

  for (const name of ['layer_two', 'layer_out']) {
    it(`${name}: a binary layer whose sums something else reads keeps them; its batch norm runs as the interpreter's`, () => {
      const m = net(name), w = weights(m, 'b.batchnorm'), x = input([6, 64]);
      const p = lowerPrecision(m, w, new Map(), LEVELS);
      expect(thresholdBatchnorms(m).has('b.batchnorm')).toBe(true);
      expect(p.folded.size).toBe(0);
      expect(p.foldedEnds.size).toBe(0);
      expectInterpreted(m, w, x, p);
    });
  }
});

describe('a binary layer on a relu\'s {0, 1} sums one bit-plane and folds its batch norm', () => {
  for (const c of [{ name: 'dense_zero_one', first: 'a.batchnorm', layer: 'b.dense', shape: [6, 64] }, { name: 'conv_zero_one', first: 'c.batchnorm', layer: 'b.conv2d', shape: [6, 1, 8, 8] }]) {
    it(`${c.name}: whole sums through the pool or dropout and the padding, folded, the outputs the interpreter's, whether the first layer folds or not`, () => {
      const m = net(c.name), w = weights(m, 'b.batchnorm'), x = input(c.shape);
      // The first batch norm too away from the defaults, so its {0, 1} are mixed.
      Object.assign(w[c.first]!, weights(m, c.first)[c.first]!);
      for (const levels of [LEVELS, {}]) {
        const p = lowerPrecision(m, w, new Map(), levels);
        expect(p.folded.get('b.batchnorm')?.layer).toBe(c.layer);
        expect(p.folded.has(c.first)).toBe('inputLevels' in levels);
        expect((p.layers.get(c.layer) as BinaryLayer).levels).toEqual({ denominator: 1, bits: 1 });
        // The one-plane popcount ran, not the fp32 fallback a batch off {0, 1} takes (which also agrees).
        const sums = foldedSums(p, () => expectInterpreted(m, w, x, p)).get(c.layer)!;
        expect(sums.length).toBeGreaterThan(0);
        expect(sums.every((whole) => whole)).toBe(true);
      }
    });
  }
});

describe('a batch norm quantizing its own output to ternary or integers does not fold into a sign after it', () => {
  it('ternary: not folded, and kiln run refuses it where it is declared', () => {
    const m = net('bn_ternary'), w = weights(m, 'b.batchnorm');
    expect(thresholdBatchnorms(m).size).toBe(0);
    const p = lowerPrecision(m, w, new Map(), LEVELS);
    expect(p.folded.size).toBe(0);
    let e: unknown;
    try { runPrecision(p, w, { x: input([6, 64]) }); } catch (err) { e = err; }
    expect(e).toBeInstanceOf(KilnError);
    const d = (e as KilnError).diagnostics[0]!;
    expect(d.message).toMatch(/`b\.batchnorm` declares activations = ternary/);
    expect(d.pos).toMatchObject({ file: 't.kiln', line: NETS.split('\n').findIndex((l) => l.includes('activations = ternary')) + 1 });
  });

  it('i8: not folded, and the outputs equal the interpreter\'s, whose sign reads the rounded values', () => {
    const m = net('bn_i8'), w = weights(m, 'b.batchnorm'), x = input([6, 64]), s = 0.5;
    expect(thresholdBatchnorms(m).size).toBe(0);
    w['b.batchnorm']!.out_scale = { shape: [1], data: Float32Array.of(s) };
    const p = lowerPrecision(m, w, new Map([['b.batchnorm', { out: s }]]), LEVELS);
    expect(p.folded.size).toBe(0);
    expectInterpreted(m, w, x, p);
    // The case is one the fold would get wrong: negative values the i8 rounding makes 0, whose sign is +1.
    const bn = (mod: Module) => forward({ ...mod, outputs: ['b.batchnorm'] }, w, { x }).outputs['b.batchnorm']!.data;
    const { activations: _, ...f32 } = m.nodes['b.batchnorm']!.attrs;
    const real = { ...m, nodes: { ...m.nodes, 'b.batchnorm': { ...m.nodes['b.batchnorm']!, attrs: f32 } } };
    const [z, q] = [bn(real), bn(m)];
    expect(z.filter((v, i) => v < 0 && q[i] === 0).length).toBeGreaterThan(0);
  });
});

describe('a batch off the input\'s grid is summed in fp32 and compared with the unrounded threshold', () => {
  // 0.4/255 off the grid: the sums are real, and ⌈t⌉ would misjudge those between t and ⌈t⌉.
  for (const c of [{ name: 'dense_grid', bn: 'b.batchnorm', layer: 'b.dense', k: 64, shape: [2000, 64] }, { name: 'conv_relu', bn: 'c.batchnorm', layer: 'c.conv2d', k: 9, shape: [120, 1, 8, 8] }]) {
    it(`${c.name}: the outputs equal the interpreter's`, () => {
      const m = net(c.name), w = weights(m, c.bn), x = input(c.shape, 0.4);
      const p = lowerPrecision(m, w, new Map(), LEVELS);
      expect(p.folded.get(c.bn)?.layer).toBe(c.layer);
      expect((p.layers.get(c.layer) as BinaryLayer).accumulate(1, x.data.subarray(0, c.k), newCounts()).whole).toBe(false);
      expectInterpreted(m, w, x, p);
    });
  }
});

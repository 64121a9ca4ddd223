/**
 * `kiln estimate` and `kiln run` fold the same batch norms into threshold compares: the batch
 * norms the estimate prices as one compare an element (moduleWork) are the ones lowerPrecision
 * folds, on the shipped binary networks and on the cases the lowering cannot fold — a per-step
 * batch norm, a binary layer rounding its own output, a padded conv on signs, a relu of values
 * that are typed binary but are no ±1 (an average pool, a sum or a tanh of signs) — whether or not the
 * network's input was shown to lie on a grid. Those folds are also run on data, and every folded
 * layer must have compared whole sums, so a fold the estimate prices but the data never executes
 * (kiln run summing in fp32 every batch) fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { numElements } from '../../../compiler/ir/dtype.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { type LayerWork, moduleWork } from '../../../targets/workload.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { lowerPrecision } from '../../../runtime/lowered/precision/lower.ts';
import { runPrecision } from '../../../runtime/lowered/precision/run.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { foldedSums } from '../../helpers/folded-sums.ts';
import { memoryFiles } from '../../helpers/memfs.ts';

const small = (src: string) => src.replace('batch = 100, hidden = 1024', 'batch = 4, hidden = 48');
const BINARY_MLP = small(readFileSync('examples/binary_mlp.kiln', 'utf8'));
// bench/networks/lenet5_bn.kiln as explore's binary variant declares it.
const LENET5_BN_BINARY = `network lenet5_bn(batch = 2) {
  input  x : f32[batch, 1, 28, 28]
  c1 = conv2d(x, filters = 6, kernel = 5, pad = 2, weights = binary) -> batchnorm(activations = binary) -> relu -> maxpool2d(2)
  c2 = conv2d(c1, filters = 16, kernel = 5, weights = binary) -> batchnorm(activations = binary) -> relu -> maxpool2d(2)
  f  = flatten(c2) -> dense(120, weights = binary) -> batchnorm(activations = binary) -> relu -> dense(84, weights = binary) -> batchnorm(activations = binary) -> relu
  y  = dense(f, 10, weights = binary) -> softmax
  output y
}`;
const CASES = `network per_step(batch = 4) {
  timesteps 3
  input x : f32[batch, 32]
  h = sign(x) -> dense(16, weights = binary) -> batchnorm(per_step = true) -> sign
  y = dense(h, 4)
  output y
}
network own_activations(batch = 4) {
  input x : f32[batch, 32]
  h = sign(x) -> dense(16, weights = binary, activations = i8) -> batchnorm -> sign
  y = dense(h, 4)
  output y
}
network padded_on_signs(batch = 2) {
  input x : f32[batch, 1, 8, 8]
  c = sign(x) -> conv2d(filters = 4, kernel = 3, pad = 1, weights = binary) -> batchnorm -> sign
  y = flatten(c) -> dense(4)
  output y
}
network unpadded_on_signs(batch = 2) {
  input x : f32[batch, 1, 8, 8]
  c = sign(x) -> conv2d(filters = 4, kernel = 3, weights = binary) -> batchnorm -> sign
  y = flatten(c) -> dense(4)
  output y
}
network bn_relu(batch = 4) {
  input x : f32[batch, 32]
  h = dense(x, 16, weights = binary) -> batchnorm -> relu
  b = dense(x, 16, weights = binary) -> batchnorm
  y = dense(h, 4)
  output y, b
}
network relu_avgpool(batch = 2) {
  input x : f32[batch, 1, 8, 8]
  a = sign(x) -> avgpool2d(2) -> relu
  c = conv2d(a, filters = 4, kernel = 3, weights = binary) -> batchnorm -> sign
  y = flatten(c) -> dense(4)
  output y
}
network relu_add(batch = 4) {
  input x : f32[batch, 32]
  s = sign(x)
  a = add(s, s) -> relu
  h = dense(a, 16, weights = binary) -> batchnorm -> sign
  y = dense(h, 4)
  output y
}
network input_flattened(batch = 2) {
  input x : f32[batch, 1, 8, 8]
  h = flatten(x) -> dense(16, weights = binary) -> batchnorm -> sign
  y = dense(h, 4)
  output y
}
network signs_flattened(batch = 2) {
  input x : f32[batch, 1, 8, 8]
  h = sign(x) -> flatten -> dense(16, weights = binary) -> batchnorm -> sign
  y = dense(h, 4)
  output y
}
network input_reshaped(n = 2) {
  input x : f32[n, 64]
  c = reshape(x, [n, 1, 8, 8]) -> conv2d(filters = 4, kernel = 3, weights = binary) -> batchnorm -> sign
  y = flatten(c) -> dense(4)
  output y
}
network input_pooled(batch = 2) {
  input x : f32[batch, 1, 8, 8]
  h = maxpool2d(x, 2) -> flatten -> dense(16, weights = binary) -> batchnorm -> sign
  y = dense(h, 4)
  output y
}
network relu_tanh(batch = 4) {
  input x : f32[batch, 32]
  a = sign(x) -> tanh -> relu
  h = dense(a, 16, weights = binary) -> batchnorm -> sign
  y = dense(h, 4)
  output y
}`;

const net = (text: string, name: string): Module => compile(`t.kiln:${name}`, { readFile: memoryFiles({ 't.kiln': text }) }).module;

const opsOf = (l: LayerWork) => (l.work.kind === 'vector' ? l.work.ops : 0);

/** The batch norms the estimate prices below a scale and shift (what a training step, which folds nothing, prices): a compare. */
function estimateFolds(m: Module, inputOnGrid: boolean): string[] {
  const unfolded = new Map(moduleWork(m, { training: true }).map((l) => [l.name, opsOf(l)]));
  return moduleWork(m, { inputOnGrid }).filter((l) => l.op === 'batchnorm' && opsOf(l) < unfolded.get(l.name)!).map((l) => l.name).sort();
}

/**
 * The batch norms kiln run's lowering folds into its binary layers' thresholds, after running the
 * lowered program on data of the kind the fold was decided for: pixels (whole numbers over 255)
 * when the input was shown to be on that grid, else reals off it. Each folded layer must have
 * compared whole sums on every call — the integer compare the estimate prices — not fallen back
 * to fp32 sums. (Where nothing folds there is nothing to run: own_activations would need scales.)
 */
function runFolds(m: Module, inputOnGrid: boolean): string[] {
  const w = initParams(m, 1);
  const p = lowerPrecision(m, w, new Map(), inputOnGrid ? { inputLevels: { denominator: 255, bits: 8 } } : {});
  if (p.folded.size === 0) return [];
  const x = Object.values(m.nodes).find((n) => n.op === 'input')!.type!, rand = mulberry32(2);
  const data = Float32Array.from({ length: numElements(x.shape) }, () => (inputOnGrid ? Math.floor(rand() * 256) / 255 : rand() - 0.4));
  const sums = foldedSums(p, () => runPrecision(p, w, { x: { shape: [...x.shape], data } }));
  for (const [bn, f] of p.folded) {
    expect(sums.get(f.layer)!.length, bn).toBeGreaterThan(0);
    expect(sums.get(f.layer)!.every((whole) => whole), `${bn}: whole sums`).toBe(true);
  }
  return [...p.folded.keys()].sort();
}

describe('the estimate prices the batch norm folds kiln run makes', () => {
  const nets = [
    { name: 'binary_mlp', m: net(BINARY_MLP, 'binary_mlp'), grid: ['h1.batchnorm', 'h2.batchnorm', 'h3.batchnorm'], real: ['h2.batchnorm', 'h3.batchnorm'] },
    // c1 reads the pixels; the others read {0, 1} relus (through a pool or a flatten), one bit-plane.
    { name: 'lenet5_bn binary', m: net(LENET5_BN_BINARY, 'lenet5_bn'), grid: ['c1.batchnorm', 'c2.batchnorm', 'f.batchnorm', 'f.batchnorm2'], real: ['c2.batchnorm', 'f.batchnorm', 'f.batchnorm2'] },
    { name: 'per_step', m: net(CASES, 'per_step'), grid: [], real: [] },
    { name: 'own_activations', m: net(CASES, 'own_activations'), grid: [], real: [] },
    { name: 'padded_on_signs', m: net(CASES, 'padded_on_signs'), grid: [], real: [] },
    { name: 'unpadded_on_signs', m: net(CASES, 'unpadded_on_signs'), grid: ['c.batchnorm'], real: ['c.batchnorm'] },
    // Type inference calls these relus' inputs binary, but over signs they are {0, ½, 1}, {0, 2}
    // and {0, 0.76}: no one bit-plane, so real sums, and nothing folds.
    { name: 'relu_avgpool', m: net(CASES, 'relu_avgpool'), grid: [], real: [] },
    { name: 'relu_add', m: net(CASES, 'relu_add'), grid: [], real: [] },
    { name: 'relu_tanh', m: net(CASES, 'relu_tanh'), grid: [], real: [] },
    // Whole values behind a flatten: the rule looks past dropout only, in both tools alike.
    { name: 'input_flattened', m: net(CASES, 'input_flattened'), grid: [], real: [] },
    { name: 'signs_flattened', m: net(CASES, 'signs_flattened'), grid: [], real: [] },
    { name: 'input_reshaped', m: net(CASES, 'input_reshaped'), grid: [], real: [] },
    { name: 'input_pooled', m: net(CASES, 'input_pooled'), grid: [], real: [] },
  ];
  for (const c of nets) {
    for (const inputOnGrid of [true, false]) {
      it(`${c.name}, input ${inputOnGrid ? 'on a grid' : 'real'}: ${(inputOnGrid ? c.grid : c.real).join(', ') || 'none'}`, () => {
        const folds = runFolds(c.m, inputOnGrid);
        expect(folds).toEqual(inputOnGrid ? c.grid : c.real);
        expect(estimateFolds(c.m, inputOnGrid)).toEqual(folds);
      });
    }
  }

  it('a binary layer on a relu of values typed binary but no ±1 says it sums them in fp32, not by bit-planes', () => {
    for (const [name, layer] of [['relu_avgpool', 'c.conv2d'], ['relu_add', 'h.dense'], ['relu_tanh', 'h.dense']] as const) {
      const m = net(CASES, name);
      expect(lowerPrecision(m, initParams(m, 1), new Map()).layers.get(layer)!.why, name).toMatch(/^fp32 GEMM .* \(real input/);
    }
  });

  it('the estimate says why a batch norm after a binary layer is not folded', () => {
    const note = (m: Module, bn: string, inputOnGrid = false) => moduleWork(m, { inputOnGrid }).find((l) => l.name === bn)!.notes!.join(' ');
    expect(note(net(CASES, 'per_step'), 'h.batchnorm')).toMatch(/not folded .* a threshold per time step/);
    expect(note(net(CASES, 'own_activations'), 'h.batchnorm')).toMatch(/not folded .* `h\.dense` rounds its own output \(activations = i8\)/);
    expect(note(net(CASES, 'padded_on_signs'), 'c.batchnorm')).toMatch(/not folded .* `c\.conv2d` reads ±1 with zero padding/);
    // Whole values behind a flatten are refused for the rule's reach, not for the values, and the
    // note says how to write the network so that it folds.
    for (const [name, what, fix] of [['input_flattened', "the network's input", /declare the input flat \(f32\[batch, 64\], as binary_mlp does\)/], ['signs_flattened', '`h.sign`\'s ±1', /apply the sign after `h\.flatten`/]] as const) {
      const said = note(net(CASES, name), 'h.batchnorm', true);
      expect(said, name).toContain(`not folded into a threshold compare: \`h.dense\` reads ${what} through \`h.flatten\` (flatten), but the rule looks for the input or a sign past dropout only`);
      expect(said, name).toMatch(fix);
      expect(said, name).not.toMatch(/not known to be/);
    }
    // A conv is told the shape it reads, not a flat input, in the network's own batch parameter's name.
    const conv = note(net(CASES, 'input_reshaped'), 'c.batchnorm', true);
    expect(conv).toContain('`c.conv2d` reads the network\'s input through `c.reshape` (reshape)');
    expect(conv).toMatch(/for a conv2d, declare the input in the shape it reads \(f32\[n, 1, 8, 8\]\)/);
    expect(conv).not.toMatch(/dense|flat \(/);
    // Behind a max pool no declaration of the input helps, flat or not.
    const pooled = note(net(CASES, 'input_pooled'), 'h.batchnorm', true);
    expect(pooled).toContain('`h.dense` reads the network\'s input through `h.flatten` (flatten)');
    expect(pooled).toMatch(/a max pool between them keeps that from `h\.dense`/);
    expect(pooled).not.toMatch(/declare the input/);
    const mlp = net(BINARY_MLP, 'binary_mlp');
    expect(note(mlp, 'h1.batchnorm')).toMatch(/not folded .* reads the network's input, not known to be whole/);
    expect(note(mlp, 'h1.batchnorm', true)).not.toMatch(/not folded/);
    expect(note(mlp, 'h2.batchnorm')).not.toMatch(/not folded/);
    // Nothing after these could be a compare (an f32 batch norm then a relu; a batch norm the
    // network outputs), so there is no fold to refuse, whatever the layer reads.
    const bnRelu = net(CASES, 'bn_relu');
    for (const bn of ['h.batchnorm', 'b']) {
      expect(note(bnRelu, bn), bn).toMatch(/a per-channel scale and shift/);
      expect(note(bnRelu, bn), bn).not.toMatch(/not folded/);
    }
  });

  it('a sign after a batch norm the estimate does not fold is priced, as kiln run computes it', () => {
    const work = moduleWork(net(CASES, 'padded_on_signs'));
    const sign = work.find((l) => l.name === 'c')!;
    expect(sign.work).toEqual({ kind: 'vector', ops: numElements(sign.node.type!.shape) });
    expect(work.find((l) => l.name === 'c.conv2d')!.compareOnOutput).toBeUndefined();
  });
});

/**
 * Batchwise (and structured) dropout trained on submatrices (Graham, Reizenstein & Robinson
 * 2015): layers next to the dropout multiply only the kept units. Forward values, the loss
 * gradient of every parameter and of the input must equal the masked computation's — what the
 * interpreter defines — within float32 rounding, over random shapes, drop rates and seeds; and
 * the plan must cut exactly the layers it may.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { backward, forward } from '../../../runtime/autodiff.ts';
import { planDropout } from '../../../runtime/autodiff/dropout-plan.ts';
import { gatherAxis, scatterAxis } from '../../../runtime/autodiff/submatrix.ts';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { type Tensor, fromArray, mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';
import { compareCut, expectClose } from './compare-cut.ts';

const dim = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const rate = fc.constantFrom(0.1, 0.25, 0.5, 0.75, 0.9);
const act = fc.constantFrom('relu', 'tanh', 'sigmoid', 'leaky_relu');

const RUNS = { numRuns: 25, seed: 20261124 };

describe('submatrix training = masked training, within float32 rounding', () => {
  it('dense → activation → dropout(batchwise) → dense → activation → dropout(structured) → dense', () => {
    fc.assert(fc.property(fc.record({ b: dim(1, 9), i: dim(1, 40), h1: dim(2, 70), h2: dim(2, 40), o: dim(1, 9), p1: rate, p2: rate, a: act, seed: dim(0, 1e6) }), (c) => {
      const m = build([`input x : f32[${c.b}, ${c.i}]`, `h = dense(x, ${c.h1}) -> ${c.a} -> dropout(${c.p1}, mode = batchwise)`,
        `g = dense(h, ${c.h2}) -> relu -> dropout(${c.p2}, mode = structured)`, `y = dense(g, ${c.o})`, 'output y']);
      compareCut(m, c.seed);
    }), RUNS);
  });

  it('products big enough for the packed GEMM and the sparse input path', () => {
    const m = build(['input x : f32[64, 300]', 'h = dense(x, 200) -> relu -> dropout(0.5, mode = batchwise)', 'y = dense(h, 10)', 'output y']);
    expect(compareCut(m, 3).filter((e) => e.saved.submatrix).length).toBe(2);
    // Mostly-zero inputs (3 % nonzero: under the WebAssembly path's 5 % threshold) take the sparse path on the cut weights.
    const s = build(['input x : f32[64, 400]', 'h = dense(x, 128) -> relu -> dropout(0.5, mode = batchwise)', 'y = dense(h, 10)', 'output y']);
    const w = initParams(s, 1);
    const x = randomUniform([64, 400], mulberry32(2), 0, 1);
    x.data.forEach((v, i) => { if (v < 0.97) x.data[i] = 0; });
    const cut = forward(s, w, { x }, { training: true, seed: 5 });
    expect(cut.tape[0]!.saved.nonzeros).toBeDefined();
    expect(cut.tape[0]!.saved.submatrix).toBeDefined();
    const masked = forward(s, w, { x }, { training: true, seed: 5, submatrix: false });
    expectClose(cut.outputs.y!, masked.outputs.y!, 'y');
    const r = new Map([['y', randomUniform([64, 10], mulberry32(3), -1, 1)]]);
    const gc = backward(s, cut, r, { training: true }), gm = backward(s, masked, r, { training: true });
    for (const [id, ps] of Object.entries(gm.params)) for (const [k, t] of Object.entries(ps)) expectClose(gc.params[id]![k]!, t, `d${id}.${k}`);
  });

  it('the same on the JS kernels (their cut and spread are JS loops, the WebAssembly path\'s are submatrix.wat)', () => {
    setKernelBackend('js');
    try {
      const m = build(['input x : f32[16, 60]', 'h = dense(x, 50) -> relu -> dropout(0.5, mode = batchwise)', 'g = dense(h, 40) -> relu -> dropout(0.3, mode = batchwise)', 'y = dense(g, 10)', 'output y']);
      expect(compareCut(m, 11).filter((e) => e.saved.submatrix).length).toBe(3);
    } finally {
      setKernelBackend(undefined);
    }
  });

  it('a spiking layer before the dropout keeps training\'s fused lif steps under the plan', () => {
    const m = build(['timesteps 3', 'input x : f32[4, 20]', 'h = dense(x, 30) -> lif(threshold = 0.5) -> dropout(0.5, mode = batchwise)', 'y = dense(h, 5)', 'output y']);
    const lifs = compareCut(m, 7).filter((e) => e.op === 'lif');
    expect(lifs.length).toBe(3);
    // lifStep is what the fused step (lif-fused.ts) saves for its backward pass.
    for (const e of lifs) expect(e.saved.lifStep).toBeInstanceOf(Float32Array);
  });

  it('conv2d → activation → dropout(structured) → conv2d: whole channels skipped on both sides', () => {
    fc.assert(fc.property(fc.record({ n: dim(1, 3), c: dim(1, 3), f1: dim(2, 8), f2: dim(1, 5), h: dim(3, 7), k: dim(1, 3), p: rate, seed: dim(0, 1e6) })
      .filter((c) => c.h >= 2 * c.k - 1), (c) => {
      const m = build([`input x : f32[${c.n}, ${c.c}, ${c.h}, ${c.h}]`, `a = conv2d(x, ${c.f1}, ${c.k}) -> relu -> dropout(${c.p}, mode = structured)`,
        `y = conv2d(a, ${c.f2}, ${c.k}, pad = 1)`, 'output y']);
      compareCut(m, c.seed);
    }), { ...RUNS, numRuns: 15 });
  });

  it('structured dropout on a sequence [B, T, F] feeding a dense layer', () => {
    fc.assert(fc.property(fc.record({ b: dim(1, 4), t: dim(1, 5), i: dim(1, 8), h: dim(2, 20), o: dim(1, 6), p: rate, seed: dim(0, 1e6) }), (c) => {
      const m = build([`input x : f32[${c.b}, ${c.t}, ${c.i}]`, `h = dense(x, ${c.h}) -> tanh -> dropout(${c.p}, mode = structured)`, `y = dense(h, ${c.o})`, 'output y']);
      compareCut(m, c.seed);
    }), { ...RUNS, numRuns: 15 });
  });
  it('binary layers binarize only their cut of the latent weights, and the estimator still zeroes the gradient of latent weights outside [−1, 1]', () => {
    const m = build(['input x : f32[32, 200]', 'h = dense(x, 300, weights = binary) -> batchnorm -> sign -> dropout(0.5, mode = batchwise)',
      'y = dense(h, 10, weights = binary)', 'output y']);
    const w = initParams(m, 4);
    // Latent weights of either sign beyond ±1 among the kept and the dropped ones.
    for (const id of ['h.dense', 'y']) w[id]!.weight!.data.forEach((v, i, a) => { if (i % 7 === 0) a[i] = v < 0 ? -1.5 : 1.5; });
    const x = randomUniform([32, 200], mulberry32(5), -1, 1);
    const cut = forward(m, w, { x }, { training: true, seed: 6 });
    const masked = forward(m, w, { x }, { training: true, seed: 6, submatrix: false });
    // y reads the dropout (h's batch norm keeps h uncut): its full ±1 matrix is never made.
    const used = cut.tape.filter((e) => e.saved.submatrix).map((e) => e.params.weight);
    expect(used).toEqual([expect.objectContaining({ materialized: false, inside: false })]);
    expectClose(cut.outputs.y!, masked.outputs.y!, 'y');
    const r = new Map([['y', randomUniform([32, 10], mulberry32(7), -1, 1)]]);
    const gc = backward(m, cut, r, { training: true }), gm = backward(m, masked, r, { training: true });
    for (const id of ['h.dense', 'y']) {
      const g = gc.params[id]!.weight!;
      expectClose(g, gm.params[id]!.weight!, `d${id}.weight`);
      w[id]!.weight!.data.forEach((v, i) => { if (Math.abs(v) > 1) expect(g.data[i], `d${id}.weight[${i}]`).toBe(0); });
      expect(g.data.some((v) => v !== 0)).toBe(true);
    }
  });
});

describe('the plan cuts only what it may', () => {
  const cutLayers = (lines: string[], seed = 1) => {
    const plan = planDropout(build(lines), seed);
    return plan ? Object.fromEntries([...plan.layers].map(([id, s]) => [id, [s.keepIn ? 'in' : '', s.keepOut ? 'out' : ''].join('')])) : {};
  };

  it('the producer through activations, and every dense reader', () => {
    expect(cutLayers(['input x : f32[4, 30]', 'h = dense(x, 40) -> relu -> sigmoid -> dropout(0.5, mode = batchwise)', 'y = dense(h, 3)', 'z = dense(h, 2)', 'output y', 'output z']))
      .toEqual({ 'h.dense': 'out', 'y': 'in', 'z': 'in' });
  });

  it('not a producer read elsewhere, a module output on the way, quantized activations, or batch norm', () => {
    expect(cutLayers(['input x : f32[4, 30]', 'a = dense(x, 40)', 'h = relu(a) -> dropout(0.5, mode = batchwise)', 'p = dense(h, 3)', 'q = dense(a, 3)', 'y = add(p, q)', 'output y'])).toEqual({ p: 'in' });
    expect(cutLayers(['input x : f32[4, 30]', 'a = dense(x, 40) -> relu', 'h = dropout(a, 0.5, mode = batchwise)', 'y = dense(h, 3)', 'output y', 'output a'])).toEqual({ y: 'in' });
    expect(cutLayers(['input x : f32[4, 30]', 'h = dense(x, 40, activations = i8) -> dropout(0.5, mode = batchwise)', 'y = dense(h, 3)', 'output y'])).toEqual({ y: 'in' });
    expect(cutLayers(['input x : f32[4, 30]', 'h = dense(x, 40) -> batchnorm -> dropout(0.5, mode = batchwise)', 'y = dense(h, 3)', 'output y'])).toEqual({ y: 'in' });
  });

  it('nothing for elementwise masks, or batchwise masks that vary over more than one axis', () => {
    expect(cutLayers(['input x : f32[4, 30]', 'h = dense(x, 40) -> dropout(0.5)', 'y = dense(h, 3)', 'output y'])).toEqual({});
    expect(cutLayers(['input x : f32[2, 3, 6, 6]', 'a = conv2d(x, 4, 3) -> dropout(0.5, mode = batchwise)', 'y = conv2d(a, 2, 3)', 'output y'])).toEqual({});
    expect(cutLayers(['input x : f32[2, 5, 8]', 'h = dense(x, 6) -> dropout(0.5, mode = batchwise)', 'y = dense(h, 3)', 'output y'])).toEqual({});
  });

  it('only in training, and not when asked to mask', () => {
    const m = build(['input x : f32[4, 30]', 'h = dense(x, 40) -> relu -> dropout(0.5, mode = batchwise)', 'y = dense(h, 3)', 'output y']);
    const w = initParams(m, 1), x = randomUniform([4, 30], mulberry32(1), -1, 1);
    const cuts = (o: Parameters<typeof forward>[3]) => forward(m, w, { x }, o).tape.filter((e) => e.saved.submatrix).length;
    expect([cuts({ training: true }), cuts({ training: false }), cuts({ training: true, submatrix: false })]).toEqual([2, 0, 0]);
  });
});

describe('gather and scatter along an axis', () => {
  it('scatter undoes gather and zeros the rest', () => {
    const t = fromArray([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const idx = Int32Array.from([0, 2]);
    const g = gatherAxis(t, 1, idx);
    expect(g.shape).toEqual([2, 2, 2]);
    expect(Array.from(g.data)).toEqual([1, 2, 5, 6, 7, 8, 11, 12]);
    expect(Array.from(scatterAxis(g, 1, idx, 3).data)).toEqual([1, 2, 0, 0, 5, 6, 7, 8, 0, 0, 11, 12]);
    expect(Array.from(gatherAxis(t, 2, Int32Array.from([1])).data)).toEqual([2, 4, 6, 8, 10, 12]);
  });
});

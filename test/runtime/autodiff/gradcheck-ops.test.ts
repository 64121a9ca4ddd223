/**
 * Every differentiable op against central finite differences, through the IR (compile → forward
 * → backward), over random small shapes and attributes drawn by fast-check. Parameters and
 * inputs are both checked. Ops whose forward is not differentiable (sign, lif, quantization) have
 * their estimators tested in ste.test.ts and spiking.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPS } from '../../../compiler/ir/ops.ts';
import { DIFFERENTIABLE_OPS } from '../../../runtime/autodiff.ts';
import { awayFromZero, build, checkGradients, distinct, inputsFor } from './helpers.ts';

const RUNS = { numRuns: 6, seed: 20261123 };
const dim = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });

function property<T>(arb: fc.Arbitrary<T>, lines: (c: T) => string[], o: Parameters<typeof checkGradients>[2] & { make?: Parameters<typeof inputsFor>[2] } = {}): void {
  fc.assert(fc.property(arb, fc.integer({ min: 1, max: 1000 }), (c, seed) => {
    const m = build(lines(c));
    expect(checkGradients(m, inputsFor(m, seed, o.make), o)).toBeGreaterThan(0);
  }), RUNS);
}

describe('gradients of every op match finite differences (through the IR)', () => {
  it('covers the whole op vocabulary', () => {
    expect([...DIFFERENTIABLE_OPS].sort()).toEqual([...OPS.keys()].sort());
  });

  it('dense, with and without bias, on [B, in] and [B, T, in]', () => {
    property(fc.record({ b: dim(1, 4), t: dim(0, 3), i: dim(1, 6), o: dim(1, 5), bias: fc.boolean() }),
      (c) => [`input x : f32[${c.b}, ${c.t ? `${c.t}, ` : ''}${c.i}]`, `y = dense(x, ${c.o}, bias = ${c.bias})`, 'output y']);
  });

  it('matmul with broadcast batch axes and 1-D operands', () => {
    for (const form of ['batched', 'broadcast', 'vector-left', 'vector-right']) {
      property(fc.record({ m: dim(1, 4), k: dim(1, 4), n: dim(1, 4), batch: dim(1, 3) }), (c) => {
        const a = form === 'vector-left' ? `[${c.k}]` : form === 'broadcast' ? `[${c.batch}, 1, ${c.m}, ${c.k}]` : `[${c.batch}, ${c.m}, ${c.k}]`;
        const b = form === 'vector-right' ? `[${c.k}]` : form === 'broadcast' ? `[2, ${c.k}, ${c.n}]` : `[${c.batch}, ${c.k}, ${c.n}]`;
        return [`input a : f32${a}`, `input b : f32${b}`, 'y = matmul(a, b)', 'output y'];
      });
    }
  });

  it('conv2d with stride, padding, dilation and groups', () => {
    property(fc.record({ n: dim(1, 2), g: dim(1, 2), cg: dim(1, 2), fg: dim(1, 2), h: dim(3, 6), w: dim(3, 6), k: dim(1, 3), s: dim(1, 2), p: dim(0, 1), d: dim(1, 2) })
      .filter((c) => c.h + 2 * c.p >= c.d * (c.k - 1) + 1 && c.w + 2 * c.p >= c.d * (c.k - 1) + 1),
    (c) => [`input x : f32[${c.n}, ${c.g * c.cg}, ${c.h}, ${c.w}]`,
      `y = conv2d(x, filters = ${c.g * c.fg}, kernel = ${c.k}, stride = ${c.s}, pad = ${c.p}, dilation = ${c.d}, groups = ${c.g})`, 'output y']);
  });

  it('max pooling (no ties), average pooling with padding, global average pooling', () => {
    const geo = fc.record({ c: dim(1, 2), h: dim(2, 6), w: dim(2, 6), k: dim(1, 3), s: dim(1, 2), p: dim(0, 1), include: fc.boolean(), ceil: fc.boolean() })
      .filter((c) => c.p < c.k && c.h + 2 * c.p >= c.k && c.w + 2 * c.p >= c.k);
    property(geo, (c) => [`input x : f32[2, ${c.c}, ${c.h}, ${c.w}]`, `y = maxpool2d(x, ${c.k}, ${c.s}, pad = ${c.p}, ceil_mode = ${c.ceil})`, 'output y'], { make: distinct });
    property(geo, (c) => [`input x : f32[2, ${c.c}, ${c.h}, ${c.w}]`, `y = avgpool2d(x, ${c.k}, ${c.s}, pad = ${c.p}, count_include_pad = ${c.include})`, 'output y']);
    property(fc.record({ c: dim(1, 3), h: dim(1, 4) }), (c) => [`input x : f32[2, ${c.c}, ${c.h}, 3]`, 'y = global_avgpool(x)', 'output y']);
  });

  it('batch norm with batch statistics (training) and running statistics (inference)', () => {
    const shapes = fc.record({ n: dim(2, 4), c: dim(1, 3), hw: fc.constantFrom('', ', 2, 3', ', 3') });
    property(shapes, (c) => [`input x : f32[${c.n}, ${c.c}${c.hw}]`, 'y = batchnorm(x)', 'output y'], { training: true, eps: 3e-3, rtol: 5e-2 });
    property(shapes, (c) => [`input x : f32[${c.n}, ${c.c}${c.hw}]`, 'y = batchnorm(x)', 'output y']);
  });

  it('activations: relu, leaky_relu, prelu, sigmoid, tanh, hard_tanh', () => {
    const shape = fc.record({ n: dim(1, 3), c: dim(1, 4), extra: fc.constantFrom('', ', 2') });
    for (const a of ['relu(x)', 'leaky_relu(x, 0.2)', 'prelu(x)', 'prelu(x, shared = true)', 'sigmoid(x)', 'tanh(x)', 'hard_tanh(x, min = -0.5, max = 0.5)']) {
      property(shape, (s) => [`input x : f32[${s.n}, ${s.c}${s.extra}]`, `y = ${a}`, 'output y'], { make: awayFromZero, eps: 5e-3 });
    }
  });

  it('softmax and log_softmax along any axis', () => {
    for (const op of ['softmax', 'log_softmax']) {
      property(fc.record({ a: dim(1, 3), b: dim(1, 4), c: dim(2, 4), axis: dim(-3, 2) }),
        (c) => [`input x : f32[${c.a}, ${c.b}, ${c.c}]`, `y = ${op}(x, axis = ${c.axis})`, 'output y']);
    }
  });

  it('movement: flatten, reshape, transpose, concat, upsample2d', () => {
    property(fc.record({ n: dim(1, 2), c: dim(1, 3), h: dim(1, 3), w: dim(1, 3), perm: fc.constantFrom('[0, 2, 3, 1]', '[3, 2, 1, 0]', '[1, 0, 2, 3]'), mode: fc.constantFrom('nearest', 'bilinear'), s: dim(1, 3) }), (c) => [
      `input x : f32[${c.n}, ${c.c}, ${c.h}, ${c.w}]`,
      `input z : f32[${c.n}, 2, ${c.h}, ${c.w}]`,
      'f = flatten(x)', `r = reshape(x, [${c.n}, -1])`, `t = transpose(x, ${c.perm})`,
      'k = concat(x, z, x, axis = 1)', `u = upsample2d(x, ${c.s}, mode = ${c.mode})`,
      'output f, r, t, k, u',
    ]);
  });

  it('add and mul with broadcasting (and an operand used twice)', () => {
    const b = fc.constantFrom('[3, 4]', '[4]', '[3, 1]', '[1, 4]', '[1]');
    property(fc.tuple(b, b), ([p, q]) => [`input a : f32${p}`, `input b : f32${q}`, 'y = add(a, b)', 'z = mul(a, b)', 'w = mul(a, a)', 'output y, z, w']);
  });

  it('embedding (the table) and param (as an operand)', () => {
    property(fc.record({ v: dim(2, 6), d: dim(1, 4), t: dim(1, 4) }), (c) => [
      `input ids : i32[2, ${c.t}]`, `e = embedding(ids, ${c.v}, ${c.d})`, `p = param([${c.d}])`, 'y = add(e, p)', 'output y',
    ], { skipInputs: ['ids'], make: (shape, seed) => { const t = distinct(shape, seed); t.data.forEach((v, i) => { t.data[i] = (i * 7 + seed) % 2; }); return t; } });
  });

  it('dropout in training reuses its mask (every mode)', () => {
    for (const mode of ['elementwise', 'batchwise', 'structured']) {
      property(fc.record({ c: dim(1, 4), four: fc.boolean() }), (c) => [
        `input x : f32[3, ${c.c}${c.four ? ', 2, 2' : ''}]`, `y = dropout(x, 0.4, mode = ${mode})`, 'output y',
      ], { training: true, seed: 3 });
    }
  });

  it('rnn, lstm and gru: stacked layers, every step or the last, dropout between layers', () => {
    for (const op of ['rnn', 'lstm', 'gru']) {
      property(fc.record({ layers: dim(1, 2), seq: fc.constantFrom('all', 'last'), t: dim(1, 3), h: dim(1, 3), drop: fc.constantFrom(0, 0.3) }), (c) => [
        `input x : f32[2, ${c.t}, 3]`, `y = ${op}(x, ${c.h}, layers = ${c.layers}, sequence = ${c.seq}, dropout = ${c.drop})`, 'output y',
      ], { training: true, seed: 5, samples: 6 });
    }
  });

  it('lmu: orders, windows and the optional connections (sigma_delta\'s straight-through gradient: test/runtime/lmu)', () => {
    property(fc.record({ t: dim(1, 4), h: dim(1, 3), order: dim(1, 4), theta: fc.constantFrom(1, 2.5, 6), seq: fc.constantFrom('all', 'last'), links: fc.boolean() }), (c) => [
      `input x : f32[2, ${c.t}, 2]`,
      `y = lmu(x, ${c.h}, order = ${c.order}, theta = ${c.theta}, sequence = ${c.seq}, hidden_to_memory = ${c.links}, memory_to_memory = ${c.links}, input_to_hidden = ${c.links})`, 'output y',
    ], { samples: 6 });
  });

  it('a small CNN end to end: conv → batchnorm → tanh → avgpool → flatten → dense → log_softmax', () => {
    const m = build(['input x : f32[3, 2, 6, 6]', 'c = conv2d(x, 3, 3, pad = 1) -> batchnorm -> tanh -> avgpool2d(2)', 'y = flatten(c) -> dense(4) -> log_softmax', 'output y']);
    expect(checkGradients(m, inputsFor(m, 1), { training: true, eps: 3e-3, rtol: 5e-2 })).toBeGreaterThan(40);
  });
});

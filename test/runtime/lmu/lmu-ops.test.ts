/**
 * The lmu and sigma_delta ops through the language: the quantizer's error carrying on a hand
 * sequence, the LMU cell against a step-by-step evaluation of its equations, gradients against
 * finite differences, and errors in the source.
 */
import { describe, expect, it } from 'vitest';
import { sigmaDelta } from '../../../runtime/kernels/sigma-delta.ts';
import { lmuMatrices } from '../../../runtime/kernels/lmu-matrices.ts';
import { run, initParams } from '../../../runtime/interpreter.ts';
import { fromArray } from '../../../runtime/tensor.ts';
import { build, checkGradients, inputsFor } from '../autodiff/helpers.ts';
import { compileText, net } from '../../helpers/kiln.ts';

describe('sigma_delta', () => {
  it('carries the rounding error: events 1, 0, 1, 1, 2 for 0.3, 0.4, 0.2, 0.45, 0.95 at step 0.5', () => {
    // By hand, s = x + e, n = round(s / 0.5), e = s − 0.5·n:
    //   s 0.3 → n 1, e −0.2;  s 0.2 → n 0, e 0.2;  s 0.4 → n 1, e −0.1;  s 0.35 → n 1, e −0.15;  s 0.8 → n 2, e −0.2
    const x = fromArray([5, 1], [0.3, 0.4, 0.2, 0.45, 0.95]);
    const r = sigmaDelta(x, 0.5);
    expect(Array.from(r.counts)).toEqual([1, 0, 1, 1, 2]);
    expect(Array.from(r.y.data)).toEqual([0.5, 0, 0.5, 0.5, 1]);
  });

  it('the running sum of what is sent stays within half a step of the running sum of the input', () => {
    const n = 400, scale = 0.3;
    const x = fromArray([n, 2], Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 0.37) * 1.7 + (i % 2 ? 0.2 : -0.4)));
    const r = sigmaDelta(x, scale);
    for (let u = 0; u < 2; u++) {
      let sx = 0, sy = 0;
      for (let t = 0; t < n; t++) {
        sx += x.data[t * 2 + u]!;
        sy += r.y.data[t * 2 + u]!;
        expect(Math.abs(sx - sy)).toBeLessThanOrEqual(scale / 2 + 1e-4);
      }
    }
  });

  it('spiking = 0 is the identity, spiking = 1 the quantizer, in between the blend', () => {
    const x = fromArray([3, 1], [0.3, 0.4, 0.2]);
    expect(Array.from(sigmaDelta(x, 0.5, 0).y.data)).toEqual(Array.from(x.data));
    const half = sigmaDelta(x, 0.5, 0.5).y.data;
    expect(half[0]).toBeCloseTo(0.5 * 0.5 + 0.5 * 0.3, 6);
  });

  it('its straight-through gradient matches finite differences where the step is far below theirs, between two layers', () => {
    // A step of 1e-6 rounds every value by at most that, so the differences (ε = 1e-2) see the
    // identity the straight-through rule assumes; a rule that dropped or scaled the gradient fails.
    const m = build(['input x : f32[2, 4, 3]', 'a = dense(x, 3)', 's = sigma_delta(a, 1e-6)', 'y = dense(s, 2)', 'output y']);
    expect(checkGradients(m, inputsFor(m, 4), { samples: 8 })).toBeGreaterThan(20);
  });

  it('as an op: batch first, error carried along axis 1 per sample and unit', () => {
    const m = build(['input x : f32[2, 5, 1]', 'y = sigma_delta(x, 0.5)', 'output y']);
    const x = fromArray([2, 5, 1], [0.3, 0.4, 0.2, 0.45, 0.95, -0.3, -0.4, -0.2, -0.45, -0.95]);
    const y = run(m, {}, { x }).outputs.y!;
    expect(Array.from(y.data)).toEqual([0.5, 0, 0.5, 0.5, 1, -0.5, -0, -0.5, -0.5, -1]);
  });
});

describe('lmu', () => {
  it('computes u = x·e_x, m = Ā·m + B̄·u, h = tanh(W_m·m + W_h·h + b) step by step', () => {
    const m = build(['input x : f32[1, 3, 1]', 'y = lmu(x, 2, order = 2, theta = 3)', 'output y']);
    const w = { y: {
      e_x: fromArray([1, 1], [0.8]), w_m: fromArray([2, 2], [0.5, -0.3, 0.2, 0.9]),
      w_h: fromArray([2, 2], [0.1, -0.4, 0.3, 0.2]), bias: fromArray([2], [0.05, -0.1]),
    } };
    const xs = [1, -0.5, 0.25];
    const y = run(m, w, { x: fromArray([1, 3, 1], xs) }).outputs.y!;
    const { a, b } = lmuMatrices(2, 3);
    let mem = [0, 0], h = [0, 0];
    const want: number[] = [];
    for (const xv of xs) {
      const u = 0.8 * xv;
      mem = [a[0]! * mem[0]! + a[1]! * mem[1]! + b[0]! * u, a[2]! * mem[0]! + a[3]! * mem[1]! + b[1]! * u];
      h = [
        Math.tanh(0.5 * mem[0]! - 0.3 * mem[1]! + 0.1 * h[0]! - 0.4 * h[1]! + 0.05),
        Math.tanh(0.2 * mem[0]! + 0.9 * mem[1]! + 0.3 * h[0]! + 0.2 * h[1]! - 0.1),
      ];
      want.push(...h);
    }
    want.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 5));
  });

  it('gradients match finite differences, with every optional connection, sequence all and last', () => {
    for (const [opts, seq] of [['', 'all'], [', hidden_to_memory = true, memory_to_memory = true, input_to_hidden = true', 'last'], [', input_to_hidden = true', 'all']] as const) {
      const m = build(['input x : f32[2, 5, 3]', `y = lmu(x, 4, order = 3, theta = 4, sequence = ${seq}${opts})`, 'output y']);
      expect(checkGradients(m, inputsFor(m, 3), { samples: 8 })).toBeGreaterThan(0);
    }
  });

  it('sigma-delta hidden units send integer multiples of the step, recur on them, and train straight through', () => {
    const m = build(['input x : f32[2, 6, 1]', 'y = lmu(x, 3, order = 4, theta = 6, sigma_delta = 0.25)', 'output y']);
    const w = initParams(m, 2);
    const y = run(m, w, inputsFor(m, 1)).outputs.y!;
    for (const v of y.data) expect(Math.abs(v / 0.25 - Math.round(v / 0.25))).toBeLessThan(1e-5);
    // Straight through: with a step far below the finite-difference step, the quantized layer's
    // differences see the smooth function the straight-through gradient assumes.
    const fine = build(['input x : f32[2, 6, 1]', 'y = lmu(x, 3, order = 4, theta = 6, sigma_delta = 1e-6)', 'output y']);
    expect(checkGradients(fine, inputsFor(fine, 1), { samples: 6, rtol: 5e-2 })).toBeGreaterThan(0);
  });

  it('reports errors in the source where they are', () => {
    const err = (line: string, input = 'input x : f32[2, 5, 1]') => {
      try { compileText(net([input, line, 'output y'])); } catch (e) { return String((e as Error).message); }
      return '';
    };
    // A window or a quantizer step of 0 is refused at the value, and the missing-attribute message says > 0, not ≥ 0.
    expect(err('y = lmu(x, 4, order = 3)')).toMatch(/needs `theta` \(a number > 0:/);
    expect(err('y = lmu(x, 4, order = 3, theta = 0)')).toMatch(/:3:36: error: lmu: `theta` must be a number > 0, not 0/);
    expect(err('y = lmu(x, 4, order = 3, theta = 5)', 'input x : f32[2, 5]')).toMatch(/lmu takes a sequence/);
    expect(err('y = lmu(x, 4, order = 3, theta = 5, sigma_delta = 0)')).toMatch(/`sigma_delta` must be a number > 0, not 0/);
    expect(err('y = sigma_delta(x, 0)', 'input x : f32[2, 5, 1]')).toMatch(/`scale` must be a number > 0, not 0/);
    expect(err('y = sigma_delta(x, 0.5)', 'input x : f32[2, 5]')).toMatch(/axis 1 of \[batch, time/);
  });
});

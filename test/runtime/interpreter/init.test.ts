/** Seeded parameter initialization: shapes, determinism, and the He / Glorot choice. */
import { describe, expect, it } from 'vitest';
import { initParams } from '../../../runtime/interpreter.ts';
import { build } from './helpers.ts';

const std = (a: Float32Array) => {
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
};

describe('initParams', () => {
  const m = build([
    'input x : f32[8, 3, 8, 8]',
    'c = conv2d(x, 64, 3, bias = false) -> batchnorm -> relu -> flatten',
    'h = dense(c, 32) -> tanh',
    'y = dense(h, 10) -> softmax',
    'output y',
  ]);

  it('gives every declared parameter its declared shape', () => {
    const w = initParams(m, 1);
    for (const node of Object.values(m.nodes)) {
      for (const [name, t] of Object.entries(node.params ?? {})) expect(w[node.id]?.[name]?.shape, `${node.id}.${name}`).toEqual(t.shape);
    }
  });

  it('is reproducible per seed, and one parameter does not depend on the others', () => {
    const a = initParams(m, 1), b = initParams(m, 1), c = initParams(m, 2);
    expect(Array.from(a['h.dense']!.weight!.data)).toEqual(Array.from(b['h.dense']!.weight!.data));
    expect(Array.from(a['h.dense']!.weight!.data)).not.toEqual(Array.from(c['h.dense']!.weight!.data));
    const bigger = build([
      'input x : f32[8, 3, 8, 8]',
      'c = conv2d(x, 64, 3, bias = false) -> batchnorm -> relu -> flatten',
      'extra = dense(c, 5)',
      'h = dense(c, 32) -> tanh',
      'y = dense(h, 10) -> softmax',
      'output y, extra',
    ]);
    expect(Array.from(initParams(bigger, 1)['h.dense']!.weight!.data)).toEqual(Array.from(a['h.dense']!.weight!.data));
  });

  it('uses He (std √(2/fan_in)) before ReLU, through batchnorm, and Glorot (±√(6/(fan_in + fan_out))) otherwise', () => {
    const w = initParams(m, 3);
    // conv: fan_in 3·3·3 = 27 → He std 0.272 (1728 samples: sampling error of the std ≈ 0.005).
    expect(Math.abs(std(w['c.conv2d']!.weight!.data) - Math.sqrt(2 / 27))).toBeLessThan(0.03);
    // dense before tanh: fan_in 64·6·6, fan_out 32 → Glorot uniform, std = limit/√3.
    const limit = Math.sqrt(6 / (64 * 6 * 6 + 32));
    const h = w['h.dense']!.weight!.data;
    expect(h.every((v) => Math.abs(v) <= limit)).toBe(true);
    expect(Math.abs(std(h) - limit / Math.sqrt(3))).toBeLessThan(0.02 * limit);
    expect(Array.from(w['h.dense']!.bias!.data).every((v) => v === 0)).toBe(true);
  });

  it('starts batchnorm as the identity, prelu at 0.25, and the LSTM forget gate open', () => {
    const r = build(['input x : f32[2, 4, 6]', 'y = lstm(x, 5) -> prelu -> batchnorm', 'output y']);
    const w = initParams(r, 0);
    const id = (op: string) => Object.values(r.nodes).find((n) => n.op === op)!.id;
    expect(Array.from(w[id('batchnorm')]!.gamma!.data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(w[id('batchnorm')]!.running_var!.data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(w[id('batchnorm')]!.running_mean!.data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(w[id('prelu')]!.slope!.data)).toEqual([0.25, 0.25, 0.25, 0.25]);
    // Gate blocks i, f, g, o of 5 units: the forget block is bias 1 (Jozefowicz et al. 2015).
    expect(Array.from(w[id('lstm')]!.b0!.data)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, ...new Array(10).fill(0)]);
  });
});

/**
 * Gradients of the `delta =` layers against central finite differences. At θ = 0 the delta form
 * computes exactly the dense layer, so every parameter and input is checked; at θ > 0 the encoder
 * is a step function and only the straight-through estimator stands (docs/delta-networks.md), except
 * for a delta dense layer on a data input, whose references do not depend on its weights.
 */
import { describe, expect, it } from 'vitest';
import { forward, lossAndGradients } from '../../../runtime/autodiff.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { awayFromZero, build, checkGradients, inputsFor } from './helpers.ts';

describe('delta layers: gradients match finite differences', () => {
  for (const op of ['rnn', 'gru', 'lstm']) {
    it(`${op}(delta = 0), one and two stacked layers, every step and the last`, () => {
      for (const [layers, seq] of [[1, 'all'], [2, 'last']] as const) {
        const m = build(['input x : f32[2, 4, 3]', `y = ${op}(x, 3, layers = ${layers}, sequence = ${seq}, delta = 0)`, 'output y']);
        expect(checkGradients(m, inputsFor(m, 11), { samples: 6 })).toBeGreaterThan(0);
      }
    });
  }

  it('dense(delta = 0) on [B, T, F] and on [B, F], after a layer', () => {
    for (const shape of ['2, 4, 3', '5, 3']) {
      const m = build([`input x : f32[${shape}]`, 'h = dense(x, 4) -> tanh', 'y = dense(h, 2, delta = 0)', 'output y']);
      expect(checkGradients(m, inputsFor(m, 3), { samples: 6 })).toBeGreaterThan(0);
    }
  });

  it('dense(delta = 0.3) on a data input: exact weight gradients on the references', () => {
    const m = build(['input x : f32[2, 6, 3]', 'y = dense(x, 2, delta = 0.3)', 'output y']);
    expect(checkGradients(m, inputsFor(m, 5), { skipInputs: ['x'] })).toBeGreaterThan(0);
  });

  it('the L1 cost on changes: loss value and gradient match finite differences', () => {
    for (const lines of [
      ['input x : f32[2, 5, 3]', 'h = gru(x, 4, delta = 0)', 'y = dense(h, 2)', 'output y'],
      ['input x : f32[2, 5, 3]', 'h = dense(x, 4) -> tanh', 'y = dense(h, 2, delta = 0)', 'output y'],
    ]) {
      const m = build(lines);
      const w = initParams(m, 2);
      const x = { x: awayFromZero([2, 5, 3], 4) };
      const labels = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1];
      const lossAt = (l1: number) => lossAndGradients(m, w, x, labels, { deltaL1: l1, training: false }).loss;
      const base = lossAt(0);
      expect(lossAt(0.5) - base).toBeGreaterThan(0);
      const g = lossAndGradients(m, w, x, labels, { deltaL1: 0.5, training: false }).grads.params;
      const g0 = lossAndGradients(m, w, x, labels, { deltaL1: 0, training: false }).grads.params;
      const id = Object.keys(w).find((k) => k.startsWith('h'))!;
      const name = Object.keys(w[id]!)[0]!;
      const t = w[id]![name]!;
      let differ = 0;
      for (const i of [0, 3, 7, 10]) {
        // A small step: |Δ| has a kink at 0, and a large step may cross it.
        const v = t.data[i]!, eps = 1e-3;
        t.data[i] = v + eps; const up = lossAt(0.5);
        t.data[i] = v - eps; const down = lossAt(0.5);
        t.data[i] = v;
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(g[id]![name]!.data[i]! - numeric)).toBeLessThanOrEqual(2e-3 + 3e-2 * Math.abs(numeric));
        if (Math.abs(g[id]![name]!.data[i]! - g0[id]![name]!.data[i]!) > 1e-4) differ++;
      }
      expect(differ).toBeGreaterThan(0);
    }
  });

  it('deltaScale (delta_anneal) runs every delta layer at θ times the scale', () => {
    const net = (theta: number) => build(['input x : f32[3, 6, 4]', `h = gru(x, 5, sequence = last, delta = ${theta})`, `y = dense(h, 2, delta = ${theta})`, 'output y']);
    const full = net(0.4), half = net(0.2), dense = net(0);
    const w = initParams(full, 1), x = inputsFor(full, 2);
    const out = (m: typeof full, scale?: number) => Array.from(forward(m, w, x, { training: true, deltaScale: scale }).outputs.y!.data);
    expect(out(full, 0.5)).toEqual(out(half));
    expect(out(full, 0)).toEqual(out(dense));
    expect(out(full, 1)).toEqual(out(full));
    // The threshold really moved: at the full θ the output differs from half of it.
    expect(out(full)).not.toEqual(out(half));
  });

  it('a delta dense layer after a batchwise dropout keeps its encoder (no submatrix cut)', () => {
    const m = build(['input x : f32[4, 6]', 'h = dense(x, 8) -> dropout(0.5, mode = batchwise)', 'y = dense(h, 3, delta = 0.2)', 'output y']);
    const w = initParams(m, 1), x = inputsFor(m, 2);
    const cut = forward(m, w, x, { training: true, seed: 3 }), masked = forward(m, w, x, { training: true, seed: 3, submatrix: false });
    expect(cut.tape.find((e) => e.node === 'y')!.saved.xhat).toBeDefined();
    cut.outputs.y!.data.forEach((v, i) => expect(v).toBeCloseTo(masked.outputs.y!.data[i]!, 5));
  });
});

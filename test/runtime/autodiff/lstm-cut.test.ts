/**
 * Structured dropout inside the LSTM cell (lstm(…, dropout = p, dropout_mode = structured)):
 * training on the kept units' submatrices must give the masked computation's outputs and
 * gradients within float32 rounding for the same drop pattern, run products on fewer rows and
 * columns, keep dropped units at zero for every sample and step, and have gradients that agree
 * with finite differences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forward } from '../../../runtime/autodiff.ts';
import type { SavedLstmCut } from '../../../runtime/autodiff/lstm-cut.ts';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { compareCut } from './compare-cut.ts';
import { build, checkGradients, inputsFor } from './helpers.ts';

const dim = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });

const lstmNet = (b: number, t: number, i: number, h: number, layers: number, p: number, sequence = 'all', head = '') =>
  build([`input x : f32[${b}, ${t}, ${i}]`, `y = lstm(x, ${h}, layers = ${layers}, dropout = ${p}, dropout_mode = structured, sequence = ${sequence})${head}`, 'output y']);

describe('lstm with structured dropout inside the cell', () => {
  it('submatrices = masked full products, outputs and every gradient, within float32 rounding', () => {
    fc.assert(fc.property(fc.record({
      b: dim(1, 5), t: dim(1, 6), i: dim(1, 12), h: dim(2, 24), layers: dim(1, 3), p: fc.constantFrom(0.2, 0.5, 0.7),
      last: fc.boolean(), seed: dim(0, 1e6),
    }), (c) => {
      const tape = compareCut(lstmNet(c.b, c.t, c.i, c.h, c.layers, c.p, c.last ? 'last' : 'all'), c.seed);
      const cut = tape.find((e) => e.op === 'lstm')!.saved.lstmCut as SavedLstmCut | undefined;
      // Drawn masks that keep every unit or none run the masked path; all others must cut.
      if (cut) expect(cut.layers).toHaveLength(c.layers);
    }), { numRuns: 30, seed: 20261207 });
  });

  it('the products really shrink: layer l runs on 4|K_l| rows and |K_l−1| + |K_l| columns', () => {
    const m = lstmNet(3, 4, 7, 16, 2, 0.5);
    const w = initParams(m, 1);
    const x = randomUniform([3, 4, 7], mulberry32(2), -1, 1);
    const f = forward(m, w, { x }, { training: true, seed: 9 });
    const cut = f.tape.find((e) => e.op === 'lstm')!.saved.lstmCut as SavedLstmCut;
    const [k0, k1] = cut.layers.map((l) => l.keep.length) as [number, number];
    expect(k0).toBeGreaterThan(0);
    expect(k0).toBeLessThan(16);
    expect(cut.layers[0]!.wt.w.shape).toEqual([4 * k0, 7]);
    expect(cut.layers[0]!.wt.r.shape).toEqual([4 * k0, k0]);
    expect(cut.layers[1]!.wt.w.shape).toEqual([4 * k1, k0]);
    expect(cut.layers[1]!.wt.r.shape).toEqual([4 * k1, k1]);
    // The top layer's dropped units are zero in every sample and step, kept ones are not.
    const y = f.outputs.y!;
    const top = new Set(cut.layers[1]!.keep);
    for (let u = 0; u < 16; u++) {
      const col = Array.from({ length: 12 }, (_, r) => y.data[r * 16 + u]!);
      if (top.has(u)) expect(col.some((v) => v !== 0)).toBe(true);
      else expect(col.every((v) => v === 0)).toBe(true);
    }
  });

  it('a fresh pattern per seed (minibatch), none in inference', () => {
    const m = lstmNet(2, 3, 4, 12, 1, 0.5);
    const w = initParams(m, 1);
    const x = randomUniform([2, 3, 4], mulberry32(3), -1, 1);
    const keep = (seed: number) => Array.from((forward(m, w, { x }, { training: true, seed }).tape.find((e) => e.op === 'lstm')!.saved.lstmCut as SavedLstmCut).layers[0]!.keep);
    expect(keep(1)).not.toEqual(keep(2));
    const plain = build(['input x : f32[2, 3, 4]', 'y = lstm(x, 12)', 'output y']);
    expect(Array.from(run(m, w, { x }).outputs.y!.data)).toEqual(Array.from(run(plain, w, { x }).outputs.y!.data));
  });

  it('gradients match central finite differences on a tiny 2-layer LSTM (cut path)', () => {
    for (const sequence of ['all', 'last']) {
      const m = lstmNet(2, 3, 3, 5, 2, 0.4, sequence);
      // Seed 4 keeps some but not all units in both layers (the cut path runs).
      const f = forward(m, initParams(m, 5), inputsFor(m, 1), { training: true, seed: 4 });
      expect(f.tape.find((e) => e.op === 'lstm')!.saved.lstmCut).toBeDefined();
      expect(checkGradients(m, inputsFor(m, 1), { training: true, seed: 4, samples: 12 })).toBeGreaterThan(50);
    }
  });

  it('feeds a dense head, as examples/ptb_lstm.kiln does', () => {
    compareCut(lstmNet(2, 4, 5, 10, 2, 0.5, 'all', ' -> dense(6) -> softmax'), 17);
  });
});

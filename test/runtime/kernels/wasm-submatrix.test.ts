/**
 * submatrix.wat's cut and spread against their definitions: cut(w)[r, c] = w[rows[r], cols[c]],
 * spread puts g back at those places with zeros elsewhere. They only move values, so equality is
 * exact (Object.is: −0 and NaN must come through as they are), over random shapes and keep sets,
 * with and without a row selection; the cut binarized on the way out equals binarizing the cut.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasmCut, wasmSpread } from '../../../runtime/kernels/wasm/submatrix.ts';
import { scratchMark } from '../../../runtime/kernels/wasm/instance.ts';
import { wasmBinarize } from '../../../runtime/kernels/wasm/binarize.ts';
import { randomArray } from './helpers/gradcheck.ts';

/** The ascending indices of 0..n−1 whose bit in `pick` is set, at least one. */
function keep(n: number, pick: number[]): Int32Array {
  const k = Int32Array.from({ length: n }, (_, i) => i).filter((i) => (pick[i % pick.length]! >> (i % 7) & 1) === 1);
  return k.length > 0 ? k : Int32Array.of(n - 1);
}

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('WebAssembly submatrix cut and spread', () => {
  it('equal the index definitions bit for bit and leave no scratch behind', () => {
    fc.assert(fc.property(fc.record({
      outF: fc.integer({ min: 1, max: 40 }), inF: fc.integer({ min: 1, max: 40 }), cutRows: fc.boolean(),
      pr: fc.array(fc.nat(127), { minLength: 1, maxLength: 5 }), pc: fc.array(fc.nat(127), { minLength: 1, maxLength: 5 }), seed: fc.nat(),
    }), (c) => {
      const w = randomArray(c.outF * c.inF, c.seed);
      w[0] = -0;
      if (w.length > 1) w[1] = NaN;
      const rows = c.cutRows ? keep(c.outF, c.pr) : undefined, cols = keep(c.inF, c.pc);
      const r = rows ?? Int32Array.from({ length: c.outF }, (_, i) => i);
      const want = new Float32Array(r.length * cols.length);
      r.forEach((ri, a) => cols.forEach((cj, b) => { want[a * cols.length + b] = w[ri * c.inF + cj]!; }));
      const mark = scratchMark();
      const got = new Float32Array(want.length).fill(7);
      expect(wasmCut(w, c.inF, rows, cols, got)).toBe(true);
      expect(sameBits(got, want)).toBe(true);

      // Binarized while cut: binarize.wat's ±1 of the cut values, and whether all were in [−1, 1].
      const scaled = w.map((v) => v * 1.2);
      const cutScaled = want.map((v) => v * 1.2);
      const signs = new Float32Array(want.length).fill(7);
      const inside = wasmCut(scaled, c.inF, rows, cols, signs, true);
      expect(sameBits(signs, wasmBinarize(cutScaled).y.slice())).toBe(true);
      expect(inside).toBe(cutScaled.every((v) => v <= 1 && v >= -1));

      const back = new Float32Array(w.length).fill(7);
      wasmSpread(want, c.inF, rows, cols, back);
      const spreadWant = new Float32Array(w.length);
      r.forEach((ri, a) => cols.forEach((cj, b) => { spreadWant[ri * c.inF + cj] = want[a * cols.length + b]!; }));
      expect(sameBits(back, spreadWant)).toBe(true);
      expect(scratchMark()).toBe(mark);
    }), { numRuns: 200, seed: 20261207 });
  });
});

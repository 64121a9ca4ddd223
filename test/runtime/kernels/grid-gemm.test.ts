/**
 * The fp32 GEMM on grid integers (kernels/grid-gemm.ts): exact against a plain integer reference up
 * to the 2^24 bound, refused past it, and the lowered binary layer's choice between it and the
 * bit-planes (binary-layer.ts firstLayerPath), whose sums are the same integers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { packSignBits } from '../../../runtime/kernels/binary.ts';
import { bitPlaneGemm, packBitPlanes } from '../../../runtime/kernels/bitplane.ts';
import { fitsFp32Exactly, gridGemm, gridIntegers } from '../../../runtime/kernels/grid-gemm.ts';
import { firstLayerPath, lowerBinary } from '../../../runtime/lowered/precision/binary-layer.ts';
import { newCounts } from '../../../runtime/lowered/precision/types.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { signedSums as reference } from '../../helpers/grid-reference.ts';

function randomCase(seed: number, m: number, n: number, k: number, bits: number, zeros: number, d: number) {
  const rand = mulberry32(seed);
  const q = Array.from({ length: m * k }, () => (rand() < zeros ? 0 : Math.floor(rand() * 2 ** bits)));
  const w = Float32Array.from({ length: n * k }, () => rand() * 2 - 1);
  const signs = { shape: [n, k], data: Float32Array.from(w, (v) => (v >= 0 ? 1 : -1)) };
  return { q, w, signs, x: Float32Array.from(q, (v) => v / d) };
}

describe('integer fp32 GEMM on grid inputs', () => {
  it('equals the integer reference exactly on random grids of ragged sizes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 14 }), fc.constantFrom(1, 255, 1000), fc.integer(),
      (m, n, k, bits, d, seed) => {
        const lv = { denominator: d, bits };
        const { q, w, signs, x } = randomCase(seed, m, n, k, bits, 0.5, d);
        const qs = gridIntegers(x, m * k, lv);
        if (!qs) return d < 2 ** bits; // q/d off the fp32 grid only when d cannot hold q's levels
        expect(Array.from(qs)).toEqual(q);
        expect(Array.from(gridGemm(qs, m, k, signs, lv))).toEqual(reference(q, w, m, n, k));
      }), { numRuns: 60 });
  });

  it('stays exact just below 2^24, where the same sums over the real values round', () => {
    // 784 inputs of 14 bits, all at the maximum: |sum| up to 784·16383 = 12,844,272 < 2^24.
    const [m, n, k, bits] = [3, 8, 784, 14];
    const lv = { denominator: 1, bits };
    const { q, w, signs } = randomCase(7, m, n, k, bits, 0, 1);
    for (let i = 0; i < k; i++) q[i] = 2 ** bits - 1;
    const x = Float32Array.from(q);
    expect(Array.from(gridGemm(gridIntegers(x, m * k, lv)!, m, k, signs, lv))).toEqual(reference(q, w, m, n, k));
  });

  it('refuses a product whose sums could pass 2^24, and the layer takes the bit-planes there', () => {
    const lv = { denominator: 1, bits: 15 };
    expect(fitsFp32Exactly(784, lv)).toBe(false); // 784·32767 = 25.7 M
    expect(fitsFp32Exactly(512, lv)).toBe(true); // 512·32767 = 16.78 M − 512 < 2^24
    const { signs } = randomCase(1, 1, 2, 784, 15, 0, 1);
    const q = new Float32Array(784).fill(32767);
    let e: unknown;
    try { gridGemm(q, 1, 784, signs, lv); } catch (err) { e = err; }
    expect(e).toBeInstanceOf(KilnError);
    expect((e as KilnError).diagnostics[0]!.message).toMatch(/784 inputs below 2\^15 can sum past 2\^24/);
    expect((e as KilnError).diagnostics[0]!.hint).toMatch(/bit-planes/);
    expect(firstLayerPath(784, lv)).toBe('bit-planes');
  });

  it('the lowered layer picks the fp32 GEMM on many planes, bit-planes on few, and both give the same integers', () => {
    const [m, n, k] = [20, 64, 784];
    const { q, w, x } = randomCase(5, m, n, k, 10, 0.8, 1000);
    const weight = { shape: [n, k], data: w };
    const layer = lowerBinary(weight, undefined, false, { denominator: 1000, bits: 10 });
    expect(layer.path).toBe('integer fp32 GEMM');
    expect(layer.why).toMatch(/^integer fp32 GEMM 64×784, exact as 784·\(2\^10 − 1\) < 2\^24, on inputs q\/1000/);
    const sums = layer.accumulate(m, x, newCounts()), got = Array.from(sums.values);
    expect(sums.whole).toBe(true);
    expect(got).toEqual(reference(q, w, m, n, k));
    const planes = bitPlaneGemm(packBitPlanes(x, m, k, { denominator: 1000, bits: 10 })!, packSignBits(w, n, k));
    expect(got).toEqual(Array.from(planes));

    expect(firstLayerPath(k, { denominator: 16, bits: 4 })).toBe('bit-planes');
    expect(firstLayerPath(k, { denominator: 255, bits: 8 })).toBe('integer fp32 GEMM');
    const two = randomCase(6, m, n, k, 2, 0.5, 4);
    const few = lowerBinary({ shape: [n, k], data: two.w }, undefined, false, { denominator: 4, bits: 2 });
    expect(few.path).toBe('bit-planes');
    expect(Array.from(few.accumulate(m, two.x, newCounts()).values)).toEqual(reference(two.q, two.w, m, n, k));
  });

  it('a batch off the grid falls back to the fp32 product instead of a wrong integer sum', () => {
    const [m, n, k] = [2, 4, 30];
    const { w, x } = randomCase(9, m, n, k, 10, 0, 1000);
    x[5] = 0.1234567;
    const layer = lowerBinary({ shape: [n, k], data: w }, undefined, false, { denominator: 1000, bits: 10 });
    expect(gridIntegers(x, m * k, layer.levels!)).toBeUndefined();
    const sums = layer.accumulate(m, x, newCounts()), got = sums.values;
    expect(sums.whole).toBe(false);
    const want = reference(Array.from(x, (v) => v * 1000), w, m, n, k);
    expect(got.length).toBe(want.length);
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 1));
  });
});

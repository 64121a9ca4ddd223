/**
 * The bit-plane product (kernels/bitplane.ts, the BNN paper's first layer) against a plain JS
 * integer reference, Σ_t q_t·w_t, on random unsigned inputs and ±1 weights of ragged sizes, through
 * the WebAssembly kernel and the JS loop.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { bitPlaneGemm, inputLevels, packBitPlanes } from '../../../runtime/kernels/bitplane.ts';
import { packSignBits } from '../../../runtime/kernels/binary.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { signedSums as reference } from '../../helpers/grid-reference.ts';

afterEach(() => setKernelBackend(undefined));

function randomCase(seed: number, m: number, n: number, k: number, bits: number, zeros: number) {
  const rand = mulberry32(seed);
  const q = Array.from({ length: m * k }, () => (rand() < zeros ? 0 : Math.floor(rand() * 2 ** bits)));
  // Real weights, as a checkpoint holds them: their signs are the ±1 weights (w ≥ 0 is +1).
  const w = Array.from({ length: n * k }, () => rand() * 2 - 1);
  return { q, w };
}

describe('bit-plane GEMM', () => {
  it('equals the integer reference on random u8 inputs and ±1 weights of ragged sizes, on both backends', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 1, max: 10 }), fc.double({ min: 0, max: 0.95, noNaN: true }), fc.integer(),
      (m, n, k, bits, zeros, seed) => {
        const { q, w } = randomCase(seed, m, n, k, bits, zeros);
        const x = Float32Array.from(q, (v) => v / 255);
        const lv = { denominator: 255, bits: Math.max(bits, 8) };
        const want = reference(q, w, m, n, k);
        for (const backend of ['js', 'wasm'] as const) {
          setKernelBackend(backend);
          const planes = packBitPlanes(x, m, k, lv)!;
          expect(Array.from(bitPlaneGemm(planes, packSignBits(w, n, k)))).toEqual(want);
        }
      }), { numRuns: 60 });
  });

  it('takes the WebAssembly path on a first-layer-sized product and still matches', () => {
    const [m, n, k] = [37, 66, 784];
    const { q, w } = randomCase(3, m, n, k, 8, 0.8);
    const planes = packBitPlanes(Float32Array.from(q, (v) => v / 255), m, k, { denominator: 255, bits: 8 })!;
    setKernelBackend('wasm');
    const wasm = Array.from(bitPlaneGemm(planes, packSignBits(w, n, k)));
    expect(wasm).toEqual(reference(q, w, m, n, k));
  });

  it('finds the fewest bits that represent the values exactly, and none for values off every grid', () => {
    expect(inputLevels(Float32Array.from([0, 1 / 255, 200 / 255, 1]))).toEqual({ denominator: 255, bits: 8 });
    // Three-decimal pixels (how the `mnist` package stores them) need 1000 levels: 10 bits.
    expect(inputLevels(Float32Array.from([0, 0.149, 0.992, 1]))).toEqual({ denominator: 1000, bits: 10 });
    expect(inputLevels(Float32Array.from([0, 3, 7]))).toEqual({ denominator: 1, bits: 3 });
    expect(inputLevels(Float32Array.from([0.5, -0.25]))).toBeUndefined();
    expect(inputLevels(Float32Array.from([Math.PI / 10]))).toBeUndefined();
  });

  it('refuses to pack a value that is not q/d with q below 2^bits, so no inexact sum is returned', () => {
    const lv = { denominator: 255, bits: 8 };
    expect(packBitPlanes(Float32Array.from([0, 0.1234567]), 1, 2, lv)).toBeUndefined();
    expect(packBitPlanes(Float32Array.from([-1 / 255]), 1, 1, lv)).toBeUndefined();
    expect(packBitPlanes(Float32Array.from([2]), 1, 1, lv)).toBeUndefined();
    expect(packBitPlanes(Float32Array.from([1]), 1, 1, lv)?.rowSums[0]).toBe(255);
  });
});

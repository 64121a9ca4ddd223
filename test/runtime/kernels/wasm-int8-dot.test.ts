/**
 * The int8 GEMM on relaxed SIMD's int8 dot product (gemm-i8.wat), which takes an A with no negative
 * value (post-ReLU activations in [0, 127]): exact sums on random shapes across the 4×8 tile, the
 * 64-row block, k % 4 ≠ 0 and the 512-quad k block, with int8's extremes on B (−128, 127) and A's
 * (0, 127); a negative A declined, gemmInt8 then taking the int16 kernel; every path bit-identical
 * to the JS reference, in gemmInt8 and in the lowered int8 layer.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { gemmInt8 } from '../../../runtime/kernels/quant-int8.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { setI16WasmMinMacs } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { i8DotAvailable, Int8Weights, packI8B, setI8DotOff, wasmGemmI8 } from '../../../runtime/kernels/wasm/gemm-i8.ts';
import { i32At, relaxedSimdAvailable, scratchMark, scratchRelease, setKernelBackend, wasmMemoryBytes } from '../../../runtime/kernels/wasm/instance.ts';
import { lowerInt8 } from '../../../runtime/lowered/precision/int8-layer.ts';
import { newCounts } from '../../../runtime/lowered/precision/types.ts';
import { fromArray, mulberry32 } from '../../../runtime/tensor.ts';
import { intGemmExact } from './helpers/naive.ts';
import { atMemoryEnd, writesNoScratch } from './helpers/wasm-memory.ts';

afterEach(() => { setKernelBackend(undefined); setI16WasmMinMacs(undefined); setI8DotOff(false); });

const shape = fc.record({
  // Mostly small; a fifth past the 64-row block, or past one 512-quad (2,048-value) k block.
  m: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 13 }) }, { weight: 1, arbitrary: fc.integer({ min: 125, max: 140 }) }),
  n: fc.integer({ min: 1, max: 21 }),
  k: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 70 }) }, { weight: 1, arbitrary: fc.integer({ min: 2040, max: 2060 }) }),
  seed: fc.integer(), transB: fc.boolean(),
});

/** A share of values at [lo, hi]'s two ends, the rest uniform. */
function int8s(len: number, rand: () => number, lo: number, hi: number): Int8Array {
  return Int8Array.from({ length: len }, () => { const r = rand(); return r < 0.15 ? lo : r < 0.3 ? hi : lo + Math.floor(rand() * (hi - lo + 1)); });
}

/** Exact sums as int32 (every product here fits). */
const exact = (m: number, n: number, k: number, a: Int8Array, b: Int8Array, transB: boolean): Int32Array => Int32Array.from(intGemmExact(m, n, k, a, b, transB));

// Node 20.0–20.15 have no process.getBuiltinModule, so relaxed SIMD is never turned on there and
// gemmInt8 keeps the int16 kernel; the tests of the int8 kernel itself run where it can.
const relaxed = relaxedSimdAvailable();

describe('int8 GEMM: where it runs', () => {
  it('runs wherever relaxed SIMD does (the module validated and its self-test passed)', () => {
    expect(i8DotAvailable()).toBe(relaxed);
  });
});

describe.runIf(relaxed)('int8 GEMM on the relaxed-SIMD dot product', () => {

  it('gives the exact sums for A in [0, 127] and any int8 B, on any shape, B packed once or per call', () => {
    fc.assert(fc.property(shape, ({ m, n, k, seed, transB }) => {
      const rand = mulberry32(seed);
      const a = int8s(m * k, rand, 0, 127), b = int8s(k * n, rand, -128, 127);
      const out = new Int32Array(m * n).fill(7);
      const ran = wasmGemmI8(m, a, seed % 2 ? packI8B(n, k, b, transB) : { n, k, values: b, transB }, out);
      expect(ran).toBe(true);
      const ref = exact(m, n, k, a, b, transB);
      for (let i = 0; i < m * n; i++) if (out[i] !== ref[i]) expect([m, n, k, i, out[i]]).toEqual([m, n, k, i, ref[i]]);
    }), { numRuns: 40 });
  });

  it('is exact at every edge of the two-quad loop and the k blocks (k = 1–9, around 2,048 and 4,096) and past 64 rows', () => {
    const rand = mulberry32(5);
    for (const k of [1, 2, 3, 4, 5, 7, 8, 9, 2047, 2048, 2049, 2052, 4095, 4096, 4097]) {
      for (const [m, n] of [[1, 1], [5, 9], [129, 16], [68, 17]] as const) {
        const transB = (m + k) % 2 === 0;
        const a = int8s(m * k, rand, 0, 127), b = int8s(k * n, rand, -128, 127);
        const out = new Int32Array(m * n);
        expect(wasmGemmI8(m, a, { n, k, values: b, transB }, out)).toBe(true);
        expect(out).toEqual(exact(m, n, k, a, b, transB));
      }
    }
  });

  it('is exact at the deepest product gemmInt8 sends it: 131,071 × 127 × (−128) = −2,130,690,176', () => {
    const k = 131071, n = 3;
    const a = new Int8Array(k).fill(127), b = new Int8Array(n * k).fill(-128);
    b[k] = 127; // the second column's first weight: 127·(127 + 128) more
    const c = new Int32Array(n);
    expect(wasmGemmI8(1, a, { n, k, values: b, transB: true }, c)).toBe(true);
    expect([...c]).toEqual([-2130690176, -2130690176 + 127 * 255, -2130690176]);
  });

  it('declines an A with a negative value (out untouched), wherever the value lies', () => {
    const m = 7, n = 5, k = 131, rand = mulberry32(2);
    const b = int8s(k * n, rand, -128, 127);
    // Each position the scan reads differently: a first vector, a later one, the scalar tail.
    for (const at of [0, 63, 64, 700, m * k - 1]) {
      const a = int8s(m * k, rand, 0, 127);
      a[at] = -1;
      const out = new Int32Array(m * n).fill(3), dot = wasmCalls('gemm-i8');
      expect(wasmGemmI8(m, a, { n, k, values: b, transB: true }, out)).toBe(false);
      expect(out.every((x) => x === 3)).toBe(true);
      expect(wasmCalls('gemm-i8')).toBe(dot);
    }
  });

});

describe('int8 GEMM through gemmInt8, on whichever kernel runs here', () => {
  it('gemmInt8 gives the JS reference\'s sums on both kernels, activations signed or not, accumulating or not, weights as Int8Weights or raw', () => {
    fc.assert(fc.property(shape, fc.boolean(), fc.boolean(), fc.boolean(), ({ m, n, k, seed, transB }, unsigned, accumulate, held) => {
      const rand = mulberry32(seed);
      const a = unsigned ? int8s(m * k, rand, 0, 127) : int8s(m * k, rand, -128, 127);
      const b = int8s(k * n, rand, -128, 127);
      const c0 = Int32Array.from({ length: m * n }, () => Math.floor((rand() - 0.5) * 2 ** 32));
      setKernelBackend('js');
      const js = Int32Array.from(c0);
      gemmInt8(m, n, k, a, b, js, { transB, accumulate });
      setKernelBackend('wasm');
      setI16WasmMinMacs(0);
      const weights = held ? new Int8Weights(n, k, b, transB) : undefined;
      i8DotAvailable(); // its first call's self-test runs the kernel too
      for (const off of [false, true]) {
        setI8DotOff(off);
        const wasm = Int32Array.from(c0);
        const dot = wasmCalls('gemm-i8'), widened = wasmCalls('gemm-i16');
        gemmInt8(m, n, k, a, b, wasm, { transB, accumulate, packedB: weights });
        expect(wasm).toEqual(js);
        // Exactly one kernel ran: the dot product for an A with no negative value, where it runs.
        const dotRan = relaxed && !off && a.every((v) => v >= 0);
        expect([wasmCalls('gemm-i8') - dot, wasmCalls('gemm-i16') - widened]).toEqual(dotRan ? [1, 0] : [0, 1]);
      }
      weights?.free();
    }), { numRuns: 40 });
  });

  it('refuses weights packed in the other layout than the call\'s transB, on either backend, writing nothing', () => {
    const m = 3, n = 5, k = 4, rand = mulberry32(3);
    const a = int8s(m * k, rand, 0, 127), b = int8s(k * n, rand, -128, 127);
    for (const backend of ['js', 'wasm'] as const) {
      setKernelBackend(backend);
      setI16WasmMinMacs(0);
      for (const transB of [false, true]) {
        const weights = new Int8Weights(n, k, b, !transB), c = new Int32Array(m * n).fill(7);
        expect(() => gemmInt8(m, n, k, a, b, c, { transB, packedB: weights })).toThrow(`weights packed with transB = ${!transB} passed to a call with transB = ${transB}`);
        expect(c.every((v) => v === 7)).toBe(true);
        const right = new Int8Weights(n, k, b, transB);
        gemmInt8(m, n, k, a, b, c, { transB, packedB: right });
        const want = new Int32Array(m * n);
        gemmInt8(m, n, k, a, b, want, { transB });
        expect(c).toEqual(want);
        right.free();
      }
    }
  });

  it('the lowered int8 layer gives the same outputs and counts on both backends for post-ReLU and signed inputs', () => {
    const n = 24, k = 150, m = 9, rand = mulberry32(11);
    const w = fromArray([n, k], Array.from({ length: n * k }, () => rand() * 2 - 1));
    const b = fromArray([n], Array.from({ length: n }, () => rand() * 80 - 40));
    const relu = Float32Array.from({ length: m * k }, () => Math.max(0, rand() * 2 - 1));
    const signed = Float32Array.from({ length: m * k }, () => rand() * 2 - 1);
    const run = (backend: 'js' | 'wasm') => {
      setKernelBackend(backend);
      setI16WasmMinMacs(0);
      // One layer for both inputs: its weights are packed for each kernel as the inputs need.
      const layer = lowerInt8({ weight: w, bias: b, perChannel: true, actScale: 1 / 127, outScale: 0.05 });
      i8DotAvailable(); // its first call's self-test runs the kernel too
      const out = [relu, signed, relu].map((A) => { const c = newCounts(); return { y: Array.from(layer.gemm(m, A, c)), c }; });
      layer.dispose!();
      return out;
    };
    const js = run('js');
    const dot = wasmCalls('gemm-i8'), widened = wasmCalls('gemm-i16');
    const wasm = run('wasm');
    // The post-ReLU inputs took the dot product (where it runs), the signed one the widened kernel.
    expect([wasmCalls('gemm-i8') - dot, wasmCalls('gemm-i16') - widened]).toEqual(relaxed ? [2, 1] : [0, 3]);
    expect(wasm).toEqual(js);
    expect(js[0]!.y).toEqual(js[2]!.y);
  });

  it('writes a c that lies in the kernels\' memory when the int8 kernel declines a late negative value and the copies grow the memory', () => {
    const rand = mulberry32(21), k = 300;
    // 8 × 16 fills the tile (the int16 kernel writes c in place), 7 × 13 does not (copied out).
    for (const [m, n] of [[8, 16], [7, 13]] as const) {
      const a = int8s(m * k, rand, 0, 127), b = int8s(n * k, rand, -128, 127);
      a[m * k - 1] = -1; // past the 64 values scanned in JS: A is copied in before the kernel declines
      const ref = exact(m, n, k, a, b, true);
      for (const accumulate of [false, true]) {
        for (const held of [false, true]) {
          setKernelBackend('wasm');
          const mark = scratchMark();
          const weights = held ? new Int8Weights(n, k, b, true) : undefined;
          try {
            const cAt = atMemoryEnd(4 * ((m * n + 3) & ~3));
            const c0 = Int32Array.from({ length: m * n }, () => Math.floor(rand() * 2e6) - 1e6);
            i32At(cAt, m * n).set(c0);
            const before = wasmMemoryBytes(), dot = wasmCalls('gemm-i8'), widened = wasmCalls('gemm-i16');
            gemmInt8(m, n, k, a, b, i32At(cAt, m * n), { transB: true, accumulate, packedB: weights });
            expect(wasmMemoryBytes()).toBeGreaterThan(before);
            // Declined after the copy: the widened kernel computed the sums, the dot product nothing.
            expect([wasmCalls('gemm-i8') - dot, wasmCalls('gemm-i16') - widened]).toEqual([0, 1]);
            expect(i32At(cAt, m * n)).toEqual(Int32Array.from(ref, (x, i) => (accumulate ? c0[i]! : 0) + x));
          } finally {
            weights?.free();
            scratchRelease(mark);
          }
        }
      }
    }
  });

  it('takes empty shapes (m, n or k = 0) as the JS reference does, on both kernels, writing no scratch', () => {
    i8DotAvailable(); // its first call's self-test uses scratch
    for (const [m, n, k] of [[3, 5, 0], [0, 5, 4], [3, 0, 4], [0, 0, 0], [4, 8, 0]] as const) {
      const a = new Int8Array(m * k).fill(5), b = new Int8Array(n * k).fill(-3);
      for (const accumulate of [false, true]) {
        setKernelBackend('js');
        const js = new Int32Array(m * n).fill(7);
        gemmInt8(m, n, k, a, b, js, { accumulate });
        expect(js).toEqual(new Int32Array(m * n).fill(accumulate ? 7 : 0));
        setKernelBackend('wasm');
        setI16WasmMinMacs(0);
        for (const off of [false, true]) {
          setI8DotOff(off);
          const wasm = new Int32Array(m * n).fill(7);
          writesNoScratch(() => gemmInt8(m, n, k, a, b, wasm, { accumulate }));
          expect(wasm).toEqual(js);
        }
        setI8DotOff(false);
      }
      const out = new Int32Array(m * n).fill(7);
      expect(writesNoScratch(() => wasmGemmI8(m, a, { n, k, values: b, transB: false }, out))).toBe(relaxed);
      expect(out).toEqual(new Int32Array(m * n).fill(relaxed ? 0 : 7));
    }
  });
});

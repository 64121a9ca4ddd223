/**
 * The rebuilt int16 / int8 WebAssembly GEMM (gemm-i16.wat: packing, the int32 bound's sums and the
 * 4×8 dot kernel) against the JavaScript reference: bit-identical on random shapes whose m, n, k are
 * not multiples of the 4×8 tile, cross the 64-row block and the k blocks (at most 512 pairs), with
 * operands at int16's and int8's extremes and rows exactly at the int32 bound and one past it.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Dfp16, gemmDfp16, int32SafeRows, toDfp16 } from '../../../runtime/kernels/fixed-point.ts';
import { recoverWideRows, sumErrorFactor } from '../../../runtime/kernels/int16-window.ts';
import { gemmInt8, INT32_MAX, INT32_MIN } from '../../../runtime/kernels/quant-int8.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { type GuardSums, packI16B, rowL1, setI16WasmMinMacs, wasmGemmI16, wasmGemmI16Guarded, wasmGemmI16Packed } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { i8DotAvailable, wasmGemmI8 } from '../../../runtime/kernels/wasm/gemm-i8.ts';
import * as instance from '../../../runtime/kernels/wasm/instance.ts';
import { i32At, scratchAlloc, scratchMark, scratchRelease, setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { intGemmExact } from './helpers/naive.ts';

afterEach(() => { setKernelBackend(undefined); setI16WasmMinMacs(undefined); });

const shape = fc.record({
  // Mostly small (fast references); a fifth of the cases past the 64-row block or a 512-pair k block.
  m: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 13 }) }, { weight: 1, arbitrary: fc.integer({ min: 125, max: 140 }) }),
  n: fc.integer({ min: 1, max: 21 }),
  k: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 70 }) }, { weight: 1, arbitrary: fc.integer({ min: 510, max: 1030 }) }),
  seed: fc.integer(), transB: fc.boolean(),
});

/** A share of values at the type's two extremes, the rest uniform over its range. */
function ints<T extends Int16Array | Int8Array>(make: new (len: number) => T, len: number, rand: () => number, lo: number, hi: number): T {
  const out = new make(len);
  for (let i = 0; i < len; i++) {
    const r = rand();
    out[i] = r < 0.15 ? lo : r < 0.3 ? hi : lo + Math.floor(rand() * (hi - lo + 1));
  }
  return out;
}

const exact = intGemmExact;

describe('int16 GEMM in WebAssembly, packing and bound included', () => {
  it('wraps every sum modulo 2^32 exactly, for any shape and full-range operands', () => {
    fc.assert(fc.property(shape, ({ m, n, k, seed, transB }) => {
      const rand = mulberry32(seed);
      const a = ints(Int16Array, m * k, rand, -32768, 32767), b = ints(Int16Array, k * n, rand, -32768, 32767);
      const out = new Int32Array(m * n);
      setKernelBackend('wasm');
      wasmGemmI16(m, n, k, a, b, transB, out);
      const ref = exact(m, n, k, a, b, transB);
      // ToInt32 (| 0) is reduction modulo 2^32 into int32, exact for |x| < 2^53.
      for (let i = 0; i < m * n; i++) if (out[i] !== (ref[i]! | 0)) expect([i, out[i]]).toEqual([i, ref[i]! | 0]);
    }), { numRuns: 40 });
  });

  it('trusts exactly the rows int32SafeRows trusts, and gemmDfp16 gives the reference sums bit for bit', () => {
    let trusted = 0, refused = 0;
    fc.assert(fc.property(shape, fc.integer({ min: 0, max: 3 }), ({ m, n, k, seed, transB }, scale) => {
      const rand = mulberry32(seed);
      // Magnitudes from 2^3 to full range, so rows fall on both sides of the bound.
      const range = 2 ** (3 + 4 * scale);
      const a = ints(Int16Array, m * k, rand, -range, range - 1), b = ints(Int16Array, k * n, rand, -range, range - 1);
      const start = Math.floor(rand() * 1000);
      const out = new Int32Array(m * n);
      setKernelBackend('wasm');
      const safe = wasmGemmI16Guarded(m, a, packI16B(n, k, b, transB), out, start);
      expect(safe).toEqual(int32SafeRows(m, k, a, b, start));
      // B not packed beforehand: max|B| is then taken from the raw values.
      expect(wasmGemmI16Guarded(m, a, { n, k, values: b, transB }, out, start)).toEqual(safe);
      const passed = safe?.reduce((x, y) => x + y, 0) ?? 0;
      trusted += passed;
      refused += m - passed;
      const dfp = (values: Int16Array): Dfp16 => ({ shape: [values.length], values, exponent: 0 });
      setI16WasmMinMacs(0);
      const wasm = gemmDfp16(m, n, k, dfp(a), dfp(b), transB);
      setKernelBackend('js');
      expect(wasm.values).toEqual(gemmDfp16(m, n, k, dfp(a), dfp(b), transB).values);
      // A fixed seed: with a random one, some draws left fewer than 100 rows on one side of the bound.
    }), { numRuns: 40, seed: 15 });
    // Both sides of the bound were exercised.
    expect(trusted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('sends a row whose bound is exactly 2^31 − 1 to WebAssembly, and saturates one whose bound is 2^31', () => {
    // max|B| = 1 and Σ|a| = 65,535·32,768 + 32,767 = 2^31 − 1: the first row's partial sums all fit.
    const k = 65536, n = 9;
    const a = new Int16Array(2 * k).fill(-32768);
    a[k - 1] = -32767;
    const b = new Int16Array(n * k).fill(-1);
    const safe = wasmGemmI16Guarded(2, a, packI16B(n, k, b, true), new Int32Array(2 * n));
    expect([...safe!]).toEqual([1, 0]);
    const dfp = (values: Int16Array): Dfp16 => ({ shape: [values.length], values, exponent: 0 });
    setKernelBackend('wasm');
    const c = gemmDfp16(2, n, k, dfp(a), dfp(b), true).values;
    // Row 0 sums to 2^31 − 1 exactly; row 1 to 2^31, which wrapping lanes would make −2^31.
    expect([...c]).toEqual([...Array(n).fill(INT32_MAX), ...Array(n).fill(INT32_MAX)]);
  });

  it('is exact at every edge of the two-pair loop and the blocks: odd k, k pairs at and past 256 and 512, rows past 128', () => {
    const rand = mulberry32(15);
    setKernelBackend('wasm');
    // k = 2·kq − 1 and 2·kq for kq pairs around 1, 256 (one block), 257, 512 and 513 (two blocks of 512 and 1 pairs, an odd block).
    for (const k of [1, 2, 3, 4, 5, 509, 510, 511, 512, 513, 514, 1023, 1024, 1025, 1026]) {
      for (const [m, n] of [[1, 1], [5, 9], [129, 16], [128, 17], [133, 8]] as const) {
        const a = ints(Int16Array, m * k, rand, -32768, 32767), b = ints(Int16Array, k * n, rand, -32768, 32767);
        const transB = (m + k) % 2 === 0;
        const out = new Int32Array(m * n);
        wasmGemmI16(m, n, k, a, b, transB, out);
        const ref = exact(m, n, k, a, b, transB);
        for (let i = 0; i < m * n; i++) if (out[i] !== (ref[i]! | 0)) expect([m, n, k, i, out[i]]).toEqual([m, n, k, i, ref[i]! | 0]);
      }
    }
  });

  it('reads an int8 B as its int16 values: the guard\'s max|B| and the sums are those of the same values in an Int16Array', () => {
    // Row 0: Σ|a| = 32,767·40,000 ≈ 1.31·10^9, so it passes the bound with max|B| = 1 and fails it
    // with any max|B| ≥ 2 (reading int8 bytes two at a time as int16 gives 257 for 1, 1).
    const k = 40000, n = 3;
    const a = new Int16Array(2 * k).fill(32767);
    a.fill(-3, k);
    const rand = mulberry32(8);
    const b8 = Int8Array.from({ length: n * k }, () => (rand() < 0.5 ? -1 : 1));
    const b16 = Int16Array.from(b8);
    setKernelBackend('wasm');
    for (const transB of [true, false]) {
      const out8 = new Int32Array(2 * n), out16 = new Int32Array(2 * n);
      const safe8 = wasmGemmI16Guarded(2, a, { n, k, values: b8, transB }, out8);
      const safe16 = wasmGemmI16Guarded(2, a, { n, k, values: b16, transB }, out16);
      expect(safe8 && [...safe8]).toEqual([1, 1]);
      expect(safe8).toEqual(int32SafeRows(2, k, a, b16));
      expect(safe16).toEqual(safe8);
      expect(out8).toEqual(out16);
      const ref = exact(2, n, k, a, b16, transB);
      expect([...out8]).toEqual([...ref]);
    }
  });

  it('gives full-range rows the int32 bound refuses their exact saturated sums from the wrapped ones and an fp32 product', () => {
    const rand = mulberry32(21);
    const dfp = (values: Int16Array): Dfp16 => ({ shape: [values.length], values, exponent: 0 });
    for (const [m, n, k, transB] of [[37, 19, 784, true], [9, 26, 3000, false], [8, 64, 785, true]] as const) {
      const a = ints(Int16Array, m * k, rand, -32768, 32767), b = ints(Int16Array, k * n, rand, -32768, 32767);
      // Row 0 all −32768: at k = 3000 its fp32 error bound (γ·Σ|a|·max|B| ≈ 1.07·2^30, just past the window's cut-off) is too wide
      // for the window, so it alone takes the reference loop.
      a.fill(-32768, 0, k);
      expect(int32SafeRows(m, k, a, b)).toBeUndefined();
      const out = new Int32Array(m * n);
      setKernelBackend('wasm');
      const rows = recoverWideRows(m, n, k, a, b, transB, undefined, out, undefined, false);
      expect(rows && [...rows]).toEqual(Array.from({ length: m }, (_, i) => (i === 0 && k === 3000 ? 0 : 1)));
      const ref = exact(m, n, k, a, b, transB);
      let saturated = 0;
      for (let i = 0; i < m * n; i++) {
        if (!rows![Math.floor(i / n)]) continue;
        const want = Math.max(INT32_MIN, Math.min(INT32_MAX, ref[i]!));
        if (want !== ref[i]) saturated++;
        if (out[i] !== want) expect([m, n, k, i, out[i]]).toEqual([m, n, k, i, want]);
      }
      expect(saturated).toBeGreaterThan(0);
      setI16WasmMinMacs(0);
      const wasm = gemmDfp16(m, n, k, dfp(a), dfp(b), transB).values;
      setKernelBackend('js');
      expect(wasm).toEqual(gemmDfp16(m, n, k, dfp(a), dfp(b), transB).values);
    }
    // Past nu = (2k + 2)·2^−24 ≥ ½ the bound γ = nu/(1 − nu) no longer holds (at nu ≥ 1 it turns
    // negative and would admit every row): a conv dW's k = N·oh·ow can get there.
    expect(sumErrorFactor(3000)).toBeCloseTo((6002 * 2 ** -24) / (1 - 6002 * 2 ** -24), 20);
    expect(sumErrorFactor(2 ** 22)).toBeUndefined();
    expect(sumErrorFactor(2 ** 23 + 100)).toBeUndefined();
    // Under 8 rows (a rescale's single row) converting B would cost more than the loop it saves.
    const a = ints(Int16Array, 7 * 50, rand, -32768, 32767), b = ints(Int16Array, 50 * 3, rand, -32768, 32767);
    setKernelBackend('wasm');
    expect(recoverWideRows(7, 3, 50, a, b, false, undefined, new Int32Array(21), undefined, false)).toBeUndefined();
  });

  it('keeps a packed B\'s float copy for later recoveries and lets it go on free()', () => {
    const rand = mulberry32(5);
    const [m, n, k] = [9, 6, 900];
    const a = ints(Int16Array, m * k, rand, -32768, 32767), b = ints(Int16Array, k * n, rand, -32768, 32767);
    setKernelBackend('wasm');
    const packed = packI16B(n, k, b, false);
    expect(packed.floats).toBeUndefined();
    const first = new Int32Array(m * n);
    expect(recoverWideRows(m, n, k, a, b, false, packed, first, undefined, false)).toBeDefined();
    const floats = packed.floats;
    expect(floats && [...floats]).toEqual([...b]);
    const again = new Int32Array(m * n);
    recoverWideRows(m, n, k, a, b, false, packed, again, undefined, false);
    expect(packed.floats).toBe(floats);
    expect(again).toEqual(first);
    packed.free();
    expect(packed.floats).toBeUndefined();
  });

  it('writes its result into a given buffer, the same values as into a fresh one', () => {
    const rand = mulberry32(9);
    const m = 7, n = 11, k = 300;
    const dfp = (values: Int16Array): Dfp16 => ({ shape: [values.length], values, exponent: -3 });
    const a = dfp(ints(Int16Array, m * k, rand, -32768, 32767)), b = dfp(ints(Int16Array, k * n, rand, -32768, 32767));
    for (const backend of ['wasm', 'js'] as const) {
      setKernelBackend(backend);
      setI16WasmMinMacs(0);
      const given = new Int32Array(m * n).fill(12345);
      const r = gemmDfp16(m, n, k, a, b, false, undefined, given);
      expect(r.values).toBe(given);
      expect(r.exponent).toBe(-6);
      expect(given).toEqual(gemmDfp16(m, n, k, a, b, false).values);
    }
    expect(() => gemmDfp16(m, n, k, a, b, false, undefined, new Int32Array(m * n - 1))).toThrow(/out must hold m·n values/);
  });

  it('packs B once: its panels and max|B| (32768 for −32768) serve every later call', () => {
    const rand = mulberry32(4);
    for (const [n, k, transB] of [[13, 37, true], [8, 1030, false], [1, 1, true]] as const) {
      const b = ints(Int16Array, n * k, rand, -32768, 32767);
      b[n * k - 1] = -32768;
      const packed = packI16B(n, k, b, transB);
      expect(packed.maxAbs).toBe(32768);
      const m = 6, a = ints(Int16Array, m * k, rand, -4, 3);
      const once = new Int32Array(m * n), again = new Int32Array(m * n);
      wasmGemmI16(m, n, k, a, b, transB, once);
      wasmGemmI16Packed(m, a, packed, again);
      expect(again).toEqual(once);
      const dfp = (values: Int16Array): Dfp16 => ({ shape: [values.length], values, exponent: 0 });
      setKernelBackend('wasm');
      setI16WasmMinMacs(0);
      const wasm = gemmDfp16(m, n, k, dfp(a), dfp(b), transB, packed).values;
      setKernelBackend('js');
      expect(wasm).toEqual(gemmDfp16(m, n, k, dfp(a), dfp(b), transB).values);
    }
  });
});

describe('dfp16 quantization in WebAssembly', () => {
  it('gives the reference loop\'s exponent and mantissas: ties to even, saturation, NaN and ±∞', () => {
    const rand = mulberry32(30);
    for (const len of [255, 256, 1001]) {
      const data = Float32Array.from({ length: len }, () => (rand() * 2 - 1) * 3.7);
      // Ties at the chosen exponent: max|x| = 3.7 gives e = −13, so k/2 · 2^−13 lies halfway.
      for (let i = 0; i < 40; i++) data[i] = (2 * i + 1) / 2 * 2 ** -13 * (i % 2 ? -1 : 1);
      const x = { shape: [len], data };
      const withSpecials = { shape: [len], data: Float32Array.from(data) };
      withSpecials.data.set([Infinity, -Infinity, NaN, 1e30, -1e30], 50);
      for (const [t, e] of [[x, undefined], [withSpecials, -13], [withSpecials, undefined]] as const) {
        setKernelBackend('js');
        const js = toDfp16(t, e);
        setKernelBackend('wasm');
        const wasm = toDfp16(t, e);
        expect(wasm.exponent).toBe(js.exponent);
        expect(wasm.values).toEqual(js.values);
      }
      setKernelBackend('js');
      expect(toDfp16(withSpecials).exponent).toBe(0);
      expect([...toDfp16(withSpecials, -13).values.subarray(50, 55)]).toEqual([32767, -32768, 0, 32767, -32768]);
      expect(toDfp16(x).exponent).toBe(-13);
    }
  });
});

describe('int8 GEMM in WebAssembly (int8 operands widened while packing)', () => {
  it('gives the reference sums bit for bit, packed B or not, accumulating or not', () => {
    fc.assert(fc.property(shape, fc.boolean(), ({ m, n, k, seed, transB }, accumulate) => {
      const rand = mulberry32(seed);
      const a = ints(Int8Array, m * k, rand, -128, 127), b = ints(Int8Array, k * n, rand, -128, 127);
      const c0 = Int32Array.from({ length: m * n }, () => Math.floor((rand() * 2 - 1) * 2 ** 31));
      setKernelBackend('js');
      const js = Int32Array.from(c0);
      gemmInt8(m, n, k, a, b, js, { transB, accumulate });
      const ref = exact(m, n, k, a, b, transB);
      for (let i = 0; i < m * n; i++) {
        const want = Math.max(INT32_MIN, Math.min(INT32_MAX, (accumulate ? c0[i]! : 0) + ref[i]!));
        if (js[i] !== want) expect([i, js[i]]).toEqual([i, want]);
      }
      setKernelBackend('wasm');
      setI16WasmMinMacs(0);
      for (const packedB of [undefined, packI16B(n, k, b, transB)]) {
        const wasm = Int32Array.from(c0);
        gemmInt8(m, n, k, a, b, wasm, { transB, accumulate, packedB });
        expect(wasm).toEqual(js);
      }
    }), { numRuns: 40 });
  });

  it('is exact at the deepest product it takes: 131,071 × (−128)² = 2,147,467,264', () => {
    const k = 131071, n = 3;
    const a = new Int8Array(k).fill(-128), b = new Int8Array(n * k).fill(-128);
    b[k] = 127; // the second column's first weight: 2,147,467,264 − 128·255
    const c = new Int32Array(n);
    setKernelBackend('wasm');
    gemmInt8(1, n, k, a, b, c, { transB: true });
    expect([...c]).toEqual([2147467264, 2147467264 - 128 * 255, 2147467264]);
  });
});

describe('int16 GEMM: what the guarded product hands on, and C written in place', () => {
  it('hands the window the bound\'s row sums and max|B| it computed in WebAssembly, and the window recovers the same sums with them', () => {
    const rand = mulberry32(33);
    for (const [m, n, k, transB] of [[37, 19, 784, true], [12, 26, 301, false]] as const) {
      const a = ints(Int16Array, m * k, rand, -32768, 32767), b = ints(Int16Array, k * n, rand, -32768, 32767);
      setKernelBackend('wasm');
      for (const packed of [undefined, packI16B(n, k, b, transB)]) {
        const sums: GuardSums = {};
        const wrapped = new Int32Array(m * n);
        // Full-range rows: the bound refuses every one, and the sums are still handed on.
        expect(wasmGemmI16Guarded(m, a, packed ?? { n, k, values: b, transB }, wrapped, 0, sums)).toBeUndefined();
        expect(sums.maxB).toBe(b.reduce((x, v) => Math.max(x, Math.abs(v)), 0));
        expect([...sums.l1!]).toEqual(Array.from({ length: m }, (_, i) => a.subarray(i * k, i * k + k).reduce((s, v) => s + Math.abs(v), 0)));
        const withSums = new Int32Array(m * n), without = new Int32Array(m * n);
        const rows = recoverWideRows(m, n, k, a, b, transB, packed, withSums, undefined, false, sums);
        expect(rows).toEqual(recoverWideRows(m, n, k, a, b, transB, packed, without, undefined, false));
        expect(rows!.every((r) => r === 1)).toBe(true);
        expect(withSums).toEqual(without);
        const ref = exact(m, n, k, a, b, transB);
        for (let i = 0; i < m * n; i++) expect(withSums[i]).toBe(Math.max(INT32_MIN, Math.min(INT32_MAX, ref[i]!)));
      }
    }
  });

  it('writes C straight into an output that lies in the kernels\' memory, and copies into one whose shape the tile pads', () => {
    const rand = mulberry32(34);
    setKernelBackend('wasm');
    // The copy path is the only one that takes scratch for C (⌈m/4⌉·4 × ⌈n/8⌉·8 int32): the spy
    // sees whether it ran. The shapes' other allocations (operand copies, panels) differ in size.
    const alloc = vi.spyOn(instance, 'scratchAlloc');
    try {
      for (const [m, n, k, kernel] of [[8, 16, 40, 'i16'], [12, 8, 3, 'i16'], [7, 13, 41, 'i16'], [8, 16, 40, 'i8'], [5, 9, 12, 'i8']] as const) {
        if (kernel === 'i8' && !i8DotAvailable()) continue;
        const a = kernel === 'i8' ? ints(Int8Array, m * k, rand, 0, 127) : ints(Int16Array, m * k, rand, -32768, 32767);
        const b = kernel === 'i8' ? ints(Int8Array, k * n, rand, -128, 127) : ints(Int16Array, k * n, rand, -32768, 32767);
        const padded = m % 4 !== 0 || n % 8 !== 0, cBytes = ((m + 3) & ~3) * ((n + 7) & ~7) * 4;
        const mark = scratchMark();
        try {
          // Guard words either side: nothing outside the m × n output may be written.
          const at = scratchAlloc(4 * (m * n + 8));
          i32At(at, m * n + 8).fill(-5);
          alloc.mockClear();
          const out = i32At(at + 16, m * n);
          if (kernel === 'i8') expect(wasmGemmI8(m, a as Int8Array, { n, k, values: b as Int8Array, transB: false }, out)).toBe(true);
          else wasmGemmI16(m, n, k, a, b, false, out);
          expect(alloc.mock.calls.some(([bytes]) => bytes === cBytes)).toBe(padded);
          const all = i32At(at, m * n + 8);
          expect([...all.subarray(0, 4), ...all.subarray(m * n + 4)]).toEqual(Array(8).fill(-5));
          const ref = exact(m, n, k, a, b, false);
          expect([...all.subarray(4, m * n + 4)]).toEqual(Array.from(ref, (x) => x | 0));
        } finally {
          scratchRelease(mark);
        }
      }
    } finally {
      alloc.mockRestore();
    }
  });
});

describe('int16 GEMM around the kernel: the bound summed while packing, one product for refused rows, A in place', () => {
  it('sums each row\'s |a| while packing A exactly as rowL1 does, for any shape, full range and past a lane flush', () => {
    fc.assert(fc.property(shape, ({ m, n, k, seed, transB }) => {
      const rand = mulberry32(seed);
      const a = ints(Int16Array, m * k, rand, -32768, 32767), b = ints(Int16Array, k * n, rand, -32768, 32767);
      const sums: GuardSums = {};
      setKernelBackend('wasm');
      wasmGemmI16Guarded(m, a, { n, k, values: b, transB }, new Int32Array(m * n), 0, sums);
      expect([...sums.l1!]).toEqual([...rowL1(m, k, a)]);
    }), { numRuns: 40 });
    // 524,301 values a row: a lane of the packing's int32 sums takes up to 2 · 32,768 a step of 8
    // values, so unflushed it would pass 2^32 after 524,288 values; an all −32768 row sums to
    // 524,301 · 32,768 ≈ 2^34 in all.
    const m = 5, k = 524_301, rand = mulberry32(35);
    const a = ints(Int16Array, m * k, rand, -32768, 32767);
    a.fill(-32768, 0, k);
    const sums: GuardSums = {};
    setKernelBackend('wasm');
    wasmGemmI16Guarded(m, a, { n: 1, k, values: new Int16Array(k).fill(1), transB: true }, new Int32Array(m), 0, sums);
    expect(sums.l1![0]).toBe(k * 32768);
    expect([...sums.l1!]).toEqual([...rowL1(m, k, a)]);
  });

  it('with wrapAll runs the product when the bound refuses every row, so gemmDfp16 copies each operand in once', () => {
    const rand = mulberry32(36);
    const dfp = (values: Int16Array): Dfp16 => ({ shape: [values.length], values, exponent: 0 });
    for (const [m, n, k, transB] of [[37, 19, 784, true], [9, 26, 301, false]] as const) {
      const a = ints(Int16Array, m * k, rand, -32768, 32767), b = ints(Int16Array, k * n, rand, -32768, 32767);
      setKernelBackend('wasm');
      const out = new Int32Array(m * n);
      const asked: number[] = [];
      const sums: GuardSums = { wrapAll: (l1, maxB) => { asked.push(l1.length, maxB); return true; } };
      expect(wasmGemmI16Guarded(m, a, { n, k, values: b, transB }, out, 0, sums)).toBeUndefined();
      // Asked once, with the bound's own row sums and max|B|.
      expect(asked).toEqual([m, sums.maxB]);
      expect(sums.ran).toBe(true);
      const ref = exact(m, n, k, a, b, transB);
      for (let i = 0; i < m * n; i++) if (out[i] !== (ref[i]! | 0)) expect([i, out[i]]).toEqual([i, ref[i]! | 0]);
      const copies = vi.spyOn(instance, 'copyInInts');
      const products = wasmCalls('gemm-i16');
      try {
        const wasm = gemmDfp16(m, n, k, dfp(a), dfp(b), transB).values;
        // A and the raw B, once each, and one product (before, two ran: the guard's, then the window's).
        expect(copies.mock.calls.length).toBe(2);
        expect(wasmCalls('gemm-i16') - products).toBe(1);
        setKernelBackend('js');
        expect(wasm).toEqual(gemmDfp16(m, n, k, dfp(a), dfp(b), transB).values);
      } finally {
        copies.mockRestore();
      }
    }
  });

  it('runs no product when neither the bound nor the window takes any row (full range, k = 3000)', () => {
    const rand = mulberry32(38);
    const dfp = (values: Int16Array): Dfp16 => ({ shape: [values.length], values, exponent: 0 });
    // Every value ±32767 or −32768: Σ|a| ≥ 3000 · 32767 and max|B| = 32768 put every row's fp32
    // error bound γ_6002·Σ|a|·max|B| at ≈ 1.07·2^30, past the window's 2^30, and far past int32.
    const [m, n, k] = [8, 5, 3000];
    const a = ints(Int16Array, m * k, rand, -32768, 32767).map((v) => (v < 0 ? -32768 : 32767));
    const b = ints(Int16Array, k * n, rand, -32768, 32767).map((v) => (v < 0 ? -32768 : 32767));
    b[0] = -32768;
    const sums: GuardSums = {};
    setKernelBackend('wasm');
    expect(wasmGemmI16Guarded(m, a, { n, k, values: b, transB: false }, new Int32Array(m * n), 0, sums)).toBeUndefined();
    expect(recoverWideRows(m, n, k, a, b, false, undefined, new Int32Array(m * n), undefined, false, sums)).toBeUndefined();
    setI16WasmMinMacs(0);
    const products = wasmCalls('gemm-i16');
    const wasm = gemmDfp16(m, n, k, dfp(a), dfp(b), false).values;
    expect(wasmCalls('gemm-i16') - products).toBe(0);
    setKernelBackend('js');
    expect(wasm).toEqual(gemmDfp16(m, n, k, dfp(a), dfp(b), false).values);
    const ref = exact(m, n, k, a, b, false);
    expect([...wasm]).toEqual(Array.from(ref, (x) => Math.max(INT32_MIN, Math.min(INT32_MAX, x))));
  });

  it('reads an A that lies in the kernels\' memory where it is, with the same sums and bound', () => {
    const rand = mulberry32(37);
    setKernelBackend('wasm');
    for (const [m, n, k] of [[13, 21, 67], [64, 16, 512], [3, 9, 5]] as const) {
      const b = ints(Int16Array, k * n, rand, -2000, 2000), pb = packI16B(n, k, b, true);
      const mark = scratchMark();
      const copies = vi.spyOn(instance, 'copyInInts');
      try {
        const at = scratchAlloc(2 * m * k);
        const a = instance.i16At(at, m * k);
        a.set(ints(Int16Array, m * k, rand, -2000, 2000));
        const aJs = a.slice();
        const inPlace = new Int32Array(m * n), copied = new Int32Array(m * n);
        const sumsIn: GuardSums = {}, sumsJs: GuardSums = {};
        const rows = wasmGemmI16Guarded(m, a, pb, inPlace, 0, sumsIn);
        expect(copies).not.toHaveBeenCalled();
        expect(wasmGemmI16Guarded(m, aJs, pb, copied, 0, sumsJs)).toEqual(rows);
        expect(inPlace).toEqual(copied);
        expect(sumsIn).toEqual(sumsJs);
        const ref = exact(m, n, k, aJs, b, true);
        for (let i = 0; i < m * n; i++) if (rows![Math.floor(i / n)]) expect(inPlace[i]).toBe(ref[i]);
      } finally {
        copies.mockRestore();
        scratchRelease(mark);
        pb.free();
      }
    }
  });
});

/**
 * The WebAssembly integer kernels against the JavaScript reference kernels: bit-identical results
 * on random operands, including int16's extremes and sums that overflow int32 (where the reference
 * saturates and the wrapping WebAssembly lanes must not be trusted).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type Dfp16, gemmDfp16, int32SafeRows } from '../../../runtime/kernels/fixed-point.ts';
import { gemmInt8, INT32_MAX, INT32_MIN } from '../../../runtime/kernels/quant-int8.ts';
import { packI16B, wasmGemmI16 } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { packSignBits, xnorGemm, xnorGemmSigns } from '../../../runtime/kernels/binary.ts';

afterEach(() => setKernelBackend(undefined));

/** int16 values, a share of them at −32768 or 32767, the rest below `range` in magnitude. */
function int16s(len: number, rand: () => number, range: number, extremeShare: number): Int16Array {
  const out = new Int16Array(len);
  for (let i = 0; i < len; i++) {
    const r = rand();
    out[i] = r < extremeShare / 2 ? -32768 : r < extremeShare ? 32767 : Math.floor((rand() * 2 - 1) * range);
  }
  return out;
}

const dfp = (values: Int16Array, exponent: number): Dfp16 => ({ shape: [values.length], values, exponent });

function both(m: number, n: number, k: number, a: Int16Array, b: Int16Array, transB: boolean) {
  setKernelBackend('js');
  const js = gemmDfp16(m, n, k, dfp(a, -3), dfp(b, -5), transB);
  setKernelBackend('wasm');
  const wasm = gemmDfp16(m, n, k, dfp(a, -3), dfp(b, -5), transB);
  return { js, wasm };
}

describe('int16 GEMM (gemm-i16.wat)', () => {
  it('wraps modulo 2^32 exactly, whatever the operands, for every shape across the tile and k-block edges', () => {
    const rand = mulberry32(11);
    for (const [m, n, k] of [[1, 1, 1], [5, 9, 3], [4, 8, 256], [7, 13, 257], [9, 17, 600]] as const) {
      for (const transB of [false, true]) {
        const a = int16s(m * k, rand, 32768, 0.3), b = int16s(k * n, rand, 32768, 0.3);
        const out = new Int32Array(m * n);
        wasmGemmI16(m, n, k, a, b, transB, out);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0n;
            for (let p = 0; p < k; p++) s += BigInt(a[i * k + p]! * (transB ? b[j * k + p]! : b[p * n + j]!));
            expect(out[i * n + j]).toBe(Number(BigInt.asIntN(32, s)));
          }
        }
      }
    }
  });

  it('gives the reference kernel\'s sums bit for bit, on both sides of the int32 bound', () => {
    const rand = mulberry32(5);
    let trusted = 0, saturatedSums = 0;
    for (const [m, n, k, range, extreme] of [
      [33, 20, 64, 1000, 0], [17, 40, 300, 200, 0.01], [12, 9, 700, 32768, 0.2], [40, 24, 129, 4000, 0.002],
    ] as const) {
      for (const transB of [false, true]) {
        const a = int16s(m * k, rand, range, extreme), b = int16s(k * n, rand, range, extreme);
        const { js, wasm } = both(m, n, k, a, b, transB);
        expect(wasm.exponent).toBe(js.exponent);
        expect(wasm.values).toEqual(js.values);
        trusted += [...(int32SafeRows(m, k, a, b) ?? [])].filter((x) => x === 1).length;
        saturatedSums += js.values.filter((x) => x === INT32_MAX || x === INT32_MIN).length;
      }
    }
    // Both paths were exercised: rows summed in WebAssembly, and sums the reference saturated.
    expect(trusted).toBeGreaterThan(50);
    expect(saturatedSums).toBeGreaterThan(10);
  });

  it('trusts a row to int32 lanes only when no partial sum can leave int32', () => {
    const k = 2;
    // 2·(−32768)² = 2^31: one past INT32_MAX.
    const a = new Int16Array([-32768, -32768, -32768, 0]);
    const b = new Int16Array([-32768, -32768]);
    expect([...int32SafeRows(2, k, a, b)!]).toEqual([0, 1]);
    expect(int32SafeRows(1, k, a.subarray(0, 2), b)).toBeUndefined();
  });
});

describe('int8 GEMM (gemm-i16.wat on widened operands)', () => {
  /** m, n, k across the 4×8 tile, the odd k pair and the 128-pair k block; int8 with its extremes. */
  const int8Case = fc.record({ m: fc.integer({ min: 1, max: 13 }), n: fc.integer({ min: 1, max: 19 }), k: fc.integer({ min: 1, max: 300 }), seed: fc.integer(), transB: fc.boolean(), accumulate: fc.boolean() });
  const int8s = (len: number, rand: () => number) => Int8Array.from({ length: len }, () => { const r = rand(); return r < 0.1 ? -128 : r < 0.2 ? 127 : Math.floor(rand() * 256) - 128; });

  it('gives the reference kernel\'s sums bit for bit (with and without accumulating into C, packed B or not)', () => {
    fc.assert(fc.property(int8Case, ({ m, n, k, seed, transB, accumulate }) => {
      const rand = mulberry32(seed);
      const a = int8s(m * k, rand), b = int8s(k * n, rand);
      const c0 = Int32Array.from({ length: m * n }, () => Math.floor((rand() * 2 - 1) * 2 ** 31));
      setKernelBackend('js');
      const js = Int32Array.from(c0);
      gemmInt8(m, n, k, a, b, js, { transB, accumulate });
      // Force the WebAssembly path even below its size threshold: the kernel itself is under test.
      setKernelBackend('wasm');
      const direct = new Int32Array(m * n);
      wasmGemmI16(m, n, k, a, b, transB, direct);
      for (let i = 0; i < m * n; i++) {
        const ref = (accumulate ? c0[i]! : 0) + direct[i]!;
        expect(js[i]).toBe(Math.max(INT32_MIN, Math.min(INT32_MAX, ref)));
      }
      const wasm = Int32Array.from(c0);
      gemmInt8(m, n, k, a, b, wasm, { transB, accumulate, packedB: m * n * k % 2 ? packI16B(n, k, b, transB) : undefined });
      expect(wasm).toEqual(js);
    }), { numRuns: 60 });
  });

  it('leaves products deeper than 2^17 − 1 to the saturating reference: their sums can pass int32', () => {
    const k = 140_000, n = 1, m = 1;
    const a = new Int8Array(k).fill(-128), b = new Int8Array(k).fill(-128);
    const c = new Int32Array(1);
    setKernelBackend('wasm');
    gemmInt8(m, n, k, a, b, c, { transB: true });
    // 140,000·2^14 = 2.29e9 saturates; wrapping int32 lanes would have given a negative sum.
    expect(c[0]).toBe(INT32_MAX);
  });
});

describe('XNOR-popcount GEMM (xnor.wat)', () => {
  it('gives the reference kernel\'s ±1 dot products bit for bit, for k across word and 64-bit edges', () => {
    const rand = mulberry32(8);
    for (const [m, n, k] of [[8, 9, 1000], [32, 33, 31], [9, 64, 128], [64, 7, 65], [40, 41, 97], [8, 600, 33]] as const) {
      const x = Float32Array.from({ length: m * k }, () => rand() - 0.5);
      const w = Float32Array.from({ length: n * k }, () => rand() - 0.5);
      const a = packSignBits(x, m, k), b = packSignBits(w, n, k);
      setKernelBackend('js');
      const js = xnorGemm(a, b);
      setKernelBackend('wasm');
      const wasm = xnorGemm(a, b);
      expect(wasm).toEqual(js);
      // And against the definition, on one element per product.
      let dot = 0;
      for (let p = 0; p < k; p++) dot += (x[(m - 1) * k + p]! >= 0 ? 1 : -1) * (w[(n - 1) * k + p]! >= 0 ? 1 : -1);
      expect(wasm[m * n - 1]).toBe(dot);
    }
  });

  it('packs float rows into sign bits in WebAssembly as packSignBits does (−0, NaN, ±∞ and partial 16-float steps included)', () => {
    const rand = mulberry32(9);
    const special = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45];
    // Every shape is above the WebAssembly thresholds (m ≥ 8, m·n·words ≥ 1024), so both paths run.
    for (const [m, n, k] of [[8, 40, 1000], [9, 130, 15], [8, 130, 16], [11, 100, 17], [8, 70, 63], [10, 60, 64], [8, 50, 65], [13, 30, 100]] as const) {
      const x = Float32Array.from({ length: m * k }, () => (rand() < 0.1 ? special[Math.floor(rand() * special.length)]! : rand() - 0.5));
      const b = packSignBits(Float32Array.from({ length: n * k }, () => rand() - 0.5), n, k);
      setKernelBackend('js');
      const js = xnorGemmSigns(x, m, k, b);
      expect(js).toEqual(xnorGemm(packSignBits(x, m, k), b));
      setKernelBackend('wasm');
      expect(xnorGemmSigns(x, m, k, b)).toEqual(js);
    }
  });

  it('writes into a caller\'s output array on the WebAssembly path too', () => {
    const k = 640, m = 8, n = 8; // 1280 word pairs: above the WebAssembly threshold
    const a = packSignBits(Float32Array.from({ length: m * k }, (_, i) => (i % 3) - 1), m, k);
    const b = packSignBits(Float32Array.from({ length: n * k }, (_, i) => (i % 5) - 2), n, k);
    const out = new Int32Array(m * n + 1).fill(7);
    setKernelBackend('wasm');
    expect(xnorGemm(a, b, out)).toBe(out);
    setKernelBackend('js');
    expect(out.subarray(0, m * n)).toEqual(xnorGemm(a, b));
    expect(out[m * n]).toBe(7);
  });
});

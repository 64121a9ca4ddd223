/**
 * The WebAssembly fp32 GEMM against the JavaScript reference, the KILN_KERNELS switch and the
 * shared-memory scratch. Tolerance rule: each element of op(A)·op(B) is a sum of k products, and
 * float32 summation of k terms errs by at most k·u·Σ|a_i·b_i| (u = 2^-24, Higham, "Accuracy and
 * Stability of Numerical Algorithms", §3.1); the two backends sum in different orders, so they may
 * differ by twice that, plus a rounding of each term into C.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { sgemm } from '../../../runtime/kernels/gemm.ts';
import { offloadedBands, setGemmThreads, sgemmParallel, shutdownGemmWorkers, warmGemmWorkers } from '../../../runtime/kernels/gemm-parallel.ts';
import { WASM_ELEMENTWISE_MIN, floatBuffer, kernelBackend, relaxedSimdAvailable, parseKernelBackend, scratchMark, scratchRelease, setKernelBackend, wasmMemoryBytes } from '../../../runtime/kernels/wasm/instance.ts';
import { setFmaTile } from '../../../runtime/kernels/wasm/gemm-f32.ts';
import { wasmRelu, wasmReluBackward } from '../../../runtime/kernels/wasm/relu.ts';
import { relu } from '../../../runtime/kernels/activations.ts';
import { randomArray } from './helpers/gradcheck.ts';

const U = 2 ** -24;

interface Shape { m: number; n: number; k: number; transA: boolean; transB: boolean }

/** Σ_q |op(A)[i,q]·op(B)[q,j]| for every element, in float64. */
function magnitudes(s: Shape, a: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(s.m * s.n);
  for (let i = 0; i < s.m; i++) {
    for (let j = 0; j < s.n; j++) {
      let t = 0;
      for (let q = 0; q < s.k; q++) {
        const av = s.transA ? a[q * s.m + i]! : a[i * s.k + q]!;
        const bv = s.transB ? b[j * s.k + q]! : b[q * s.n + j]!;
        t += Math.abs(av * bv);
      }
      out[i * s.n + j] = t;
    }
  }
  return out;
}

function product(backend: 'js' | 'wasm', s: Shape, a: Float32Array, b: Float32Array): Float32Array {
  setKernelBackend(backend);
  const c = new Float32Array(s.m * s.n);
  sgemm({ ...s, a, b, c });
  return c;
}

afterEach(() => { setKernelBackend(undefined); setFmaTile(undefined); });

describe('WebAssembly fp32 GEMM', () => {
  // Both micro-kernels (f32x4.mul + add, and relaxed SIMD's fused multiply-add where this engine has it).
  const tiles = [false, ...(relaxedSimdAvailable() ? [true] : [])];
  it.each([
    [1, 1, 1], [3, 5, 7], [4, 8, 1], [6, 16, 25], [37, 29, 300], [130, 9, 513], [5, 4100, 3], [129, 130, 257],
  ].flatMap((d) => tiles.map((fma) => [...d, fma] as [number, number, number, boolean])))('matches the JS reference within the summation-order bound, %i×%i×%i (fused tile: %s), every transpose', (m, n, k, fma) => {
    setFmaTile(fma);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const s = { m, n, k, transA, transB };
        const a = randomArray(m * k, m + k), b = randomArray(k * n, n + k + 1);
        const js = product('js', s, a, b), wasm = product('wasm', s, a, b);
        const mag = magnitudes(s, a, b);
        for (let e = 0; e < m * n; e++) {
          const bound = (2 * k + 2) * U * mag[e]!;
          if (Math.abs(js[e]! - wasm[e]!) > bound) expect.fail(`${m}×${n}×${k} ${transA}/${transB} C[${e}]: js ${js[e]} wasm ${wasm[e]} (bound ${bound})`);
        }
      }
    }
  });

  it('is not the JS path in disguise: its float32 sums differ from the float64-accumulated ones somewhere', () => {
    const s = { m: 64, n: 64, k: 512, transA: false, transB: false };
    const a = randomArray(64 * 512, 1), b = randomArray(512 * 64, 2);
    expect(product('wasm', s, a, b)).not.toEqual(product('js', s, a, b));
  });

  it('uses operands that already live in its memory in place, even when the call grows the memory', () => {
    setKernelBackend('wasm');
    const m = 70, n = 900, k = 40;
    const a = randomArray(m * k, 3), b = randomArray(k * n, 4);
    const want = new Float32Array(m * n);
    sgemm({ m, n, k, a, b, c: want });
    const mark = scratchMark();
    try {
      const bw = floatBuffer(k * n, true), cw = floatBuffer(m * n, true);
      bw.view.set(b);
      // A copied in after B and C were placed, with a row stride that makes it span more than
      // the whole memory, forces the memory to grow during the call.
      const bytes = wasmMemoryBytes();
      const lda = Math.ceil(bytes / 4 / (m - 1)) + k;
      const spread = new Float32Array((m - 1) * lda + k);
      for (let i = 0; i < m; i++) spread.set(a.subarray(i * k, i * k + k), i * lda);
      sgemm({ m, n, k, a: spread, lda, b: bw.view, c: cw.view });
      expect(wasmMemoryBytes()).toBeGreaterThan(bytes);
      expect(cw.view).toEqual(want);
    } finally {
      scratchRelease(mark);
    }
  });

  it('keeps sgemmParallel on the calling thread (the workers run the JS kernels)', async () => {
    setKernelBackend('wasm');
    setGemmThreads(2);
    try {
      await warmGemmWorkers();
      const before = offloadedBands();
      const n = 256, a = randomArray(n * n, 5), b = randomArray(n * n, 6);
      const c1 = new Float32Array(n * n), c2 = new Float32Array(n * n);
      sgemm({ m: n, n, k: n, a, b, c: c1 });
      sgemmParallel({ m: n, n, k: n, a, b, c: c2 });
      expect(offloadedBands()).toBe(before);
      expect(c2).toEqual(c1);
    } finally {
      setGemmThreads(1);
      await shutdownGemmWorkers();
    }
  });
});

describe('KILN_KERNELS', () => {
  it('defaults to wasm and accepts js', () => {
    expect(parseKernelBackend(undefined)).toBe('wasm');
    expect(parseKernelBackend('')).toBe('wasm');
    expect(parseKernelBackend('js')).toBe('js');
    setKernelBackend('js');
    expect(kernelBackend()).toBe('js');
  });

  it('refuses an unknown backend, listing the choices', () => {
    expect(() => parseKernelBackend('simd')).toThrow(KilnError);
    expect(() => parseKernelBackend('simd')).toThrow(/KILN_KERNELS=simd is not a kernel backend/);
    try {
      parseKernelBackend('WASM');
    } catch (e) {
      expect((e as KilnError).diagnostics[0]!.hint).toMatch(/wasm, js/);
    }
  });
});

describe('WebAssembly ReLU', () => {
  // 1,027 values: past the WebAssembly threshold and not a whole number of vectors; every special value.
  const specials = [0, -0, 1, -1, NaN, -NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38];
  const x = randomArray(1027, 11), dy = randomArray(1027, 12);
  specials.forEach((v, i) => { x[i * 7] = v; dy[i * 7 + 1] = v; dy[i * 7] = -v; });
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

  it('relu is the JS kernel bit for bit (NaN and −0 give +0)', () => {
    setKernelBackend('js');
    const js = relu({ shape: [1027], data: x }).data;
    setKernelBackend('wasm');
    expect(x.length).toBeGreaterThanOrEqual(WASM_ELEMENTWISE_MIN);
    expect(bits(wasmRelu(x))).toEqual(bits(js));
    expect(bits(relu({ shape: [1027], data: x }).data)).toEqual(bits(js));
  });

  it('relu backward keeps dy where x > 0 and writes +0 elsewhere, bit for bit', () => {
    const want = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) if (x[i]! > 0) want[i] = dy[i]!;
    expect(bits(wasmReluBackward(x, dy))).toEqual(bits(want));
  });
});

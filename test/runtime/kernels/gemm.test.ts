import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sgemm, matmul } from '../../../runtime/kernels/gemm.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { gemmNaive } from './helpers/naive.ts';
import { expectClose, randomArray } from './helpers/gradcheck.ts';
import { loadOnnxCase, numAttr } from './helpers/onnx-case.ts';

interface Case {
  m: number; n: number; k: number;
  transA: boolean; transB: boolean;
  alpha: number; beta: number;
  padA: number; padB: number; padC: number;
  offA: number; offB: number; offC: number;
  seed: number;
}

function run(c: Case): void {
  const { m, n, k, transA, transB } = c;
  const lda = (transA ? m : k) + c.padA;
  const ldb = (transB ? k : n) + c.padB;
  const ldc = n + c.padC;
  const a = randomArray(c.offA + (transA ? k : m) * lda, c.seed);
  const b = randomArray(c.offB + (transB ? n : k) * ldb, c.seed + 1);
  const c0 = randomArray(c.offC + m * ldc, c.seed + 2);
  const cc = c0.slice();
  sgemm({ m, n, k, a, aOffset: c.offA, lda, transA, b, bOffset: c.offB, ldb, transB, c: cc, cOffset: c.offC, ldc, alpha: c.alpha, beta: c.beta });
  const want = gemmNaive(m, n, k, a.subarray(c.offA), lda, transA, b.subarray(c.offB), ldb, transB, c0.subarray(c.offC), ldc, c.alpha, c.beta);
  const got = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) got[i * n + j] = cc[c.offC + i * ldc + j]!;
  // float32 accumulation over k terms of magnitude ≤ 1: error grows like k·2^-24.
  expectClose(got, want, 1e-5 * (k + 1), 1e-5, 'C');
  // Elements outside the m×n window (the leading-dimension padding) must be untouched.
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) expect(cc[c.offC + i * ldc + j]).toBe(c0[c.offC + i * ldc + j]);
}

const dims = (max: number) => fc.integer({ min: 0, max });

describe('sgemm against a naive reference', () => {
  it('small and medium sizes, all transposes, alpha/beta, strides and offsets', () => {
    fc.assert(fc.property(fc.record({
      m: dims(70), n: dims(70), k: dims(90),
      transA: fc.boolean(), transB: fc.boolean(),
      alpha: fc.constantFrom(1, 0, -0.5, 2), beta: fc.constantFrom(0, 1, 0.25),
      padA: fc.integer({ min: 0, max: 3 }), padB: fc.integer({ min: 0, max: 3 }), padC: fc.integer({ min: 0, max: 3 }),
      offA: fc.integer({ min: 0, max: 5 }), offB: fc.integer({ min: 0, max: 5 }), offC: fc.integer({ min: 0, max: 5 }),
      seed: fc.integer(),
    }), run), { numRuns: 200 });
  });

  it('sizes that cross the cache-block boundaries (several k, m blocks and ragged edges)', () => {
    for (const [m, n, k] of [[131, 97, 530], [97, 131, 257], [200, 13, 300], [5, 300, 600]] as const) {
      for (const transA of [false, true]) for (const transB of [false, true]) {
        run({ m, n, k, transA, transB, alpha: 1.5, beta: 0.5, padA: 1, padB: 2, padC: 3, offA: 2, offB: 1, offC: 4, seed: m + n + k });
      }
    }
  });

  it('beta = 0 overwrites NaN in C, as BLAS does', () => {
    const c = new Float32Array(64 * 64).fill(NaN);
    sgemm({ m: 64, n: 64, k: 64, a: randomArray(4096, 1), b: randomArray(4096, 2), c });
    expect(c.every((v) => Number.isFinite(v))).toBe(true);
  });

  // The WebAssembly GEMM stores its first k block instead of zeroing C: over several k blocks
  // (k > 256), an edge tile (n mod 8) and a C resident in the kernels' memory or copied in, the
  // product must be 0 + Σ, bit for bit what zeroing and adding gave (−0 sums as +0).
  it('beta = 0 over several k blocks and an edge tile is 0 + the product', () => {
    const m = 13, n = 21, k = 600;
    const a = randomArray(m * k, 3), b = randomArray(k * n, 4);
    b.fill(0, 0, n);
    const zeroed = new Float32Array(m * n);
    sgemm({ m, n, k, a, b, c: zeroed, beta: 1 });
    const c = new Float32Array(m * n).fill(NaN);
    sgemm({ m, n, k, a, b, c });
    expect(Array.from(new Uint32Array(c.buffer))).toEqual(Array.from(new Uint32Array(zeroed.buffer)));
    const negZero = new Float32Array(4).fill(NaN);
    sgemm({ m: 2, n: 2, k: 1, a: Float32Array.from([-1, 1]), b: Float32Array.from([0, 0]), c: negZero });
    expect(Array.from(negZero, (v) => Object.is(v, 0))).toEqual([true, true, true, true]);
  });

  it('matmul convenience returns a fresh product', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const b = Float32Array.from([7, 8, 9, 10, 11, 12]);
    expect([...matmul(a, b, 2, 2, 3)]).toEqual([58, 64, 139, 154]);
    expect([...matmul(a, b, 3, 3, 2, { transA: true, transB: true })]).toEqual([
      1 * 7 + 4 * 8, 1 * 9 + 4 * 10, 1 * 11 + 4 * 12,
      2 * 7 + 5 * 8, 2 * 9 + 5 * 10, 2 * 11 + 5 * 12,
      3 * 7 + 6 * 8, 3 * 9 + 6 * 10, 3 * 11 + 6 * 12,
    ]);
  });

  it('rejects arrays too short for the stated sizes with a KilnError', () => {
    expect(() => sgemm({ m: 4, n: 4, k: 4, a: new Float32Array(15), b: new Float32Array(16), c: new Float32Array(16) })).toThrow(KilnError);
    expect(() => sgemm({ m: 4, n: 4, k: 4, a: new Float32Array(16), lda: 3, b: new Float32Array(16), c: new Float32Array(16) })).toThrow(/leading dimension/);
  });
});

describe('ONNX Gemm node tests (onnx v1.22.0)', () => {
  for (const name of ['test_gemm_all_attributes', 'test_gemm_alpha', 'test_gemm_beta', 'test_gemm_transposeA', 'test_gemm_transposeB', 'test_gemm_default_no_bias', 'test_gemm_default_matrix_bias']) {
    it(name, () => {
      const kase = loadOnnxCase(name);
      const node = kase.nodes[0]!;
      const [A, B, C] = kase.inputs as [typeof kase.inputs[0], typeof kase.inputs[0], typeof kase.inputs[0] | undefined];
      const transA = numAttr(node, 'transA') === 1;
      const transB = numAttr(node, 'transB') === 1;
      const m = transA ? A!.dims[1]! : A!.dims[0]!;
      const k = transA ? A!.dims[0]! : A!.dims[1]!;
      const n = transB ? B!.dims[0]! : B!.dims[1]!;
      // Broadcast the bias to m×n as the ONNX operator does, then let beta scale it.
      const c = new Float32Array(m * n);
      if (C) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        const [r, cc] = C.dims.length === 2 ? [C.dims[0]! === 1 ? 0 : i, C.dims[1]! === 1 ? 0 : j] : [0, C.dims[0]! === 1 ? 0 : j];
        c[i * n + j] = C.dims.length === 2 ? C.values[r * C.dims[1]! + cc]! : C.values[cc]!;
      }
      sgemm({ m, n, k, a: Float32Array.from(A!.values), transA, b: Float32Array.from(B!.values), transB, c,
        alpha: numAttr(node, 'alpha') ?? 1, beta: C ? numAttr(node, 'beta') ?? 1 : 0 });
      expectClose(c, kase.outputs[0]!.values, 1e-5, 1e-5, name);
    });
  }
});

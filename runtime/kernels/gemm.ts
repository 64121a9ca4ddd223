/**
 * fp32 GEMM: C = alpha·op(A)·op(B) + beta·C on row-major Float32Arrays, op = identity or transpose,
 * with offsets and leading dimensions, checked before anything runs; the packed kernels are in
 * gemm-core.ts, or in WebAssembly (wasm/gemm-f32.wat) unless KILN_KERNELS=js. sgemmPackedB accepts B as a packing routine instead of a matrix, so conv2d can
 * gather im2col columns straight into the panels.
 */
import { kernelError } from './check.ts';
import { NR, type PackB, gemmCore, gemmPackedWith, scaleC } from './gemm-core.ts';
import { useWasmKernels } from './wasm/instance.ts';
import { wasmGemmAccumulate } from './wasm/gemm-f32.ts';

export { gemmCore, gemmCoreSource, type PackB } from './gemm-core.ts';

export interface GemmParams {
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  aOffset?: number;
  /** Row stride of A as stored: defaults to k, or m when transA. */
  lda?: number;
  transA?: boolean;
  b: Float32Array;
  bOffset?: number;
  /** Row stride of B as stored: defaults to n, or k when transB. */
  ldb?: number;
  transB?: boolean;
  c: Float32Array;
  cOffset?: number;
  ldc?: number;
  alpha?: number;
  beta?: number;
}

function checkExtent(what: string, arr: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (rows === 0 || cols === 0) return;
  if (ld < cols) throw kernelError('gemm', `leading dimension of ${what} (${ld}) is smaller than its row length (${cols})`);
  const last = off + (rows - 1) * ld + cols;
  if (off < 0 || last > arr.length) {
    throw kernelError('gemm', `${what} needs ${last} elements from offset ${off}, has ${arr.length}`,
      'check m, n, k, the transposes and the leading dimensions');
  }
}

/** GemmParams with defaults filled in, after checking that every operand is large enough. */
export interface CheckedGemm {
  m: number; n: number; k: number;
  alpha: number; beta: number;
  transA: boolean; transB: boolean;
  aOff: number; bOff: number; cOff: number;
  lda: number; ldb: number; ldc: number;
}

export function checkGemm(p: GemmParams): CheckedGemm {
  const { m, n, k } = p;
  const transA = p.transA ?? false;
  const transB = p.transB ?? false;
  const g: CheckedGemm = {
    m, n, k, transA, transB,
    alpha: p.alpha ?? 1, beta: p.beta ?? 0,
    aOff: p.aOffset ?? 0, bOff: p.bOffset ?? 0, cOff: p.cOffset ?? 0,
    lda: p.lda ?? (transA ? m : k), ldb: p.ldb ?? (transB ? k : n), ldc: p.ldc ?? n,
  };
  if (![m, n, k].every((d) => Number.isInteger(d) && d >= 0)) {
    throw kernelError('gemm', `sizes must be non-negative integers, got m=${m} n=${n} k=${k}`);
  }
  checkExtent('A', p.a, g.aOff, transA ? k : m, transA ? m : k, g.lda);
  checkExtent('B', p.b, g.bOff, transB ? n : k, transB ? k : n, g.ldb);
  checkExtent('C', p.c, g.cOff, m, n, g.ldc);
  return g;
}

export function sgemm(p: GemmParams): void {
  const g = checkGemm(p);
  if (useWasmKernels()) {
    // beta = 0 lets the kernel store its first k block instead of zeroing C and adding to it.
    const empty = g.alpha === 0 || g.m === 0 || g.n === 0 || g.k === 0;
    if (empty || (g.beta !== 0 && g.beta !== 1)) scaleC(g.m, g.n, g.beta, p.c, g.cOff, g.ldc);
    if (empty) return;
    wasmGemmAccumulate(g.m, g.n, g.k, g.alpha, p.a, g.aOff, g.lda, g.transA, p.b, g.bOff, g.ldb, g.transB, p.c, g.cOff, g.ldc, g.beta === 0);
    return;
  }
  gemmCore(g.m, g.n, g.k, g.alpha, p.a, g.aOff, g.lda, g.transA, p.b, g.bOff, g.ldb, g.transB, g.beta, p.c, g.cOff, g.ldc);
}

/** Micro-panel width of packed B, for PackB implementations. */
export const GEMM_NR = NR;

/**
 * C[m×n] = A·B + beta·C (beta 0 or 1) for a B given only by its packing routine. Always takes
 * the packed path, which is correct for any size.
 */
export function sgemmPackedB(m: number, n: number, k: number, a: Float32Array, aOff: number, lda: number,
  fillB: PackB, c: Float32Array, cOff: number, ldc: number, beta: 0 | 1 = 0): void {
  checkExtent('A', a, aOff, m, k, lda);
  checkExtent('C', c, cOff, m, n, ldc);
  if (beta === 0) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  if (m === 0 || n === 0 || k === 0) return;
  gemmPackedWith(m, n, k, 1, a, aOff, lda, false, fillB, c, cOff, ldc);
}

/** Convenience: a fresh row-major m×n product of op(A)·op(B). */
export function matmul(a: Float32Array, b: Float32Array, m: number, n: number, k: number,
  opts: { transA?: boolean; transB?: boolean } = {}): Float32Array {
  const c = new Float32Array(m * n);
  sgemm({ m, n, k, a, b, c, transA: opts.transA, transB: opts.transB });
  return c;
}

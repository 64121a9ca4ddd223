/**
 * fp32 GEMM: C = alpha·op(A)·op(B) + beta·C on row-major Float32Arrays, op = identity or transpose.
 *
 * Large products take the Goto/BLIS route: B is packed into KC×NR micro-panels and A into MR×KC
 * micro-panels (transposes and alpha are absorbed while packing), then a 4×4 register-blocked
 * micro-kernel runs over them with its 16 accumulators in locals. What limits plain JS here is
 * instruction count, not memory: V8 re-checks bounds and re-derives the element address of every
 * typed-array load, so the kernel keeps both packed panels in one Float64Array (one map check and
 * no float→double conversion per load) and computes indices with `| 0` (no overflow checks).
 * Small products skip packing, whose O(mk + kn) cost would dominate. sgemmPackedB accepts B as a
 * packing routine instead of a matrix, so conv2d can write im2col columns straight into the panels.
 */
import { kernelError } from './check.ts';

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

const MR = 4;
const NR = 4;
/** KC·NR·8 B stays in L1 for the B micro-panel; MC·KC·8 B ≈ 200 KiB of A stays in L2. */
const KC = 256;
const MC = 96;
const NC = 4096;
/** Below this many multiply-adds packing does not pay for itself. */
const SMALL_MACS = 32 * 32 * 32;

let work = new Float64Array(0);
const edge = new Float32Array(MR * NR);

function workspace(len: number): Float64Array {
  if (work.length < len) work = new Float64Array(len);
  return work;
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
  gemmCore(g.m, g.n, g.k, g.alpha, p.a, g.aOff, g.lda, g.transA, p.b, g.bOff, g.ldb, g.transB, g.beta, p.c, g.cOff, g.ldc);
}

/** The unchecked entry point; also runs inside gemm worker threads (see gemmCoreSource). */
export function gemmCore(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  b: Float32Array, bOff: number, ldb: number, transB: boolean,
  beta: number, c: Float32Array, cOff: number, ldc: number): void {
  if (beta !== 1) {
    for (let i = 0; i < m; i++) {
      const row = cOff + i * ldc;
      // BLAS semantics: beta = 0 overwrites C, so NaNs in uninitialized output do not leak through.
      if (beta === 0) c.fill(0, row, row + n);
      else for (let j = row; j < row + n; j++) c[j] = beta * c[j]!;
    }
  }
  if (alpha === 0 || k === 0 || m === 0 || n === 0) return;
  if (m * n * k <= SMALL_MACS || m < MR || n < NR) {
    gemmDirect(m, n, k, alpha, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc);
  } else {
    gemmPacked(m, n, k, alpha, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc);
  }
}

/** Unpacked loops for small products; the loop order keeps the innermost access contiguous. */
function gemmDirect(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  b: Float32Array, bOff: number, ldb: number, transB: boolean,
  c: Float32Array, cOff: number, ldc: number): void {
  const sa = transA ? 1 : lda;
  const ka = transA ? lda : 1;
  if (transB) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let ai = aOff + i * sa;
        let bj = bOff + j * ldb;
        for (let q = 0; q < k; q++, ai += ka, bj++) s += a[ai]! * b[bj]!;
        c[cOff + i * ldc + j] = c[cOff + i * ldc + j]! + alpha * s;
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * ldc;
    for (let q = 0; q < k; q++) {
      const av = alpha * a[aOff + i * sa + q * ka]!;
      if (av === 0) continue;
      const bq = bOff + q * ldb;
      for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + av * b[bq + j]!;
    }
  }
}

/** Pack op(A)[i0..i0+mc, p0..p0+kc]·alpha into MR-row micro-panels, k-major, zero-padded rows. */
function packA(a: Float32Array, aOff: number, lda: number, transA: boolean, alpha: number,
  i0: number, mc: number, p0: number, kc: number, w: Float64Array, wOff: number): void {
  let o = wOff;
  for (let i = 0; i < mc; i += MR) {
    const mr = Math.min(MR, mc - i);
    for (let q = 0; q < kc; q++) {
      for (let r = 0; r < MR; r++) {
        if (r >= mr) { w[o++] = 0; continue; }
        const row = i0 + i + r;
        const col = p0 + q;
        w[o++] = alpha * a[transA ? aOff + col * lda + row : aOff + row * lda + col]!;
      }
    }
  }
}

/** Pack op(B)[p0..p0+kc, j0..j0+nc] into NR-column micro-panels, k-major, zero-padded columns. */
function packB(b: Float32Array, bOff: number, ldb: number, transB: boolean,
  p0: number, kc: number, j0: number, nc: number, w: Float64Array, wOff: number): void {
  let o = wOff;
  for (let j = 0; j < nc; j += NR) {
    const nr = Math.min(NR, nc - j);
    for (let q = 0; q < kc; q++) {
      const row = p0 + q;
      for (let s = 0; s < NR; s++) {
        if (s >= nr) { w[o++] = 0; continue; }
        const col = j0 + j + s;
        w[o++] = b[transB ? bOff + col * ldb + row : bOff + row * ldb + col]!;
      }
    }
  }
}

/**
 * Fills the packed form of rows [p0, p0 + kc) and columns [j0, j0 + nc) of a k×n matrix B into
 * w from wOff: NR-column micro-panels one after another, each kc rows of NR values, columns past
 * nc zero. Lets a caller pack a B that never exists as a matrix (implicit im2col).
 */
export type PackB = (p0: number, kc: number, j0: number, nc: number, w: Float64Array, wOff: number) => void;

/** Micro-panel width of packed B, for PackB implementations. */
export const GEMM_NR = NR;

function gemmPacked(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  b: Float32Array, bOff: number, ldb: number, transB: boolean,
  c: Float32Array, cOff: number, ldc: number): void {
  gemmPackedWith(m, n, k, alpha, a, aOff, lda, transA,
    (p0, kc, j0, nc, w, wOff) => packB(b, bOff, ldb, transB, p0, kc, j0, nc, w, wOff), c, cOff, ldc);
}

/**
 * C[m×n] = op(A)·B for a B given only by its packing routine; C is overwritten. Always takes the
 * packed path, which is correct for any size.
 */
export function sgemmPackedB(m: number, n: number, k: number, a: Float32Array, aOff: number, lda: number,
  fillB: PackB, c: Float32Array, cOff: number, ldc: number): void {
  checkExtent('A', a, aOff, m, k, lda);
  checkExtent('C', c, cOff, m, n, ldc);
  for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  if (m === 0 || n === 0 || k === 0) return;
  gemmPackedWith(m, n, k, 1, a, aOff, lda, false, fillB, c, cOff, ldc);
}

function gemmPackedWith(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  fillB: PackB, c: Float32Array, cOff: number, ldc: number): void {
  const ncMax = Math.min(NC, Math.ceil(n / NR) * NR);
  // Split k evenly so no short tail block pays the per-tile load/store of C for little work.
  const kBlock = Math.ceil(k / Math.ceil(k / KC));
  const kcMax = kBlock;
  const aLen = Math.ceil(Math.min(MC, m) / MR) * MR * kcMax;
  const w = workspace(aLen + ncMax * kcMax);
  const bBase = aLen;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += kBlock) {
      const kc = Math.min(kBlock, k - p0);
      fillB(p0, kc, j0, nc, w, bBase);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packA(a, aOff, lda, transA, alpha, i0, mc, p0, kc, w, 0);
        for (let j = 0; j < nc; j += NR) {
          const nr = Math.min(NR, nc - j);
          const bo = bBase + j * kc;
          for (let i = 0; i < mc; i += MR) {
            const mr = Math.min(MR, mc - i);
            const ao = i * kc;
            if (mr === MR && nr === NR) {
              kernel4x4(kc, w, ao, bo, c, cOff + (i0 + i) * ldc + j0 + j, ldc);
            } else {
              edge.fill(0);
              kernel4x4(kc, w, ao, bo, edge, 0, NR);
              const ci = cOff + (i0 + i) * ldc + j0 + j;
              for (let r = 0; r < mr; r++) for (let s = 0; s < nr; s++) c[ci + r * ldc + s] = c[ci + r * ldc + s]! + edge[r * NR + s]!;
            }
          }
        }
      }
    }
  }
}

/** C[4×4 at ci] += Apanel(4×kc) · Bpanel(kc×4), both panels inside `w`. */
function kernel4x4(kc: number, w: Float64Array, ao: number, bo: number, c: Float32Array, ci: number, ldc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const end = (ao + kc * MR) | 0;
  while (ao < end) {
    const a0 = w[ao]!, a1 = w[(ao + 1) | 0]!, a2 = w[(ao + 2) | 0]!, a3 = w[(ao + 3) | 0]!;
    const b0 = w[bo]!, b1 = w[(bo + 1) | 0]!, b2 = w[(bo + 2) | 0]!, b3 = w[(bo + 3) | 0]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ao = (ao + 4) | 0;
    bo = (bo + 4) | 0;
  }
  c[ci] = c[ci]! + c00; c[ci + 1] = c[ci + 1]! + c01; c[ci + 2] = c[ci + 2]! + c02; c[ci + 3] = c[ci + 3]! + c03;
  ci += ldc;
  c[ci] = c[ci]! + c10; c[ci + 1] = c[ci + 1]! + c11; c[ci + 2] = c[ci + 2]! + c12; c[ci + 3] = c[ci + 3]! + c13;
  ci += ldc;
  c[ci] = c[ci]! + c20; c[ci + 1] = c[ci + 1]! + c21; c[ci + 2] = c[ci + 2]! + c22; c[ci + 3] = c[ci + 3]! + c23;
  ci += ldc;
  c[ci] = c[ci]! + c30; c[ci + 1] = c[ci + 1]! + c31; c[ci + 2] = c[ci + 2]! + c32; c[ci + 3] = c[ci + 3]! + c33;
}

/**
 * Plain-JS source of gemmCore and everything it calls, for worker threads created from a string
 * (a worker cannot import a .ts module under every runner). Function.prototype.toString gives the
 * transpiled JS, which is self-contained: these functions use only each other and the constants.
 */
export function gemmCoreSource(): string {
  return [
    `const MR = ${MR}, NR = ${NR}, KC = ${KC}, MC = ${MC}, NC = ${NC}, SMALL_MACS = ${SMALL_MACS};`,
    'let work = new Float64Array(0);',
    'const edge = new Float32Array(MR * NR);',
    ...[workspace, gemmCore, gemmDirect, packA, packB, gemmPacked, gemmPackedWith, kernel4x4].map((f) => f.toString()),
  ].join('\n');
}

/** Convenience: a fresh row-major m×n product of op(A)·op(B). */
export function matmul(a: Float32Array, b: Float32Array, m: number, n: number, k: number,
  opts: { transA?: boolean; transB?: boolean } = {}): Float32Array {
  const c = new Float32Array(m * n);
  sgemm({ m, n, k, a, b, c, transA: opts.transA, transB: opts.transB });
  return c;
}

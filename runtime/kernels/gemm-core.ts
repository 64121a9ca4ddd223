/**
 * The packed fp32 GEMM itself, C += alpha·op(A)·op(B) on row-major Float32Arrays (gemm.ts holds the
 * checked entry points).
 *
 * Large products take the Goto/BLIS route: B is packed into KC×NR micro-panels and A into MR×KC
 * micro-panels (transposes and alpha are absorbed while packing), then a 4×4 register-blocked
 * micro-kernel runs over them with its 16 accumulators in locals. What limits plain JS here is
 * instruction count, not memory: V8 re-checks bounds and re-derives the element address of every
 * typed-array load, so the kernel keeps both packed panels in one Float64Array (one map check and
 * no float→double conversion per load) and computes indices with `| 0` (no overflow checks).
 * Small products skip packing, whose O(mk + kn) cost would dominate.
 *
 * Everything here uses only the other functions and constants of this file, never an import:
 * gemmCoreSource ships their source to worker threads as one string.
 */

/** Micro-tile height (rows of A per panel) and width (columns of B per panel). */
export const MR = 4;
export const NR = 4;
/** KC·NR·8 B stays in L1 for the B micro-panel; MC·KC·8 B ≈ 200 KiB of A stays in L2. */
const KC = 256;
const MC = 96;
const NC = 4096;
/** Packed-B block (doubles) when A is short: 128 KiB, a quarter of L2. */
const B_PANEL = 16384;
/** Below this many multiply-adds packing does not pay for itself. */
const SMALL_MACS = 32 * 32 * 32;

let work = new Float64Array(0);

function workspace(len: number): Float64Array {
  if (work.length < len) work = new Float64Array(len);
  return work;
}

/** The unchecked entry point (C = alpha·op(A)·op(B) + beta·C); also runs inside gemm worker threads. */
export function gemmCore(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  b: Float32Array, bOff: number, ldb: number, transB: boolean,
  beta: number, c: Float32Array, cOff: number, ldc: number): void {
  scaleC(m, n, beta, c, cOff, ldc);
  if (alpha === 0 || k === 0 || m === 0 || n === 0) return;
  if (m * n * k <= SMALL_MACS || m < MR || n < NR) {
    gemmDirect(m, n, k, alpha, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc);
  } else {
    gemmPacked(m, n, k, alpha, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc);
  }
}

/** C = beta·C over the m×n window; the WebAssembly GEMM shares it (it only accumulates). */
export function scaleC(m: number, n: number, beta: number, c: Float32Array, cOff: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    // BLAS semantics: beta = 0 overwrites C, so NaNs in uninitialized output do not leak through.
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] = beta * c[j]!;
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

/**
 * Fills the packed form of rows [p0, p0 + kc) and columns [j0, j0 + nc) of a k×n matrix B into
 * w from wOff: NR-column micro-panels one after another, each kc rows of NR values, columns past
 * nc zero. Lets a caller pack a B that never exists as a matrix (implicit im2col).
 */
export type PackB = (p0: number, kc: number, j0: number, nc: number, w: Float64Array, wOff: number) => void;

function gemmPacked(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  b: Float32Array, bOff: number, ldb: number, transB: boolean,
  c: Float32Array, cOff: number, ldc: number): void {
  gemmPackedWith(m, n, k, alpha, a, aOff, lda, transA,
    (p0, kc, j0, nc, w, wOff) => packB(b, bOff, ldb, transB, p0, kc, j0, nc, w, wOff), c, cOff, ldc);
}

export function gemmPackedWith(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  fillB: PackB, c: Float32Array, cOff: number, ldc: number): void {
  // Split k evenly so no short tail block pays the per-tile load/store of C for little work.
  const kBlock = Math.ceil(k / Math.ceil(k / KC));
  if (m <= MC || Math.ceil(m / MR) * MR * k <= MC * KC) {
    gemmPackedShortA(m, n, k, kBlock, alpha, a, aOff, lda, transA, fillB, c, cOff, ldc);
    return;
  }
  const ncMax = Math.min(NC, Math.ceil(n / NR) * NR);
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
        tiles(mc, nc, kc, w, 0, bBase, c, cOff + i0 * ldc + j0, ldc);
      }
    }
  }
}

/**
 * A is short (one MC block: small convolutions' output channels, a minibatch of rows) or small
 * altogether (a short k): it is packed once for all k, and B in column blocks small enough
 * (B_PANEL doubles) to stay in L2 between being packed and being read. The k-blocking, and so
 * every result bit, is the same as the general path's.
 */
function gemmPackedShortA(m: number, n: number, k: number, kBlock: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  fillB: PackB, c: Float32Array, cOff: number, ldc: number): void {
  const mPad = Math.ceil(m / MR) * MR;
  const nBlock = Math.max(NR, Math.floor(B_PANEL / kBlock / NR) * NR);
  const ncMax = Math.min(nBlock, Math.ceil(n / NR) * NR);
  const bBase = mPad * k;
  const w = workspace(bBase + ncMax * kBlock);
  for (let p0 = 0; p0 < k; p0 += kBlock) packA(a, aOff, lda, transA, alpha, 0, m, p0, Math.min(kBlock, k - p0), w, mPad * p0);
  for (let j0 = 0; j0 < n; j0 += nBlock) {
    const nc = Math.min(nBlock, n - j0);
    for (let p0 = 0; p0 < k; p0 += kBlock) {
      const kc = Math.min(kBlock, k - p0);
      fillB(p0, kc, j0, nc, w, bBase);
      tiles(m, nc, kc, w, mPad * p0, bBase, c, cOff + j0, ldc);
    }
  }
}

/**
 * Pack op(A)[i0..i0+mc, p0..p0+kc]·alpha into MR-row micro-panels, k-major, zero-padded rows.
 * Full panels read their four rows (or, transposed, four adjacent values) without per-element
 * tests: for the short A of a small layer, packing is a real share of the work.
 */
function packA(a: Float32Array, aOff: number, lda: number, transA: boolean, alpha: number,
  i0: number, mc: number, p0: number, kc: number, w: Float64Array, wOff: number): void {
  let o = wOff;
  for (let i = 0; i < mc; i += MR) {
    const mr = Math.min(MR, mc - i);
    if (mr === MR && transA) {
      for (let q = 0, s = aOff + p0 * lda + i0 + i; q < kc; q++, s += lda, o += MR) {
        w[o] = alpha * a[s]!; w[o + 1] = alpha * a[s + 1]!; w[o + 2] = alpha * a[s + 2]!; w[o + 3] = alpha * a[s + 3]!;
      }
      continue;
    }
    if (mr === MR) {
      const s0 = aOff + (i0 + i) * lda + p0, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda;
      for (let q = 0; q < kc; q++, o += MR) {
        w[o] = alpha * a[s0 + q]!; w[o + 1] = alpha * a[s1 + q]!; w[o + 2] = alpha * a[s2 + q]!; w[o + 3] = alpha * a[s3 + q]!;
      }
      continue;
    }
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
    if (nr === NR && transB) {
      const s0 = bOff + (j0 + j) * ldb + p0, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
      for (let q = 0; q < kc; q++, o += NR) {
        w[o] = b[s0 + q]!; w[o + 1] = b[s1 + q]!; w[o + 2] = b[s2 + q]!; w[o + 3] = b[s3 + q]!;
      }
      continue;
    }
    if (nr === NR) {
      for (let q = 0, s = bOff + p0 * ldb + j0 + j; q < kc; q++, s += ldb, o += NR) {
        w[o] = b[s]!; w[o + 1] = b[s + 1]!; w[o + 2] = b[s + 2]!; w[o + 3] = b[s + 3]!;
      }
      continue;
    }
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

/** C[mc × nc] += packed A (at aBase) · packed B (at bBase), micro-tile by micro-tile. */
function tiles(mc: number, nc: number, kc: number, w: Float64Array, aBase: number, bBase: number, c: Float32Array, cOff: number, ldc: number): void {
  for (let j = 0; j < nc; j += NR) {
    const nr = Math.min(NR, nc - j);
    const bo = bBase + j * kc;
    for (let i = 0; i < mc; i += MR) {
      const mr = Math.min(MR, mc - i);
      const ao = aBase + i * kc;
      const ci = cOff + i * ldc + j;
      if (mr === MR && nr === NR) kernel4x4(kc, w, ao, bo, c, ci, ldc);
      else if (mr <= 2 && nr === NR) kernel2x4(kc, w, ao, bo, c, ci, ldc, mr);
      else kernelEdge(kc, w, ao, bo, c, ci, ldc, mr, nr);
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
 * An m-edge tile of one or two rows (the 6 output channels of a small conv leave one in every
 * two tiles this short): half the work of a zero-padded 4×4.
 */
function kernel2x4(kc: number, w: Float64Array, ao: number, bo: number, c: Float32Array, ci: number, ldc: number, mr: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  const end = (ao + kc * MR) | 0;
  while (ao < end) {
    const a0 = w[ao]!, a1 = w[(ao + 1) | 0]!;
    const b0 = w[bo]!, b1 = w[(bo + 1) | 0]!, b2 = w[(bo + 2) | 0]!, b3 = w[(bo + 3) | 0]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    ao = (ao + 4) | 0;
    bo = (bo + 4) | 0;
  }
  c[ci] = c[ci]! + c00; c[ci + 1] = c[ci + 1]! + c01; c[ci + 2] = c[ci + 2]! + c02; c[ci + 3] = c[ci + 3]! + c03;
  if (mr < 2) return;
  ci += ldc;
  c[ci] = c[ci]! + c10; c[ci + 1] = c[ci + 1]! + c11; c[ci + 2] = c[ci + 2]! + c12; c[ci + 3] = c[ci + 3]! + c13;
}

/** Any other partial tile: the 4×4 product in registers, only its mr × nr corner stored. */
function kernelEdge(kc: number, w: Float64Array, ao: number, bo: number, c: Float32Array, ci: number, ldc: number, mr: number, nr: number): void {
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
  const rows = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < mr; r++) for (let s = 0; s < nr; s++) c[ci + r * ldc + s] = c[ci + r * ldc + s]! + rows[r * NR + s]!;
}

/**
 * Plain-JS source of gemmCore and everything it calls, for worker threads created from a string
 * (a worker cannot import a .ts module under every runner). Function.prototype.toString gives the
 * transpiled JS, which is self-contained: these functions use only each other and the constants.
 */
export function gemmCoreSource(): string {
  return [
    `const MR = ${MR}, NR = ${NR}, KC = ${KC}, MC = ${MC}, NC = ${NC}, B_PANEL = ${B_PANEL}, SMALL_MACS = ${SMALL_MACS};`,
    'let work = new Float64Array(0);',
    ...[workspace, gemmCore, scaleC, gemmDirect, packA, packB, gemmPacked, gemmPackedWith, gemmPackedShortA, tiles, kernel4x4, kernel2x4, kernelEdge].map((f) => f.toString()),
  ].join('\n');
}

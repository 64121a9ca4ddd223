/**
 * The int16 GEMM of gemm-i16.wat on JavaScript arrays, for int16 and int8 operands alike (int8 is
 * widened on the way in: the kernel's dot_i16x8_s is the widest integer dot product WebAssembly's
 * 128-bit SIMD has; the relaxed-SIMD int8 dot needs a flag in Node 20). Returns the wrapped
 * (mod 2^32) int32 sums; the callers decide which sums can be trusted.
 *
 * A is copied in row-major (one typed-array `set`, which also widens int8), so only B is packed:
 * into pair-interleaved 8-column panels, which a caller with a constant B (a lowered layer's
 * weights) packs once with packI16B and hands to wasmGemmI16Packed on every call.
 */
import { i16At, i32At, scratchAlloc, scratchMark, scratchRelease, wasmExports } from './instance.ts';
import { wasmBase64 } from './gemm-i16.wasm.ts';

interface GemmI16Exports {
  gemm(mp: number, np: number, kq: number, a: number, lda: number, b: number, c: number): void;
}

const kernel = (): GemmI16Exports => wasmExports<GemmI16Exports>('gemm-i16', wasmBase64);

export type IntOperand = Int16Array | Int8Array;

/** op(B) [k × n] as the kernel reads it: per 8 columns, per k pair, 8 × (b[2q][j], b[2q+1][j]). */
export interface PackedI16B { n: number; k: number; panels: Int16Array }

/** Pack op(B): B is k×n, or n×k when transB (a dense layer's [out, in] weights). Padding is zero. */
export function packI16B(n: number, k: number, b: IntOperand, transB: boolean): PackedI16B {
  const np = (n + 7) & ~7, kq = (k + 1) >> 1;
  const panels = new Int16Array(np * kq * 2);
  if (transB && (k & 1) === 0) {
    // With k even, a row of Bᵀ in int16 is already its k pairs as int32s: move those. int8 is
    // widened first by one typed-array set, native code, cheaper than building each pair in JS.
    let w = b as Int16Array;
    if (!(b instanceof Int16Array) || b.byteOffset % 4 !== 0) (w = new Int16Array(n * k)).set(b.subarray(0, n * k));
    const b32 = new Int32Array(w.buffer, w.byteOffset, (n * k) / 2), p32 = new Int32Array(panels.buffer);
    for (let j = 0; j < n; j++) for (let q = 0, o = (j >> 3) * kq * 8 + (j & 7), src = j * kq; q < kq; q++, o += 8) p32[o] = b32[src + q]!;
    return { n, k, panels };
  }
  for (let j = 0; j < n; j++) {
    const base = (j >> 3) * kq * 16 + (j & 7) * 2;
    if (transB) for (let p = 0, src = j * k; p < k; p++) panels[base + (p >> 1) * 16 + (p & 1)] = b[src + p]!;
    else for (let p = 0; p < k; p++) panels[base + (p >> 1) * 16 + (p & 1)] = b[p * n + j]!;
  }
  return { n, k, panels };
}

/** out[i·n + j] = Σ_p a[i·k + p]·op(B)[p, j] mod 2^32 for m rows of A (row-major, k per row). */
export function wasmGemmI16Packed(m: number, a: IntOperand, b: PackedI16B, out: Int32Array): void {
  const { n, k } = b;
  const mp = (m + 3) & ~3, np = (n + 7) & ~7, kq = (k + 1) >> 1, lda = 2 * kq;
  const mark = scratchMark();
  try {
    const aAt = scratchAlloc(mp * lda * 2), bAt = scratchAlloc(b.panels.length * 2), cAt = scratchAlloc(mp * np * 4);
    const av = i16At(aAt, mp * lda);
    if (lda === k) av.set(a.subarray(0, m * k));
    else for (let i = 0; i < m; i++) { av.set(a.subarray(i * k, (i + 1) * k), i * lda); av[i * lda + k] = 0; }
    // Rows past m are multiplied in too: they must be zero.
    av.fill(0, m * lda);
    i16At(bAt, b.panels.length).set(b.panels);
    i32At(cAt, mp * np).fill(0);
    kernel().gemm(mp, np, kq, aAt, lda * 2, bAt, cAt);
    const c = i32At(cAt, mp * np);
    if (np === n) out.set(c.subarray(0, m * n));
    else for (let i = 0; i < m; i++) out.set(c.subarray(i * np, i * np + n), i * n);
  } finally {
    scratchRelease(mark);
  }
}

/** out[i·n + j] = Σ_p a[i·k + p]·op(B)[p, j] mod 2^32; B is k×n, or n×k when transB. */
export function wasmGemmI16(m: number, n: number, k: number, a: IntOperand, b: IntOperand, transB: boolean, out: Int32Array): void {
  wasmGemmI16Packed(m, a, packI16B(n, k, b, transB), out);
}

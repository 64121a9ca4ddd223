/**
 * The int16 GEMM of gemm-i16.wat on JavaScript arrays: the wrapped (mod 2^32) int32 sums of
 * A[m×k]·op(B) for every row. Packing runs here, in JS, into the kernels' memory: it is O(mk + kn)
 * element moves against the product's O(mnk), and pairing k values for i32x4.dot_i16x8_s is one
 * index formula per operand. The caller (fixed-point.ts) decides which rows' sums can be trusted.
 */
import { i16At, i32At, scratchAlloc, scratchMark, scratchRelease, wasmExports } from './instance.ts';
import { wasmBase64 } from './gemm-i16.wasm.ts';

interface GemmI16Exports {
  gemm(mp: number, np: number, kq: number, a: number, b: number, c: number): void;
}

const kernel = (): GemmI16Exports => wasmExports<GemmI16Exports>('gemm-i16', wasmBase64);

/** out[i·n + j] = Σ_p a[i·k + p]·op(B)[p, j] mod 2^32; B is k×n, or n×k when transB. */
export function wasmGemmI16(m: number, n: number, k: number, a: Int16Array, b: Int16Array, transB: boolean, out: Int32Array): void {
  const mp = (m + 3) & ~3, np = (n + 7) & ~7, kq = (k + 1) >> 1;
  const mark = scratchMark();
  try {
    const aAt = scratchAlloc(mp * kq * 8), bAt = scratchAlloc(np * kq * 8), cAt = scratchAlloc(mp * np * 4);
    const ap = i16At(aAt, mp * kq * 4), bp = i16At(bAt, np * kq * 4);
    // Padding (rows past m, columns past n, the odd k's partner) must be zero: it is multiplied in.
    ap.fill(0);
    bp.fill(0);
    const pairs = (x: Int16Array, len: number) => ((k & 1) === 0 && x.byteOffset % 4 === 0 ? new Int32Array(x.buffer, x.byteOffset, len / 2) : undefined);
    // With k even, a row-major row's k pairs are already the int32s the kernel wants: move those.
    const a32 = pairs(a, m * k), b32 = transB ? pairs(b, n * k) : undefined;
    if (a32) {
      const ap32 = i32At(aAt, mp * kq * 2);
      for (let i = 0; i < m; i++) for (let q = 0, o = (i >> 2) * kq * 4 + (i & 3), src = i * kq; q < kq; q++, o += 4) ap32[o] = a32[src + q]!;
    } else {
      for (let i = 0; i < m; i++) {
        const base = (i >> 2) * kq * 8 + (i & 3) * 2, src = i * k;
        for (let p = 0; p < k; p++) ap[base + (p >> 1) * 8 + (p & 1)] = a[src + p]!;
      }
    }
    if (b32) {
      const bp32 = i32At(bAt, np * kq * 2);
      for (let j = 0; j < n; j++) for (let q = 0, o = (j >> 3) * kq * 8 + (j & 7), src = j * kq; q < kq; q++, o += 8) bp32[o] = b32[src + q]!;
    } else {
      for (let j = 0; j < n; j++) {
        const base = (j >> 3) * kq * 16 + (j & 7) * 2;
        if (transB) for (let p = 0, src = j * k; p < k; p++) bp[base + (p >> 1) * 16 + (p & 1)] = b[src + p]!;
        else for (let p = 0; p < k; p++) bp[base + (p >> 1) * 16 + (p & 1)] = b[p * n + j]!;
      }
    }
    i32At(cAt, mp * np).fill(0);
    kernel().gemm(mp, np, kq, aAt, bAt, cAt);
    const c = i32At(cAt, mp * np);
    for (let i = 0; i < m; i++) out.set(c.subarray(i * np, i * np + n), i * n);
  } finally {
    scratchRelease(mark);
  }
}

/**
 * The fp32 GEMM of gemm-f32.wat on JavaScript arrays: C += alpha·op(A)·op(B), sizes, offsets and
 * leading dimensions already checked (gemm.ts checks them for both backends). An operand that is
 * already a view of the kernels' memory (a WasmF32 of conv2d's column matrix) is used in place;
 * any other is copied in, and C copied back out. The copies are O(mk + kn + mn) against the
 * product's O(mnk): bench/kernels.ts measures their share.
 */
import { copyIn, f32At, inWasmMemory, scratchAlloc, scratchMark, scratchRelease, wasmExports } from './instance.ts';
import { wasmBase64 } from './gemm-f32.wasm.ts';

interface GemmExports {
  gemm(m: number, n: number, k: number, alpha: number,
    a: number, lda: number, transA: number, b: number, ldb: number, transB: number,
    c: number, ldc: number, work: number): void;
  work_bytes(n: number): number;
}

const gemm = (): GemmExports => wasmExports<GemmExports>('gemm-f32', wasmBase64);

/** Floats from `off` that a rows × cols matrix with row stride `ld` spans. */
const extent = (rows: number, cols: number, ld: number): number => (rows - 1) * ld + cols;

/** Byte address of arr[off..off+len) in wasm memory, copying it in unless it is there already. */
function place(arr: Float32Array, off: number, len: number): number {
  return inWasmMemory(arr) ? arr.byteOffset + 4 * off : copyIn(arr.subarray(off, off + len));
}

/**
 * C[m×n at cOff, ldc] += alpha·op(A)·op(B). A is m×k as used (stored k×m when transA), B is k×n
 * (stored n×k when transB). All sizes positive.
 */
export function wasmGemmAccumulate(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  b: Float32Array, bOff: number, ldb: number, transB: boolean,
  c: Float32Array, cOff: number, ldc: number): void {
  const mark = scratchMark();
  try {
    const aAt = place(a, aOff, transA ? extent(k, m, lda) : extent(m, k, lda));
    const bAt = place(b, bOff, transB ? extent(n, k, ldb) : extent(k, n, ldb));
    const cLen = extent(m, n, ldc);
    const cAt = place(c, cOff, cLen);
    const ex = gemm();
    const work = scratchAlloc(ex.work_bytes(n));
    ex.gemm(m, n, k, alpha, aAt, lda, transA ? 1 : 0, bAt, ldb, transB ? 1 : 0, cAt, ldc, work);
    if (!inWasmMemory(c)) c.set(f32At(cAt, cLen), cOff);
  } finally {
    scratchRelease(mark);
  }
}

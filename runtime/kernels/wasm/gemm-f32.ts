/**
 * The fp32 GEMM of gemm-f32.wat on JavaScript arrays: C += alpha·op(A)·op(B) (or C = … with
 * `overwrite`, which spares C's zeroing and its first read), sizes, offsets and
 * leading dimensions already checked (gemm.ts checks them for both backends). An operand that is
 * already a view of the kernels' memory (a WasmF32 of conv2d's column matrix) is used in place;
 * any other is copied in, and C copied back out. The copies are O(mk + kn + mn) against the
 * product's O(mnk): bench/kernels.ts measures their share.
 */
import { copyIn, f32At, inWasmMemory, relaxedSimdAvailable, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './gemm-f32.wasm.ts';
import { wasmBase64 as tileBase64 } from './gemm-f32-tile.wasm.ts';
import { wasmBase64 as fmaTileBase64 } from './gemm-f32-tile-fma.wasm.ts';

interface GemmExports {
  gemm(m: number, n: number, k: number, alpha: number,
    a: number, lda: number, transA: number, b: number, ldb: number, transB: number,
    c: number, ldc: number, work: number, overwrite: number): void;
  work_bytes(n: number): number;
}

let fmaOverride: boolean | undefined;

/** Tests: force the plain (false) or fused (true) micro-kernel; undefined = fused wherever relaxed SIMD runs. */
export function setFmaTile(on: boolean | undefined): void {
  fmaOverride = on;
}

/** The driver, instantiated once per micro-kernel it imports. */
function gemm(): GemmExports {
  const fma = fmaOverride ?? relaxedSimdAvailable();
  const name = fma ? 'gemm-f32-tile-fma' : 'gemm-f32-tile';
  const tile = wasmExports<{ tile: unknown }>(name, fma ? fmaTileBase64 : tileBase64).tile;
  return wasmExports<GemmExports>(`gemm-f32 with ${name}`, wasmBase64, { tile: { tile } });
}

/** Floats from `off` that a rows × cols matrix with row stride `ld` spans. */
const extent = (rows: number, cols: number, ld: number): number => (rows - 1) * ld + cols;

/**
 * C[m×n at cOff, ldc] += alpha·op(A)·op(B), or = with `overwrite`. A is m×k as used (stored k×m
 * when transA), B is k×n (stored n×k when transB). All sizes positive.
 */
export function wasmGemmAccumulate(m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, transA: boolean,
  b: Float32Array, bOff: number, ldb: number, transB: boolean,
  c: Float32Array, cOff: number, ldc: number, overwrite = false): void {
  // Operands already in the kernels' memory are located before anything is allocated: growing
  // the memory detaches their views.
  const resident = [a, b, c].map((arr) => inWasmMemory(arr));
  const cLen = extent(m, n, ldc);
  const spans: [Float32Array, number, number][] = [
    [a, aOff, transA ? extent(k, m, lda) : extent(m, k, lda)],
    [b, bOff, transB ? extent(n, k, ldb) : extent(k, n, ldb)],
    [c, cOff, cLen],
  ];
  const at = spans.map(([arr, off], i) => (resident[i] ? arr.byteOffset + 4 * off : 0));
  withScratch(() => {
    // An overwritten C is copied in only when its rows have gaps, which the copy out must keep.
    spans.forEach(([arr, off, len], i) => {
      if (resident[i]) return;
      at[i] = i === 2 && overwrite && ldc === n ? scratchAlloc(4 * len) : copyIn(arr.subarray(off, off + len));
    });
    const ex = gemm();
    const work = scratchAlloc(ex.work_bytes(n));
    ex.gemm(m, n, k, alpha, at[0]!, lda, transA ? 1 : 0, at[1]!, ldb, transB ? 1 : 0, at[2]!, ldc, work, overwrite ? 1 : 0);
    if (!resident[2]) c.set(f32At(at[2]!, cLen), cOff);
  });
}

/**
 * C[m×n at c] += A[m×k at a, row stride lda]·B (= with `overwrite`), all byte addresses in the
 * kernels' memory, with B already in the GEMM's packed layout (8-column panels of all k steps, as
 * conv-gather.wat's gather_panels writes it), so the driver skips its packing pass.
 */
export function wasmGemmPackedBAt(m: number, n: number, k: number, a: number, lda: number, bPanels: number, c: number, ldc: number,
  overwrite = false): void {
  withScratch(() => {
    const ex = gemm();
    const work = scratchAlloc(ex.work_bytes(n));
    ex.gemm(m, n, k, 1, a, lda, 0, bPanels, 0, 2, c, ldc, work, overwrite ? 1 : 0);
  });
}

/**
 * The XNOR-popcount GEMM of xnor.wat on bit-packed rows (binary.ts's PackedBits): rows are copied
 * into the kernels' memory padded to whole 64-bit words and to an even row count (zero bits, which
 * never mismatch), and the kernel writes k − 2·mismatches, the ±1 dot products, or (a folded
 * batch norm → sign) their compares.
 */
import { copyIn, copyRows, i32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { compareOut, type ResidentBand } from './threshold.ts';
import { wasmBase64 } from './xnor.wasm.ts';

interface XnorExports {
  xnor(mp: number, np: number, q: number, a: number, b: number, c: number, k: number): void;
  pack_signs(rows: number, k: number, x: number, q: number, dst: number): void;
}

const kernel = (): XnorExports => wasmExports<XnorExports>('xnor', wasmBase64);

/** Copy `rows` rows of `words` 32-bit words into `rowsPadded` zeroed rows of `stride` words. */
export function place(bits: Uint32Array, rows: number, words: number, rowsPadded: number, stride: number): number {
  const at = scratchAlloc(rowsPadded * stride * 4);
  const dst = i32At(at, rowsPadded * stride);
  dst.fill(0);
  const src = new Int32Array(bits.buffer, bits.byteOffset, rows * words);
  if (words === stride) dst.set(src);
  else for (let r = 0; r < rows; r++) dst.set(src.subarray(r * words, (r + 1) * words), r * stride);
  return at;
}

/** out[i·n + j] = k − 2·popcount(A_i XOR B_j) for m rows of A and n of B, `words` words each. */
export function wasmXnorGemm(m: number, n: number, k: number, words: number, a: Uint32Array, b: Uint32Array, out: Int32Array): void {
  withScratch(() => copyRows(m, n, run(m, n, k, words, place(a, m, words, (m + 1) & ~1, (words + 1) & ~1), b), i32At, out));
}

/**
 * The same product with A given as m rows of k floats whose signs are its bits (x ≥ 0 is +1, as
 * packSignBits): the rows are packed in WebAssembly, 16 floats per step, instead of bit by bit in JS.
 */
export function wasmXnorGemmSigns(m: number, n: number, k: number, words: number, x: Float32Array, b: Uint32Array, out: Int32Array): void {
  withScratch(() => copyRows(m, n, run(m, n, k, words, packSigns(m, k, words, x), b), i32At, out));
}

/**
 * wasmXnorGemmSigns with a folded batch norm → sign (threshold.wat) compared where the kernel left
 * the sums: float32 1 or `low` per output, into a fresh array, the int32 sums never leaving the
 * kernels' memory.
 */
export function wasmXnorSignsThreshold(m: number, n: number, k: number, words: number, x: Float32Array, b: Uint32Array, band: ResidentBand, low: number): Float32Array {
  return withScratch(() => {
    return compareOut(m, n, run(m, n, k, words, packSigns(m, k, words, x), b), (n + 1) & ~1, false, band, low);
  });
}

/** x's sign bits packed into zeroed scratch rows of whole 64-bit words, an even count of them. */
function packSigns(m: number, k: number, words: number, x: Float32Array): number {
  const mp = (m + 1) & ~1, stride = (words + 1) & ~1;
  const xAt = copyIn(x.subarray(0, m * k));
  const aAt = scratchAlloc(mp * stride * 4);
  i32At(aAt, mp * stride).fill(0);
  kernel().pack_signs(m, k, xAt, stride >> 1, aAt);
  return aAt;
}

/** B placed beside an A already at aAt (padded rows) and the kernel: the dot products' address, rows of (n + 1) & ~1. */
function run(m: number, n: number, k: number, words: number, aAt: number, b: Uint32Array): number {
  const mp = (m + 1) & ~1, np = (n + 1) & ~1, stride = (words + 1) & ~1;
  const bAt = place(b, n, words, np, stride);
  const cAt = scratchAlloc(mp * np * 4);
  kernel().xnor(mp, np, stride >> 1, aAt, bAt, cAt, k);
  return cAt;
}


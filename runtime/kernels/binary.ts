/**
 * Binary (±1) GEMM by XNOR and popcount (XNOR-Net, Rastegari et al. 2016; BinaryNet, Courbariaux
 * et al. 2016). Each row of A and each row of Bᵀ is bit-packed along k into Uint32 words, bit 1 for
 * +1 (x ≥ 0) and 0 for −1, pad bits 0 in both. For ±1 vectors the dot product is
 *   a·b = matches − mismatches = k − 2·popcount(a XOR b)
 * (pad bits agree, so they never count as mismatches). popcount is the SWAR bit trick, and the
 * per-byte counts of up to 15 words are summed before the horizontal add — each byte then holds
 * at most 8·15 = 120, so the packed sum stays a small int32 — leaving a handful of logic ops per word.
 */
import { type Tensor } from '../tensor.ts';
import { expect } from './check.ts';
import { wasmXnorGemm, wasmXnorGemmSigns, wasmXnorSignsThreshold } from './wasm/xnor.ts';
import type { ResidentBand } from './wasm/threshold.ts';
import { useWasmKernels } from './wasm/instance.ts';

export interface PackedBits {
  rows: number;
  /** Logical bits per row (the k dimension). */
  cols: number;
  wordsPerRow: number;
  bits: Uint32Array;
}

/** Pack sign bits of a row-major [rows, cols] matrix (at `offset`) — bit j%32 of word j/32. */
export function packSignBits(x: ArrayLike<number>, rows: number, cols: number, offset = 0): PackedBits {
  expect('pack bits', x.length >= offset + rows * cols, `needs ${rows}×${cols} values from offset ${offset}`);
  const wordsPerRow = Math.ceil(cols / 32);
  const bits = new Uint32Array(rows * wordsPerRow);
  for (let r = 0; r < rows; r++) {
    const src = offset + r * cols;
    for (let w = 0; w < wordsPerRow; w++) {
      let word = 0;
      const end = Math.min(32, cols - w * 32);
      for (let b = 0; b < end; b++) if (x[src + w * 32 + b]! >= 0) word |= 1 << b;
      bits[r * wordsPerRow + w] = word >>> 0;
    }
  }
  return { rows, cols, wordsPerRow, bits };
}

/** Pack the sign bits of a tensor viewed as [shape[0], rest]. */
export function packTensorRows(t: Tensor): PackedBits {
  const rows = t.shape[0] ?? 1;
  return packSignBits(t.data, rows, rows === 0 ? 0 : t.data.length / rows);
}

/** Unpack to ±1 floats [rows, cols]. */
export function unpackSignBits(p: PackedBits): Float32Array {
  const out = new Float32Array(p.rows * p.cols);
  for (let r = 0; r < p.rows; r++) {
    for (let j = 0; j < p.cols; j++) out[r * p.cols + j] = (p.bits[r * p.wordsPerRow + (j >> 5)]! >>> (j & 31)) & 1 ? 1 : -1;
  }
  return out;
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Per-byte popcount (each byte 0..8), to be summed across words before the horizontal add. */
function bytePop(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (x + (x >>> 4)) & 0x0f0f0f0f;
}

/** Sum the four byte lanes (each ≤ 120, so the total can exceed one byte). */
function hsum(bytes: number): number {
  const pairs = (bytes & 0x00ff00ff) + ((bytes >>> 8) & 0x00ff00ff);
  return (pairs & 0xffff) + (pairs >>> 16);
}

/** Words per block of byte-lane accumulation: 15 · 8 = 120 per lane keeps every sum a small int32. */
const CHUNK = 15;

/** Below this many word pairs, copying into the WebAssembly kernels' memory costs more than it saves. */
const WASM_MIN_WORDS = 1024;
/** B is copied in on every call, so a few rows of A (a lowered program's row tile) would pay that copy each time. */
const WASM_MIN_ROWS = 8;

/** Is an m-row product with b large enough for the WebAssembly kernel to repay its copies? */
const wasmWorthIt = (m: number, b: PackedBits): boolean =>
  useWasmKernels() && b.wordsPerRow > 0 && m >= WASM_MIN_ROWS && m * b.rows * b.wordsPerRow >= WASM_MIN_WORDS;

/**
 * out[i·n + j] = Σ_k a_ik·b_jk for ±1 rows of A [m × k] and of Bᵀ [n × k], both packed along k.
 * Rows are blocked 2×2 so each loaded word feeds two XORs. With KILN_KERNELS=wasm (the default)
 * large products run in xnor.wat (64-bit popcnt); the counts are integers, so both paths agree exactly.
 */
export function xnorGemm(a: PackedBits, b: PackedBits, out: Int32Array = new Int32Array(a.rows * b.rows)): Int32Array {
  expect('xnor gemm', a.cols === b.cols, `inner sizes differ: ${a.cols} vs ${b.cols} bits`);
  expect('xnor gemm', out.length >= a.rows * b.rows, 'output array is too short');
  const m = a.rows, n = b.rows, wpr = a.wordsPerRow, k = a.cols;
  const A = a.bits, B = b.bits;
  if (wasmWorthIt(m, b)) {
    wasmXnorGemm(m, n, k, wpr, A, B, out);
    return out;
  }
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = i * wpr, a1 = a0 + wpr;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const b0 = j * wpr, b1 = b0 + wpr;
      let c00 = 0, c01 = 0, c10 = 0, c11 = 0;
      for (let w0 = 0; w0 < wpr; w0 += CHUNK) {
        const end = Math.min(wpr, w0 + CHUNK);
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (let w = w0; w < end; w++) {
          const x0 = A[a0 + w]!, x1 = A[a1 + w]!, y0 = B[b0 + w]!, y1 = B[b1 + w]!;
          s00 += bytePop(x0 ^ y0);
          s01 += bytePop(x0 ^ y1);
          s10 += bytePop(x1 ^ y0);
          s11 += bytePop(x1 ^ y1);
        }
        c00 += hsum(s00); c01 += hsum(s01); c10 += hsum(s10); c11 += hsum(s11);
      }
      out[i * n + j] = k - 2 * c00;
      out[i * n + j + 1] = k - 2 * c01;
      out[(i + 1) * n + j] = k - 2 * c10;
      out[(i + 1) * n + j + 1] = k - 2 * c11;
    }
    for (; j < n; j++) {
      out[i * n + j] = xnorDot(A, a0, B, j * wpr, wpr, k);
      out[(i + 1) * n + j] = xnorDot(A, a1, B, j * wpr, wpr, k);
    }
  }
  for (; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = xnorDot(A, i * wpr, B, j * wpr, wpr, k);
  return out;
}

/**
 * xnorGemm(packSignBits(x, m, k), b): the rows of A given as floats whose signs are the bits. A
 * lowered binary layer's input arrives so on every call; with KILN_KERNELS=wasm the packing runs
 * in WebAssembly too (the JS packing took a third of such a layer's time).
 */
export function xnorGemmSigns(x: Float32Array, m: number, k: number, b: PackedBits, out: Int32Array = new Int32Array(m * b.rows)): Int32Array {
  expect('xnor gemm', b.cols === k, `inner sizes differ: ${k} vs ${b.cols} bits`);
  expect('xnor gemm', x.length >= m * k && out.length >= m * b.rows, 'input or output array is too short');
  if (wasmWorthIt(m, b)) {
    wasmXnorGemmSigns(m, b.rows, k, b.wordsPerRow, x, b.bits, out);
    return out;
  }
  return xnorGemm(packSignBits(x, m, k), b, out);
}

/**
 * xnorGemmSigns's sums compared in the kernels' memory with a folded batch norm → sign, as the band
 * lo[j] ≤ sum ≤ hi[j] (threshold.wat): 1 where it holds, else `low`. Undefined where the product
 * stays in JS (KILN_KERNELS=js, or too small to pay the copies): the caller compares the sums itself.
 * The band is asked for only when the kernel runs, so a layer that never takes this path never
 * places one in the kernels' memory; it is asked before the call's scratch, so it does not sit
 * above that scratch as a gap for the layer's life.
 */
export function xnorSignsThreshold(x: Float32Array, m: number, k: number, b: PackedBits, band: () => ResidentBand, low: number): Float32Array | undefined {
  expect('xnor gemm', b.cols === k, `inner sizes differ: ${k} vs ${b.cols} bits`);
  expect('xnor gemm', x.length >= m * k, 'input array is too short');
  return wasmWorthIt(m, b) ? wasmXnorSignsThreshold(m, b.rows, k, b.wordsPerRow, x, b.bits, band(), low) : undefined;
}

function xnorDot(A: Uint32Array, ao: number, B: Uint32Array, bo: number, words: number, k: number): number {
  let mismatches = 0;
  for (let w = 0; w < words; w++) mismatches += popcount32(A[ao + w]! ^ B[bo + w]!);
  return k - 2 * mismatches;
}

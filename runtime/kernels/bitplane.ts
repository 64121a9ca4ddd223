/**
 * Binary-weight products on multi-bit unsigned inputs by bit-planes, as the BNN paper computes its
 * first layer (Courbariaux, Hubara et al. 2016, "Binarized Neural Networks", section 1.5 on the
 * first layer): with ±1 weights w and inputs q of B bits, s = Σ_t q_t·w_t = Σ_p 2^p·(x^p · w),
 * each plane's product a popcount. With b_t = 1 for w_t = +1:
 *   x^p · w = 2·popcount(x^p AND b) − popcount(x^p),   and Σ_p 2^p·popcount(x^p) = Σ_t q_t,
 * so s = 2·Σ_p 2^p·popcount(x^p AND b) − Σ_t q_t: one AND-popcount per 64 inputs, plane and output.
 *
 * Real inputs qualify when every value is exactly q/d for a whole q < 2^B and a fixed denominator d
 * (8-bit pixels over 255, or the `mnist` package's three-decimal pixels over 1000); the integer sum
 * is then exact, which the fp32 sum of the same values is not, and s/d is the real product.
 */
import type { PackedBits } from './binary.ts';
import { popcount32 } from './binary.ts';
import { expect } from './check.ts';
import { andPlanesAt, wasmAndPlanes } from './wasm/bitplane.ts';
import { compareOut, type ResidentBand } from './wasm/threshold.ts';
import { copyInInts, useWasmKernels, withScratch } from './wasm/instance.ts';

/** Inputs that are q/denominator for whole 0 ≤ q < 2^bits. */
export interface InputLevels { denominator: number; bits: number }

/**
 * Denominators tried, smallest first, so the first that fits needs the fewest bits (a multiple of
 * one that fits fits too, with more): whole numbers, decimal fixed point (data stored with a few
 * digits, as the `mnist` package stores its pixels), 8-bit pixels scaled to [0, 1].
 */
const DENOMINATORS = [1, 100, 255, 256, 1000, 10000];
/** Beyond 16 planes the bit-planes cost more than the fp32 product they replace many times over. */
const MAX_PLANES = 16;

/**
 * q = round(v·d) when v is exactly q/d with 0 ≤ q < limit, −1 otherwise: the one test of "on the
 * grid" that finding the levels, the bit-plane packing and the integer GEMM's conversion share.
 */
export function gridInteger(v: number, d: number, limit = Infinity): number {
  const q = Math.round(v * d);
  return q < 0 || q >= limit || Math.fround(q / d) !== v ? -1 : q;
}

/** The exact form q/d of every value in `x` with the smallest d that fits, or undefined when none of DENOMINATORS does. */
export function inputLevels(x: ArrayLike<number>, maxBits = MAX_PLANES): InputLevels | undefined {
  for (const d of DENOMINATORS) {
    let max = 0, ok = true;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v === 0) continue;
      const q = gridInteger(v, d);
      if (q < 0) { ok = false; break; }
      if (q > max) max = q;
    }
    if (!ok) continue;
    const bits = Math.max(1, Math.ceil(Math.log2(max + 1)));
    return bits <= maxBits ? { denominator: d, bits } : undefined;
  }
  return undefined;
}

/**
 * m rows of k inputs as bit-planes: row i holds `bits` planes of `stride` 32-bit words (stride even,
 * whole 64-bit words for the WebAssembly kernel; pad bits 0), plus each row's Σ q, an int32 as the
 * compare kernel reads it: every consumer refuses planes whose sums could pass 2^31 (checkPlanes).
 */
export interface BitPlanes { rows: number; k: number; bits: number; stride: number; planes: Uint32Array; rowSums: Int32Array }

/** Split rows into bit-planes, or undefined when a value is not q/d with q < 2^bits (then no integer form is exact). */
export function packBitPlanes(x: ArrayLike<number>, m: number, k: number, lv: InputLevels): BitPlanes | undefined {
  expect('bit-planes', x.length >= m * k, `needs ${m}×${k} values`);
  const stride = 2 * Math.ceil(k / 64), bits = lv.bits, d = lv.denominator, limit = 2 ** bits;
  const planes = new Uint32Array(m * bits * stride);
  const rowSums = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    const base = r * bits * stride;
    let sum = 0;
    for (let t = 0; t < k; t++) {
      const v = x[r * k + t]!;
      // Zeros (most of a digit's pixels) have no bits to set.
      if (v === 0) continue;
      let q = gridInteger(v, d, limit);
      if (q < 0) return undefined;
      sum += q;
      const at = base + (t >> 5), bit = 1 << (t & 31);
      for (let p = 0; q !== 0; p++, q >>>= 1) if (q & 1) planes[at + p * stride]! |= bit;
    }
    rowSums[r] = sum;
  }
  return { rows: m, k, bits, stride, planes, rowSums };
}

/** Whether every sum of k products of a `bits`-bit input level and ±1 fits the int32 the kernels count in. */
export function planeSumsFitInt32(k: number, bits: number): boolean {
  return k * (2 ** bits - 1) < 2 ** 31;
}

function checkPlanes(a: BitPlanes, w: PackedBits): void {
  expect('bit-plane gemm', w.cols === a.k, `inner sizes differ: ${a.k} inputs vs ${w.cols} weight bits`);
  expect('bit-plane gemm', planeSumsFitInt32(a.k, a.bits), `${a.k} inputs of ${a.bits} bits can overflow an int32 sum`);
}

/**
 * bitPlaneGemm's sums compared in the kernels' memory with a folded batch norm → sign
 * (threshold.wat): 1 inside `band`, else `low`. WebAssembly kernels only.
 */
export function bitPlaneThreshold(a: BitPlanes, w: PackedBits, band: ResidentBand, low: number): Float32Array {
  checkPlanes(a, w);
  expect('bit-plane gemm', useWasmKernels(), 'the compare in place needs the WebAssembly kernels', 'compare the sums with applyThresholds');
  const m = a.rows, n = w.rows, np = (n + 1) & ~1;
  return withScratch(() => {
    const cAt = andPlanesAt(m, n, a.bits, a.stride, a.planes, w.wordsPerRow, w.bits);
    // The counts become signed sums inside the compare (threshold.wat), not in a JS pass over them.
    const rsAt = copyInInts(a.rowSums);
    return compareOut(m, n, cAt, np, false, band, low, rsAt);
  });
}

/** The +1 weights' counts c to the signed sums Σ q·(±1) = 2c − Σ q, over m rows of n. */
function toSigned(out: Int32Array, m: number, n: number, rowSums: ArrayLike<number>): void {
  for (let i = 0; i < m; i++) {
    const s = rowSums[i]!;
    for (let j = i * n; j < (i + 1) * n; j++) out[j] = 2 * out[j]! - s;
  }
}

/** Below this many plane-word products the copy into WebAssembly memory costs more than it saves. */
const WASM_MIN_WORDS = 1024;

/**
 * s[i·n + j] = Σ_t q_it·w_jt exactly, for the rows of `a` and n weight rows given as packed sign
 * bits (bit 1 for +1, packSignBits). |s| ≤ k·(2^bits − 1) must fit an int32.
 */
export function bitPlaneGemm(a: BitPlanes, w: PackedBits, out: Int32Array = new Int32Array(a.rows * w.rows)): Int32Array {
  checkPlanes(a, w);
  const m = a.rows, n = w.rows, bits = a.bits, stride = a.stride, words = w.wordsPerRow;
  if (useWasmKernels() && m * n * bits * stride >= WASM_MIN_WORDS) {
    wasmAndPlanes(m, n, bits, stride, a.planes, words, w.bits, out);
  } else {
    const A = a.planes, B = w.bits;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < bits; p++) {
          const ao = (i * bits + p) * stride, bo = j * words;
          let c = 0;
          for (let t = 0; t < words; t++) c += popcount32(A[ao + t]! & B[bo + t]!);
          acc += c * 2 ** p;
        }
        out[i * n + j] = acc;
      }
    }
  }
  toSigned(out, m, n, a.rowSums);
  return out;
}

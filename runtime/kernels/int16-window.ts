/**
 * Exact int16 products whose partial sums may leave int32, from two fast inexact ones: the
 * WebAssembly int16 GEMM's wrapping int32 lanes give the exact sum S modulo 2^32, and Kiln's fp32
 * GEMM on the same integers gives an approximation x of S. When |x − S| < 2^31, S is the one value
 * congruent to the wrapped sum w within 2^31 of x: S = w + 2^32·round((x − w) / 2^32).
 *
 * The error bound (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.1): an
 * inner product of k terms evaluated in floating point with unit roundoff u, in any order, is off
 * by at most γ_k·Σ|a_p·b_p|, γ_k = k·u / (1 − k·u). Each product and each addition rounds once;
 * the fp32 GEMM adds a rounding when it stores C between k blocks (or converts its float64 sums to
 * f32, on the JS path), at most one per term more, so γ_{2k+2} with u = 2^-24 covers every path.
 * A row qualifies when γ_{2k+2}·Σ_p|a_ip|·max|B| ≤ 2^30, half the margin needed: up to k ≈ 2,900
 * every row does, even at full int16 range, which the int32 bound (Σ|a|·max|B| ≤ 2^31 − 1) never
 * lets through. This lets dfp16 training, whose operands use the whole int16 range, take the
 * WebAssembly kernels and stay bit-identical to the reference loop.
 */
import { sgemm } from './gemm.ts';
import { INT32_MAX, INT32_MIN, saturate } from './quant-int8.ts';
import { type GuardSums, maxAbsInt16, type PackedI16B, rowL1, wasmGemmI16, wasmGemmI16Packed } from './wasm/gemm-i16.ts';

const U = 2 ** -24;
const MARGIN = 2 ** 30;
const TWO32 = 2 ** 32;
const MIN_ROWS = 8;

/**
 * Higham's γ for the fp32 sums of k-term products (2k + 2 roundings), or undefined where the
 * bound no longer holds: γ = nu/(1 − nu) needs nu < 1, and past it (k ≈ 8.4 M, which a conv dW's
 * N·oh·ow can reach) it turns negative or infinite and would admit every row. Half is far beyond
 * any window MARGIN admits anyway.
 */
export function sumErrorFactor(k: number): number | undefined {
  const nu = (2 * k + 2) * U;
  return nu < 0.5 ? nu / (1 - nu) : undefined;
}

/**
 * Would recoverWideRows take some row of a depth-k product whose every row the int32 bound
 * refused, given the bound's row sums `l1` and max|B|? gemmDfp16 then has its guarded product
 * wrap every row rather than stop, so the window reads the wrapped sums of that one product.
 */
export const windowTakesSome = (k: number, l1: ArrayLike<number>, maxB: number): boolean =>
  l1.length >= MIN_ROWS && windowRows(l1.length, k, maxB, undefined, l1) !== undefined;

/**
 * Rows of A·op(B) (A m×k int16 row-major; op(B) as gemmDfp16 takes it) whose exact sums this
 * recovers, given `skip` (rows already done, or undefined): 1 where the fp32 error bound holds.
 * `l1`, the rows' Σ_p |a_ip| (the guarded product's, from WebAssembly, when it ran).
 */
function windowRows(m: number, k: number, maxB: number, skip: Uint8Array | undefined, l1: ArrayLike<number>): Uint8Array | undefined {
  const gamma = sumErrorFactor(k);
  if (gamma === undefined) return undefined;
  const rows = new Uint8Array(m);
  let any = false;
  for (let i = 0; i < m; i++) {
    if (skip?.[i]) continue;
    if (gamma * l1[i]! * maxB <= MARGIN) { rows[i] = 1; any = true; }
  }
  return any ? rows : undefined;
}

/**
 * B's values as floats; a packed B's made once and kept on it (PackedI16B.floats, dropped by its
 * free()): a packed B is constant by contract (packI16B), so the conversion need not run on every
 * product that recovers rows.
 */
function floatB(b: Int16Array, packedB: PackedI16B | undefined): Float32Array {
  if (!packedB) return new Float32Array(b);
  return (packedB.floats ??= new Float32Array(b));
}

/**
 * out[i·n + j] = the exact Σ_p a_ip·op(B)_pj saturated to int32, for the rows not in `skip` that
 * the error bound admits; returns those rows (undefined when none: nothing written). `out` holds
 * the wrapped sums already when `wrapped` is true (a guarded product ran over every row); `sums`
 * holds what that product's bound was computed from. Under 8 rows to recover it declines
 * (undefined), leaving them to the reference loop.
 */
export function recoverWideRows(m: number, n: number, k: number, a: Int16Array, b: Int16Array, transB: boolean,
  packedB: PackedI16B | undefined, out: Int32Array, skip: Uint8Array | undefined, wrapped: boolean, sums?: GuardSums): Uint8Array | undefined {
  let left = 0;
  for (let i = 0; i < m; i++) if (!skip?.[i]) left++;
  // Converting B to floats costs about what the reference loop spends on 8 of its rows (a dfp16
  // rescale re-runs one row at a time): fewer rows go to that loop.
  if (left < MIN_ROWS) return undefined;
  // The guarded product's row sums and max|B| (`sums`), when it ran, rather than JS passes over A and B.
  const rows = windowRows(m, k, sums?.maxB ?? packedB?.maxAbs ?? maxAbsInt16(b), skip, sums?.l1 ?? rowL1(m, k, a));
  if (!rows) return undefined;
  if (!wrapped) {
    if (packedB) wasmGemmI16Packed(m, a, packedB, out);
    else wasmGemmI16(m, n, k, a, b, transB, out);
  }
  // The fp32 product of only the rows recovered: in training they are all rows or a few. Typed
  // array to typed array conversions (constructor, set) run natively; Float32Array.from iterates.
  const idx: number[] = [];
  for (let i = 0; i < m; i++) if (rows[i]) idx.push(i);
  const rc = idx.length;
  let af: Float32Array;
  if (rc === m) af = new Float32Array(a);
  else {
    af = new Float32Array(rc * k);
    for (let r = 0; r < rc; r++) af.set(a.subarray(idx[r]! * k, idx[r]! * k + k), r * k);
  }
  const approx = new Float32Array(rc * n);
  sgemm({ m: rc, n, k, a: af, b: floatB(b, packedB), c: approx, transB });
  for (let r = 0; r < rc; r++) {
    const base = idx[r]! * n;
    for (let j = 0; j < n; j++) {
      const w = out[base + j]!, x = approx[r * n + j]!;
      out[base + j] = saturate(w + TWO32 * Math.round((x - w) / TWO32), INT32_MIN, INT32_MAX);
    }
  }
  return rows;
}

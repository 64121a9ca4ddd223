/**
 * int16 dynamic fixed point (Courbariaux, Bengio & David 2014; Das et al. 2018, "Mixed precision
 * training of CNNs using integer operations"): a tensor is int16 mantissas sharing one power-of-two
 * exponent, x ≈ m·2^e. The exponent is chosen per tensor from max|x| so the largest value just
 * fits; products of two such tensors accumulate exactly in int32 with exponent e_a + e_b, and are
 * shifted back to int16 with round-half-to-even and saturation.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { expect } from './check.ts';
import { INT32_MAX, INT32_MIN, roundHalfEven, saturate } from './quant-int8.ts';
import { recoverWideRows, windowTakesSome } from './int16-window.ts';
import { type GuardSums, i16WasmFor, maxAbsInt16, type PackedI16B, rowL1, rowsWithinInt32, wasmGemmI16Guarded } from './wasm/gemm-i16.ts';
import { quantizeInto } from './quantize.ts';

export const INT16_MIN = -32768;
export const INT16_MAX = 32767;

export interface Dfp16 {
  shape: number[];
  values: Int16Array;
  /** x ≈ values · 2^exponent */
  exponent: number;
}

/** The smallest exponent e with max|x| / 2^e ≤ 32767, so no finite value saturates. */
export function chooseExponent(maxAbs: number, qmax = INT16_MAX): number {
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return 0;
  let e = Math.ceil(Math.log2(maxAbs / qmax));
  // log2 is inexact near powers of two; settle on the exact smallest exponent that fits.
  while (maxAbs / 2 ** e > qmax) e++;
  while (maxAbs / 2 ** (e - 1) <= qmax) e--;
  return e;
}

export function toDfp16(x: Tensor, exponent?: number): Dfp16 {
  const d = x.data, len = d.length;
  let e = exponent;
  // Only then are 2^e and 2^-e both exact doubles, so dividing by 2^e (below) is the same as
  // multiplying by 2^-e, and ±∞ still saturates instead of becoming 0.
  if (e !== undefined && !(Number.isInteger(e) && Math.abs(e) <= 1023)) throw new Error(`internal: toDfp16's exponent ${e} is not a whole number in [-1023, 1023]`);
  if (e === undefined) {
    // Math.max's answer (a NaN makes the maximum NaN, and chooseExponent then 0), as a plain loop.
    let m = 0;
    for (let i = 0; i < len; i++) {
      const a = Math.abs(d[i]!);
      if (a > m) m = a;
      else if (a !== a) { m = NaN; break; }
    }
    e = chooseExponent(m);
  }
  const values = new Int16Array(len);
  // Dividing by 2^e gives the double multiplying by 2^-e would; quantizeInto sends large tensors to
  // WebAssembly, as dfp16 training quantizes every operand of every GEMM, which took more time
  // than the GEMMs.
  quantizeInto(d, 0, len, 2 ** e, INT16_MIN, INT16_MAX, values, 0);
  return { shape: [...x.shape], values, exponent: e };
}

export function fromDfp16(q: Dfp16): Tensor {
  const y = zeros(q.shape);
  const k = 2 ** q.exponent;
  for (let i = 0; i < y.data.length; i++) y.data[i] = q.values[i]! * k;
  return y;
}

export interface Int32Accumulator {
  values: Int32Array;
  exponent: number;
}

/**
 * C[m×n] = A[m×k]·op(B) on mantissas, exactly, saturated to int32; the result's exponent is
 * e_a + e_b. The JS path (the reference) sums in float64, exact here since a product is < 2^30.
 *
 * The WebAssembly path (gemm-i16.wat) sums in int32 lanes that wrap, which gives the exact sum
 * modulo 2^32: exact whenever the true sum lies in int32, whatever the order of additions. A row
 * is sent there only when Σ_p |a_ip| · max|B| ≤ INT32_MAX (int32SafeRows; computed in WebAssembly
 * there), a bound on every partial sum of that row, so nothing it adds can leave int32; rows that
 * could overflow (and so may need saturating) get their exact sums from the wrapped ones and an
 * fp32 product (int16-window.ts) where its error bound allows, else from the reference loop. The
 * two paths are therefore bit-identical, overflow included. `packedB`, op(B) packed once by
 * packI16B (a constant operand), spares the WebAssembly path packing it on every call. `out` (m·n
 * values, overwritten, and returned as the result's values) spares allocating the result: a fresh
 * megabyte costs its page faults, a fifth of a 512³ product's time in WebAssembly.
 */
export function gemmDfp16(m: number, n: number, k: number, a: Dfp16, b: Dfp16, transB = false, packedB?: PackedI16B,
  out = new Int32Array(m * n)): Int32Accumulator {
  expect('gemm dfp16', a.values.length === m * k && b.values.length === k * n, 'operand sizes do not match m, n, k');
  expect('gemm dfp16', !packedB || (packedB.n === n && packedB.k === k), 'packedB was packed for another shape');
  expect('gemm dfp16', out.length === m * n, 'out must hold m·n values');
  let safe: Uint8Array | undefined;
  if (i16WasmFor(m * n * k)) {
    // Where the window would take rows the bound refuses (all of them, for full-range operands),
    // the product runs over every row, so their wrapped sums come out of this one call.
    const sums: GuardSums = { wrapAll: (l1, maxB) => windowTakesSome(k, l1, maxB) };
    safe = wasmGemmI16Guarded(m, a.values, packedB ?? { n, k, values: b.values, transB }, out, 0, sums);
    if (!safe || safe.includes(0)) {
      // Rows the int32 bound refuses: exact sums from the wrapped ones and an fp32 product.
      const wide = recoverWideRows(m, n, k, a.values, b.values, transB, packedB, out, safe, sums.ran === true, sums);
      if (wide) safe = safe ? safe.map((x, i) => x | wide[i]!) : wide;
    }
  }
  const acc = new Float64Array(n);
  const av = a.values, bv = b.values;
  for (let i = 0; i < m; i++) {
    if (safe?.[i]) continue;
    acc.fill(0);
    if (transB) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += av[i * k + p]! * bv[j * k + p]!;
        acc[j] = s;
      }
    } else {
      for (let p = 0; p < k; p++) {
        const x = av[i * k + p]!;
        if (x === 0) continue;
        for (let j = 0; j < n; j++) acc[j] = acc[j]! + x * bv[p * n + j]!;
      }
    }
    for (let j = 0; j < n; j++) out[i * n + j] = saturate(acc[j]!, INT32_MIN, INT32_MAX);
  }
  return { values: out, exponent: a.exponent + b.exponent };
}

/**
 * Which rows of A·B cannot leave int32 at any partial sum (Σ|a_ip|·max|B| + start ≤ INT32_MAX,
 * `start` bounding what the sums start from, e.g. a bias), or undefined when none can be trusted
 * to wrapping int32 lanes.
 */
export function int32SafeRows(m: number, k: number, a: Int16Array, b: Int16Array, start = 0): Uint8Array | undefined {
  return rowsWithinInt32(rowL1(m, k, a), maxAbsInt16(b), start);
}

/**
 * Narrow int32 accumulators to int16 at `exponent` (by default the smallest that fits them all):
 * an arithmetic right shift by (exponent − acc.exponent) with round-half-to-even, then saturation.
 */
export function requantizeDfp16(acc: Int32Accumulator, shape: readonly number[], exponent?: number): Dfp16 {
  let e = exponent;
  if (e === undefined) {
    let m = 0;
    for (const v of acc.values) m = Math.max(m, Math.abs(v));
    e = m === 0 ? acc.exponent : Math.max(acc.exponent, acc.exponent + chooseExponent(m));
  }
  const k = 2 ** (acc.exponent - e);
  const values = new Int16Array(acc.values.length);
  for (let i = 0; i < values.length; i++) values[i] = saturate(roundHalfEven(acc.values[i]! * k), INT16_MIN, INT16_MAX);
  return { shape: [...shape], values, exponent: e };
}

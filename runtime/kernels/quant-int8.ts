/**
 * int8 numerics. QuantizeLinear / DequantizeLinear follow ONNX (opset 21): q = saturate(
 * round_half_even(x / scale) + zero_point), x' = (q − zero_point)·scale, per tensor or per channel
 * along an axis. Kiln's int8 is symmetric (zero point 0, scale = max|x| / 127), as in TFLite's
 * weight quantization and Jacob et al. 2018 for weights. The integer GEMM multiplies int8 by int8
 * with exact 32-bit-or-wider accumulation and saturates the result to int32, then `requantize`
 * brings it back to int8 with a real multiplier (round half to even, saturate).
 */
import { type Tensor, zeros } from '../tensor.ts';
import { aroundAxis, expect, normAxis } from './check.ts';
import { i16WasmFor, PackedI16B, wasmGemmI16, wasmGemmI16Packed } from './wasm/gemm-i16.ts';
import { outAddress } from './wasm/int-gemm.ts';
import { i32At } from './wasm/instance.ts';
import { Int8Weights, wasmGemmI8 } from './wasm/gemm-i8.ts';

export const INT8_MIN = -128;
export const INT8_MAX = 127;
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** Round half to even (banker's rounding), as IEEE 754 roundTiesToEven and ONNX require. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; step back when that lands on an odd number at an exact tie.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const saturate = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** Scale per tensor (one value) or per slice along `axis`. */
export interface QuantParams {
  scale: Float32Array;
  zeroPoint?: Int32Array;
  axis?: number;
}

function perChannel(kernel: string, shape: readonly number[], p: QuantParams): { outer: number; len: number; inner: number } {
  if (p.scale.length === 1 && p.axis === undefined) return { outer: 1, len: 1, inner: shape.reduce((a, b) => a * b, 1) };
  const axis = normAxis(kernel, p.axis ?? 1, shape.length);
  const d = aroundAxis(shape, axis);
  expect(kernel, p.scale.length === d.len, `per-channel scale needs ${d.len} values along axis ${axis}, got ${p.scale.length}`);
  return d;
}

/** ONNX QuantizeLinear into an integer range [qmin, qmax] (int8 by default). */
export function quantizeLinear(x: Tensor, p: QuantParams, qmin = INT8_MIN, qmax = INT8_MAX): Int32Array {
  const { outer, len, inner } = perChannel('quantize', x.shape, p);
  const q = new Int32Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < len; c++) {
      const s = p.scale[c]!;
      const zp = p.zeroPoint?.[c] ?? 0;
      const base = (o * len + c) * inner;
      for (let i = base; i < base + inner; i++) q[i] = saturate(roundHalfEven(x.data[i]! / s) + zp, qmin, qmax);
    }
  }
  return q;
}

export function dequantizeLinear(q: ArrayLike<number>, shape: readonly number[], p: QuantParams): Tensor {
  const { outer, len, inner } = perChannel('dequantize', shape, p);
  const y = zeros(shape);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < len; c++) {
      const s = p.scale[c]!;
      const zp = p.zeroPoint?.[c] ?? 0;
      const base = (o * len + c) * inner;
      for (let i = base; i < base + inner; i++) y.data[i] = (q[i]! - zp) * s;
    }
  }
  return y;
}

export interface Int8Tensor {
  shape: number[];
  values: Int8Array;
  /** One scale (per tensor) or one per slice along `axis` (per channel). */
  scale: Float32Array;
  axis?: number;
}

/** max|x| / 127, or 1 for an all-zero slice so dequantization stays finite. */
export function symmetricScale(maxAbs: number, qmax = INT8_MAX): number {
  return maxAbs > 0 ? maxAbs / qmax : 1;
}

export interface QuantizeInt8Options {
  /** Quantize per slice along this axis (0 for conv / dense weights [out, ...]); per tensor when absent. */
  axis?: number;
  /** Use these scales instead of deriving them from max|x| (calibrated activations). */
  scale?: Float32Array | number;
  /** Clamp to [−127, 127] so the range is symmetric (TFLite's narrow range for weights). */
  narrowRange?: boolean;
}

export function quantizeInt8(x: Tensor, o: QuantizeInt8Options = {}): Int8Tensor {
  let scale: Float32Array;
  if (o.scale !== undefined) {
    scale = typeof o.scale === 'number' ? Float32Array.of(o.scale) : o.scale;
  } else if (o.axis === undefined) {
    let m = 0;
    for (const v of x.data) m = Math.max(m, Math.abs(v));
    scale = Float32Array.of(symmetricScale(m));
  } else {
    const axis = normAxis('quantize int8', o.axis, x.shape.length);
    const { outer, len, inner } = aroundAxis(x.shape, axis);
    const m = new Float64Array(len);
    for (let ob = 0; ob < outer; ob++) {
      for (let c = 0; c < len; c++) {
        const base = (ob * len + c) * inner;
        for (let i = base; i < base + inner; i++) m[c] = Math.max(m[c]!, Math.abs(x.data[i]!));
      }
    }
    scale = Float32Array.from(m, (v) => symmetricScale(v));
  }
  const axis = o.axis === undefined ? undefined : normAxis('quantize int8', o.axis, x.shape.length);
  const q = quantizeLinear(x, { scale, axis }, o.narrowRange ? -INT8_MAX : INT8_MIN, INT8_MAX);
  return { shape: [...x.shape], values: Int8Array.from(q), scale, axis };
}

export function dequantizeInt8(q: Int8Tensor): Tensor {
  return dequantizeLinear(q.values, q.shape, { scale: q.scale, axis: q.axis });
}

/**
 * Quantize-dequantize for quantization-aware training, and its straight-through backward: the
 * gradient passes where x was representable and is cut where it saturated (Jacob et al. 2018).
 */
export function fakeQuantInt8(x: Tensor, o: QuantizeInt8Options = {}): { y: Tensor; q: Int8Tensor } {
  const q = quantizeInt8(x, o);
  return { y: dequantizeInt8(q), q };
}

export function fakeQuantInt8Backward(x: Tensor, dy: Tensor, q: Int8Tensor): Tensor {
  const lo = dequantizeLinear(new Int32Array(x.data.length).fill(INT8_MIN), x.shape, { scale: q.scale, axis: q.axis });
  const hi = dequantizeLinear(new Int32Array(x.data.length).fill(INT8_MAX), x.shape, { scale: q.scale, axis: q.axis });
  const dx = zeros(x.shape);
  for (let i = 0; i < dx.data.length; i++) {
    const v = x.data[i]!;
    dx.data[i] = v >= lo.data[i]! && v <= hi.data[i]! ? dy.data[i]! : 0;
  }
  return dx;
}

/** int8 products are at most 128² = 2^14, so k ≤ 2^17 − 1 keeps every partial sum inside int32. */
const INT8_WASM_MAX_K = 131071;

/** Does an m×k·k×n int8 product go to WebAssembly? One rule for gemmInt8 and the lowered layer. */
export const int8WasmFor = (m: number, n: number, k: number): boolean => k <= INT8_WASM_MAX_K && i16WasmFor(m * n * k);

/**
 * C[m×n] (+)= A[m×k]·op(B) in integers; op(B) = B [k×n] or Bᵀ with B [n×k] (`transB`, the dense
 * weight layout). Partial sums are exact in float64 (|Σ| < 2^53 for any k below 2^38), and each
 * result saturates to int32 as a saturating accumulator write-back would.
 */
export function gemmInt8(m: number, n: number, k: number, a: Int8Array, b: Int8Array, c: Int32Array,
  o: { transB?: boolean; accumulate?: boolean; packedB?: PackedI16B | Int8Weights } = {}): void {
  expect('gemm int8', a.length >= m * k && b.length >= k * n && c.length >= m * n, 'operand arrays are shorter than m, n, k require');
  expect('gemm int8', !o.packedB || (o.packedB.n === n && o.packedB.k === k), 'packedB was packed for another shape');
  // The JS loop reads b in o.transB's layout, the int8 kernel the weights in theirs: a mismatch
  // would give two different products. Lowering builds both from one layer, so it is Kiln's bug.
  if (o.packedB instanceof Int8Weights && o.packedB.transB !== (o.transB ?? false)) {
    throw new Error(`gemm int8: weights packed with transB = ${o.packedB.transB} passed to a call with transB = ${o.transB ?? false}`);
  }
  if (int8WasmFor(m, n, k)) {
    // Every partial sum is at most k·128² ≤ INT32_MAX, so the wrapping int32 lanes hold it exactly.
    // A c in the kernels' memory is detached when a call grows it: kept by its address, re-viewed.
    const cAt = outAddress(c);
    const cNow = (): Int32Array => (cAt === undefined ? c : i32At(cAt, m * n));
    const prod = o.accumulate ? new Int32Array(m * n) : c;
    const { packedB } = o, transB = o.transB ?? false;
    // A with no negative value (post-ReLU activations) takes the int8 dot product where relaxed
    // SIMD runs; otherwise, or for a B packed for the int16 kernel, the widened int16 kernel.
    if (packedB instanceof PackedI16B) wasmGemmI16Packed(m, a, packedB, prod);
    else if (!wasmGemmI8(m, a, packedB ?? { n, k, values: b, transB }, prod)) {
      // After the int8 kernel's copy of A and the weights' first packing for this kernel.
      const pairs = packedB?.pairs;
      const out = o.accumulate ? prod : cNow();
      if (pairs) wasmGemmI16Packed(m, a, pairs, out);
      else wasmGemmI16(m, n, k, a, b, transB, out);
    }
    if (!o.accumulate) return;
    const cv = cNow();
    for (let i = 0; i < m * n; i++) cv[i] = saturate(cv[i]! + prod[i]!, INT32_MIN, INT32_MAX);
    return;
  }
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    if (o.accumulate) for (let j = 0; j < n; j++) acc[j] = c[i * n + j]!;
    else acc.fill(0);
    if (o.transB) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
        acc[j] = acc[j]! + s;
      }
    } else {
      for (let p = 0; p < k; p++) {
        const av = a[i * k + p]!;
        if (av === 0) continue;
        const row = p * n;
        for (let j = 0; j < n; j++) acc[j] = acc[j]! + av * b[row + j]!;
      }
    }
    for (let j = 0; j < n; j++) c[i * n + j] = saturate(acc[j]!, INT32_MIN, INT32_MAX);
  }
}

/**
 * int32 accumulators → int8: q = saturate(round_half_even(acc·multiplier) + zeroPoint), the
 * multiplier being s_a·s_b / s_out (one value, or one per output column for per-channel weights).
 */
export function requantizeInt8(acc: Int32Array, cols: number, multiplier: number | Float32Array, zeroPoint = 0): Int8Array {
  const out = new Int8Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const mlt = typeof multiplier === 'number' ? multiplier : multiplier[i % cols]!;
    out[i] = saturate(roundHalfEven(acc[i]! * mlt) + zeroPoint, INT8_MIN, INT8_MAX);
  }
  return out;
}

/**
 * An int16 dynamic-fixed-point layer (Das et al. 2018, "Mixed Precision Training of Convolutional
 * Neural Networks using Integer Operations"; Courbariaux, Bengio & David 2014): a tensor is int16
 * mantissas sharing one power-of-two exponent (per tensor, or per output channel for weights
 * declared per_channel). int16 × int16 products are added into an int32 accumulator that
 * saturates on every addition, as a saturating MAC unit does; every saturation is counted. The
 * overflow policy says what then happens to the row:
 *   rescale   (default) the row is recomputed with its input mantissas shifted right one more bit
 *             (input exponent + 1), until no addition overflows — one row at a time, so one
 *             sample's rescale never changes another's output;
 *   saturate  the saturated sums are kept.
 * The bias enters the accumulator at the product exponent e_x + e_w; the output is handed on as
 * acc·2^(e_x + e_w), or narrowed to int16 at the output's static exponent (round half to even,
 * saturating) when the layer declares `activations = i16`.
 */
import { chooseExponent, INT16_MAX, INT16_MIN } from '../../kernels/fixed-point.ts';
import { i16WasmFor, packI16B, type PackedI16B, wasmGemmI16Guarded } from '../../kernels/wasm/gemm-i16.ts';
import { addBiasAt, type EpilogueColumns, epilogueColumns, scaleAt } from '../../kernels/wasm/int-epilogue.ts';
import { f32At, i16At, i32At, scratchAlloc, withScratch } from '../../kernels/wasm/instance.ts';
import { wasmQuantizeToScratch } from '../../kernels/wasm/quantize.ts';
import { INT32_MAX, INT32_MIN, roundHalfEven, saturate } from '../../kernels/quant-int8.ts';
import { quantizeInto } from '../../kernels/quantize.ts';
import type { IntegerLayer, LayerCounts, ScaledLayerSpec } from './types.ts';

export type OverflowPolicy = 'rescale' | 'saturate';

/** Scales are powers of two (2^e); an input scale that is not one is rounded up to one. */
export interface Dfp16LayerSpec extends ScaledLayerSpec {
  overflow?: OverflowPolicy;
}

/** The exponent e with 2^e ≥ s: a scale that is not a power of two is widened to one. */
export const exponentOf = (s: number): number => Math.ceil(Math.log2(s) - 1e-12);

function mantissas(x: ArrayLike<number>, from: number, to: number, e: number, out: Int16Array, at: number): number {
  return quantizeInto(x, from, to, 2 ** e, INT16_MIN, INT16_MAX, out, at);
}

/** One output row: acc_j = bias_j + Σ_p x_p·w_jp, saturating to int32 on every addition. */
export function dfp16Row(x: Int16Array, w: Int16Array, bias: Int32Array, n: number, k: number, acc: Int32Array, at: number): number {
  let saturations = 0;
  // Local copies: an imported binding is a getter call per use where the sources run through tsx.
  const hi = INT32_MAX, lo = INT32_MIN;
  for (let j = 0; j < n; j++) {
    let s = bias[j]!;
    const wo = j * k;
    for (let p = 0; p < k; p++) {
      s += x[p]! * w[wo + p]!;
      if (s > hi) { s = hi; saturations++; } else if (s < lo) { s = lo; saturations++; }
    }
    acc[at + j] = s;
  }
  return saturations;
}

export function lowerDfp16(s: Dfp16LayerSpec): IntegerLayer {
  const n = s.weight.shape[0]!, k = s.weight.data.length / n;
  const policy = s.overflow ?? 'rescale';
  const ew = new Int32Array(n);
  const maxAbs = (from: number, to: number): number => {
    let m = 0;
    for (let i = from; i < to; i++) m = Math.max(m, Math.abs(s.weight.data[i]!));
    return m;
  };
  // One tensor-wide maximum, not one scan of every weight per channel (n² k for a 1024² layer).
  const tensorMax = s.perChannel ? 0 : maxAbs(0, n * k);
  for (let c = 0; c < n; c++) {
    const given = s.weightScale?.[s.weightScale.length === 1 ? 0 : c];
    if (given !== undefined) { ew[c] = exponentOf(given); continue; }
    ew[c] = chooseExponent(s.perChannel ? maxAbs(c * k, (c + 1) * k) : tensorMax);
  }
  const qw = new Int16Array(n * k);
  for (let c = 0; c < n; c++) mantissas(s.weight.data, c * k, (c + 1) * k, ew[c]!, qw, c * k);
  const ex0 = exponentOf(s.actScale);
  const eOut = s.outScale === undefined ? undefined : exponentOf(s.outScale);
  const biasAt = (ex: number) => Int32Array.from({ length: n }, (_, c) => (s.bias ? saturate(roundHalfEven(s.bias.data[c]! * 2 ** -(ex + ew[c]!)), INT32_MIN, INT32_MAX) : 0));
  const bias0 = biasAt(ex0);
  const maxBias0 = bias0.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  // What an accumulator at input exponent ex is multiplied by: 2^(ex + e_w), or 2^(ex + e_w − e_out)
  // when the output is narrowed to int16 at e_out.
  const columnScales = (ex: number) => Float64Array.from(ew, (w) => 2 ** (ex + w - (eOut ?? 0)));
  const scale0 = columnScales(ex0);
  // The weights packed for the WebAssembly kernel once, on first use; dispose() gives them back.
  let packed: PackedI16B | undefined;
  // The epilogue's bias and column scales at ex0, resident likewise from the first WebAssembly batch.
  let epilogue: EpilogueColumns | undefined;

  // Kept for the layer's life rather than allocated (and zeroed) on every call: the JavaScript
  // path's input codes, grown to the largest batch seen (dispose() drops them), one row's
  // accumulators, and the codes of a row being rescaled.
  let codes = new Int16Array(0);
  const acc = new Int32Array(n), rescaled = new Int16Array(k);

  /**
   * The outputs of rows [0, m) from row i's input codes (codesOf(i)), except the rows `safe`
   * marks: WebAssembly already wrote those to y, or left their biased sums (sumsOf(i)) when they
   * are narrowed to int16 (eOut). Codes and sums are asked for row by row, not handed over as views:
   * where they lie in the kernels' memory, a rescale's quantizing (in WebAssembly from 256 inputs)
   * takes scratch, which may grow the memory and detach every view made before it. A rescaled row's
   * codes go to a JavaScript row for the same reason.
   */
  const rows = (m: number, A: Float32Array, codesOf: (i: number) => Int16Array, y: Float32Array, counts: LayerCounts, safe?: Uint8Array, sumsOf?: (i: number) => Int32Array): Float32Array => {
    // Local copies of imported bindings for the per-output loop (getters under tsx).
    const hi16 = INT16_MAX, lo16 = INT16_MIN, round = roundHalfEven, sat = saturate;
    for (let i = 0; i < m; i++) {
      let ex = ex0;
      counts.macs += n * k;
      let src: Int32Array = acc;
      if (safe?.[i]) {
        if (sumsOf === undefined) continue;
        src = sumsOf(i);
      } else {
        let saturated = dfp16Row(codesOf(i), qw, bias0, n, k, acc, 0);
        // 16 extra bits of headroom cover any int16 row; past that the sums are what they are.
        for (let tries = 0; saturated > 0 && policy === 'rescale' && tries < 16; tries++) {
          counts.rescales++;
          ex++;
          mantissas(A, i * k, (i + 1) * k, ex, rescaled, 0);
          saturated = dfp16Row(rescaled, qw, biasAt(ex), n, k, acc, 0);
          counts.macs += n * k;
        }
        counts.saturations += saturated;
      }
      // Powers of two per column, exact, computed once for the rows left at ex0 (a power per
      // output was more of the layer's time than its GEMM).
      const scale = ex === ex0 ? scale0 : columnScales(ex);
      if (eOut === undefined) {
        for (let c = 0; c < n; c++) y[i * n + c] = src[c]! * scale[c]!;
        continue;
      }
      const outStep = 2 ** eOut;
      for (let c = 0; c < n; c++) {
        const q = round(src[c]! * scale[c]!);
        if (q > hi16 || q < lo16) counts.saturations++;
        y[i * n + c] = sat(q, lo16, hi16) * outStep;
      }
    }
    return y;
  };

  /**
   * Rows whose every partial sum provably stays in int32 never saturate, so the wrapping
   * WebAssembly kernel gives exactly what the saturating loop would: the codes are quantized in
   * the kernels' memory and the kernel reads them there, the safe rows' sums biased in place, then
   * scaled there to the outputs (copied out once, as y), or narrowed from where they lie when the
   * output is int16 (eOut). The rows the bound refused take the loop on their codes where they lie.
   * The weights and the epilogue's constants are made resident before the call's scratch is taken,
   * so they sit below it instead of leaving the first batch's scratch as a gap under them for the
   * layer's life.
   */
  const wasmGemm = (m: number, A: Float32Array, counts: LayerCounts): Float32Array => {
    const w = (packed ??= packI16B(n, k, qw, true));
    const cols = (epilogue ??= epilogueColumns(bias0, scale0));
    return withScratch(() => {
      const q = wasmQuantizeToScratch(A, 0, m * k, 2 ** ex0, INT16_MIN, INT16_MAX, 2);
      counts.saturations += q.saturated;
      const cAt = scratchAlloc(4 * m * n);
      // The rows left to the loop below take their views row by row (rows): the memory may grow.
      const safe = wasmGemmI16Guarded(m, i16At(q.at, m * k), w, i32At(cAt, m * n), maxBias0);
      const codesOf = (i: number) => i16At(q.at + 2 * i * k, k);
      // No count: a safe row's sums and bias stay inside int32, so nothing saturates; refused rows
      // pass through the epilogue too, but the loop overwrites them (and counts their saturation).
      if (!safe) return rows(m, A, codesOf, new Float32Array(m * n), counts);
      if (eOut !== undefined) {
        addBiasAt(m, n, cAt, cols);
        return rows(m, A, codesOf, new Float32Array(m * n), counts, safe, (i) => i32At(cAt + 4 * i * n, n));
      }
      scaleAt(m, n, cAt, cols, 1, cAt);
      return rows(m, A, codesOf, f32At(cAt, m * n).slice(), counts, safe);
    });
  };

  return {
    precision: 'i16',
    why: `int16 dynamic fixed point ${n}×${k}, ${s.perChannel ? 'an exponent per channel' : 'one weight exponent'}, int32 accumulators (overflow: ${policy})`,
    weightBytes: 2 * n * k + 4 * n,
    gemm(m, A, counts: LayerCounts) {
      if (i16WasmFor(m * n * k)) return wasmGemm(m, A, counts);
      if (codes.length < m * k) codes = new Int16Array(m * k);
      counts.saturations += mantissas(A, 0, m * k, ex0, codes, 0);
      return rows(m, A, (i) => codes.subarray(i * k, (i + 1) * k), new Float32Array(m * n), counts);
    },
    batchBytes: () => codes.byteLength,
    dispose() {
      packed?.free();
      packed = undefined;
      epilogue?.free();
      epilogue = undefined;
      codes = new Int16Array(0);
    },
  };
}

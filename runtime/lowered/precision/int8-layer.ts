/**
 * An int8 layer (Jacob et al. 2018): symmetric weights q_w = round(w / s_w) in [−127, 127] with a
 * scale per tensor or per output channel, the input quantized with its static scale s_x into
 * [−128, 127] (round half to even), int8 × int8 products summed exactly and saturated to int32
 * (counted) with the bias pre-scaled to int32 at s_x·s_w, and the accumulator either
 *   requantized to int8 at the output's static scale s_y by the fixed-point multiplier
 *   s_x·s_w / s_y (fixed-multiplier.ts), saturating — when the layer declares `activations = i8` —
 *   or handed on as the real acc·s_x·s_w.
 */
import { gemmInt8, INT32_MAX, INT32_MIN, INT8_MAX, INT8_MIN, int8WasmFor, quantizeInt8, roundHalfEven, saturate } from '../../kernels/quant-int8.ts';
import { multiplyByFixed, quantizeMultiplier, type FixedMultiplier } from './fixed-multiplier.ts';
import { Int8Weights, wasmGemmI8At } from '../../kernels/wasm/gemm-i8.ts';
import { wasmGemmI16Packed } from '../../kernels/wasm/gemm-i16.ts';
import { epilogueColumns, scaleAt } from '../../kernels/wasm/int-epilogue.ts';
import { f32At, i32At, i8At, scratchAlloc, withScratch } from '../../kernels/wasm/instance.ts';
import { wasmQuantizeToScratch } from '../../kernels/wasm/quantize.ts';
import { quantizeInto } from '../../kernels/quantize.ts';
import { columnMultipliers, RequantColumns, wasmRequantInt8At } from '../../kernels/wasm/requant.ts';
import type { IntegerLayer, LayerCounts, ScaledLayerSpec } from './types.ts';

/** Weight scales, when not given, are max|w| / 127. */
export type Int8LayerSpec = ScaledLayerSpec;

export function lowerInt8(s: Int8LayerSpec): IntegerLayer {
  const n = s.weight.shape[0]!, k = s.weight.data.length / n;
  const qw = quantizeInt8(s.weight, { axis: s.perChannel ? 0 : undefined, scale: s.weightScale, narrowRange: true });
  const sw = (c: number) => qw.scale[qw.scale.length === 1 ? 0 : c]!;
  const sx = s.actScale;
  const bias = new Int32Array(n);
  for (let c = 0; c < n; c++) bias[c] = s.bias ? saturate(roundHalfEven(s.bias.data[c]! / (sx * sw(c))), INT32_MIN, INT32_MAX) : 0;
  // One handle for the layer's life, so each packing Int8Weights makes on first use is kept across
  // calls; dispose() gives the resident blocks back (the collector does, for a layer dropped without it).
  const packed = new Int8Weights(n, k, qw.values, true);
  const mult: FixedMultiplier[] | undefined = s.outScale === undefined ? undefined : Array.from({ length: n }, (_, c) => quantizeMultiplier((sx * sw(c)) / s.outScale!));
  const columns = mult && columnMultipliers(mult);
  const weightScales = Float64Array.from({ length: n }, (_, c) => sw(c));
  const wasmFor = (m: number) => int8WasmFor(m, n, k);

  /**
   * Bias and requantization, or bias and scaling, over the sums at cAt: the choice is the layer's,
   * so it is made once, with its per-column constants resident from the first WebAssembly batch
   * until dispose().
   */
  interface Epilogue { run(m: number, cAt: number): number; free(): void }
  let epilogue: Epilogue | undefined;
  const makeEpilogue = (): Epilogue => {
    if (columns) {
      const cols = new RequantColumns(bias, columns);
      return { run: (m, cAt) => wasmRequantInt8At(m, cAt, cols, s.outScale!, cAt), free: () => cols.free() };
    }
    const cols = epilogueColumns(bias, weightScales);
    return { run: (m, cAt) => scaleAt(m, n, cAt, cols, sx, cAt), free: () => cols.free() };
  };

  /**
   * The whole layer in the kernels' memory: codes quantized there, the GEMM reading them and
   * writing its sums in place, bias and requantization or scaling passes over those sums, and one
   * copy out of the floats.
   */
  const wasmGemm = (m: number, A: Float32Array, counts: LayerCounts): Float32Array => {
    // Made before the call's scratch, so its block does not sit above it as a gap for the layer's life.
    const ep = (epilogue ??= makeEpilogue());
    return withScratch(() => {
      const q = wasmQuantizeToScratch(A, 0, m * k, sx, INT8_MIN, INT8_MAX, 1);
      counts.saturations += q.saturated;
      const cAt = scratchAlloc(4 * m * n);
      // Signed codes (an input that is not post-ReLU) take the widened int16 kernel, which reads
      // them where they lie; `pairs` may allocate, so the views are made after it.
      if (!wasmGemmI8At(m, q.at, packed, i32At(cAt, m * n))) {
        const pairs = packed.pairs;
        wasmGemmI16Packed(m, i8At(q.at, m * k), pairs, i32At(cAt, m * n));
      }
      counts.macs += m * n * k;
      counts.saturations += ep.run(m, cAt);
      return f32At(cAt, m * n).slice();
    });
  };

  /** The JavaScript reference: the same integers, computed as the formulas read. */
  const jsGemm = (m: number, A: Float32Array, counts: LayerCounts): Float32Array => {
    const qx = new Int8Array(m * k);
    counts.saturations += quantizeInto(A, 0, m * k, sx, INT8_MIN, INT8_MAX, qx, 0);
    const acc = new Int32Array(m * n);
    for (let i = 0; i < m; i++) acc.set(bias, i * n);
    gemmInt8(m, n, k, qx, qw.values, acc, { transB: true, accumulate: true });
    counts.macs += m * n * k;
    // Local copies of the bounds: the loops below run over every output, and a module's imported
    // binding is a getter call per use where the sources run through tsx (tests, benchmarks).
    const lo8 = INT8_MIN, hi8 = INT8_MAX, lo32 = INT32_MIN, hi32 = INT32_MAX, outScale = s.outScale!, fixed = multiplyByFixed;
    // gemmInt8 sums exactly and saturates once at the end: a sum at int32's bound is one that saturated.
    for (let i = 0; i < m * n; i++) if (acc[i] === hi32 || acc[i] === lo32) counts.saturations++;
    const y = new Float32Array(m * n);
    for (let i = 0; i < m * n; i++) {
      const c = i % n;
      if (mult) {
        let q = fixed(acc[i]!, mult[c]!);
        if (q > hi8) { q = hi8; counts.saturations++; } else if (q < lo8) { q = lo8; counts.saturations++; }
        y[i] = q * outScale;
      } else {
        y[i] = acc[i]! * sx * sw(c);
      }
    }
    return y;
  };

  return {
    precision: 'i8',
    why: `int8 ${n}×${k}, ${s.perChannel ? 'per-channel' : 'per-tensor'} weight scales, int32 accumulation${mult ? ', fixed-point requantization to int8' : ''}`,
    weightBytes: n * k + 4 * n + 4 * qw.scale.length,
    gemm: (m, A, counts) => (wasmFor(m) ? wasmGemm(m, A, counts) : jsGemm(m, A, counts)),
    dispose() {
      packed.free();
      epilogue?.free();
      epilogue = undefined;
    },
  };
}

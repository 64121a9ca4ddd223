/**
 * Static activation ranges from calibration samples (post-training quantization): run the network
 * on a few hundred samples, collect every quantized layer's outputs, and choose a clip value per
 * layer (Krishnamoorthi 2018, "Quantizing deep convolutional networks for efficient inference",
 * §3; Wu et al. 2020, "Integer quantization for deep learning inference", §4.2):
 *   max            the largest |x| seen: nothing saturates, outliers widen the step;
 *   percentile:P   the P-th percentile of |x|: the top (100 − P)% saturate, the rest get finer steps;
 *   mse            the clip that minimises the mean squared quantization error (rounding plus
 *                  saturation) over the samples, searched over candidates below max|x|.
 * Activations are symmetric, like Kiln's int8 weights: scale = clip / 127 for i8; for i16 the step
 * is the power of two 2^e that fits the clip in 32767 (one exponent per tensor).
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { effectiveWeights } from '../autodiff/forward.ts';
import type { Dataset } from '../data/dataset.ts';
import { run } from '../interpreter.ts';
import type { Weights } from '../interpreter/types.ts';
import { chooseExponent, INT16_MAX } from '../kernels/fixed-point.ts';
import { INT8_MAX, roundHalfEven, symmetricScale } from '../kernels/quant-int8.ts';
import { inOrderBatches, inputPlan } from '../train/batches.ts';

export type CalibrationMethod = { kind: 'max' } | { kind: 'percentile'; p: number } | { kind: 'mse' };

/** `max`, `mse` or `percentile:P` with 0 < P ≤ 100; undefined when the text is none of them. */
export function parseMethod(text: string): CalibrationMethod | undefined {
  if (text === 'max' || text === 'mse') return { kind: text };
  const m = /^percentile:(\d+(?:\.\d+)?)$/.exec(text);
  const p = m ? Number(m[1]) : NaN;
  return p > 0 && p <= 100 ? { kind: 'percentile', p } : undefined;
}

export const formatMethod = (m: CalibrationMethod): string => (m.kind === 'percentile' ? `percentile:${m.p}` : m.kind);

/** The step one quantum stands for when |x| is clipped at `clip`. */
export function activationScale(dtype: 'i8' | 'i16', clip: number): number {
  return dtype === 'i8' ? symmetricScale(clip, INT8_MAX) : 2 ** chooseExponent(clip, INT16_MAX);
}

/** Mean squared error of symmetric quantization of `v` (absolute values) with step `s`. */
function quantError(v: Float32Array, s: number, qmax: number): number {
  let e = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    const d = x - Math.min(qmax, roundHalfEven(x / s)) * s;
    e += d * d;
  }
  return e / v.length;
}

/** Candidate clips for the MSE search: 100 fractions of max (i8), or the powers of two below it (i16). */
function mseClip(v: Float32Array, max: number, dtype: 'i8' | 'i16'): number {
  // An even subsample keeps the search at ~100k values whatever the layer's size.
  const stride = Math.max(1, Math.floor(v.length / 100_000));
  const sub = stride === 1 ? v : Float32Array.from({ length: Math.floor(v.length / stride) }, (_, i) => v[i * stride]!);
  const qmax = dtype === 'i8' ? INT8_MAX : INT16_MAX;
  const candidates = dtype === 'i8'
    ? Array.from({ length: 100 }, (_, k) => (max * (k + 1)) / 100)
    : Array.from({ length: 12 }, (_, k) => max / 2 ** k);
  let best = max, bestErr = Infinity;
  for (const c of candidates) {
    const err = quantError(sub, activationScale(dtype, c), qmax);
    if (err < bestErr) { bestErr = err; best = c; }
  }
  return best;
}

/** The clip value `method` chooses for the absolute values `v` of one layer's outputs. */
export function chooseClip(v: Float32Array, method: CalibrationMethod, dtype: 'i8' | 'i16'): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) if (v[i]! > max) max = v[i]!;
  if (method.kind === 'max' || max === 0) return max;
  if (method.kind === 'mse') return mseClip(v, max, dtype);
  const sorted = Float32Array.from(v).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((method.p / 100) * sorted.length) - 1)]!;
}

export interface CalibrationOptions {
  samples: number;
  /** Keep the values' signs instead of |x| (ANN→SNN conversion measures only the positive part). */
  signed?: boolean;
  /** Called after every batch with the samples done so far. */
  onProgress?(done: number, total: number): void;
}

/**
 * |output| of each layer in `layers` over the first `samples` samples of `data`, the network
 * running on its quantized weights (so the ranges are those the quantized layers will produce)
 * with f32 activations, in inference mode.
 */
export function collectActivations(m: Module, weights: Weights, data: Dataset, layers: ReadonlySet<string>, o: CalibrationOptions): Map<string, Float32Array> {
  const plan = inputPlan(m, data);
  const count = Math.min(o.samples, data.count);
  const parts = new Map<string, Float32Array[]>([...layers].map((id) => [id, []]));
  const { weights: eff } = effectiveWeights(m, weights);
  for (const { x, start, n } of inOrderBatches(data, plan, count, false)) {
    run(m, eff, { [plan.id]: x }, {
      training: false, record: false, checkShapes: false,
      onNode: (e) => {
        // A padded last batch: only its real samples' rows count.
        if (layers.has(e.node.id)) {
          const rows = e.output.data.subarray(0, (e.output.data.length / plan.batch) * n);
          parts.get(e.node.id)!.push(o.signed ? Float32Array.from(rows) : Float32Array.from(rows, Math.abs));
        }
        return e.output;
      },
    });
    o.onProgress?.(start + n, count);
  }
  const out = new Map<string, Float32Array>();
  for (const [id, ps] of parts) {
    const all = new Float32Array(ps.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of ps) { all.set(p, at); at += p.length; }
    out.set(id, all);
  }
  return out;
}

export const isCalibrated = (p: Precision | undefined): p is Precision & { dtype: 'i8' | 'i16' } => p?.dtype === 'i8' || p?.dtype === 'i16';

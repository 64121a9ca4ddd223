/**
 * Data-based normalization (Diehl et al. 2015; Rueckauer et al. 2017, §2.3): a layer's scale λ is
 * the largest activation it produces on calibration data, or, more robustly, the p-th percentile
 * of its non-zero activations (Rueckauer et al. use p = 99.9: a few outliers then saturate at the
 * maximal firing rate instead of slowing every other neuron of the layer down). Zeros are left out
 * as in their SNN toolbox: a ReLU layer is mostly zeros, and counting them would pull the
 * percentile towards 0.
 */
import type { Module, NodeId } from '../../compiler/ir/module.ts';
import type { Dataset } from '../data/dataset.ts';
import { type CalibrationMethod, chooseClip, collectActivations, formatMethod, parseMethod } from '../quantize/calibrate.ts';
import type { Weights } from '../interpreter/types.ts';
export { percentileIndex } from '../autodiff/rate-band.ts';

export type Normalization = Exclude<CalibrationMethod, { kind: 'mse' }>;

/** `max` or `percentile:P` with 0 < P ≤ 100 (quantization's calibration methods less mse); undefined otherwise. */
export function parseNormalization(text: string): Normalization | undefined {
  const m = parseMethod(text);
  return m?.kind === 'mse' ? undefined : m;
}

export const formatNormalization: (n: Normalization) => string = formatMethod;

/** λ of one layer's activations: their max, or the p-th percentile of the positive ones; 0 when none is positive. */
export function layerScale(v: Float32Array, n: Normalization): number {
  const pos = v.filter((x) => x > 0);
  return pos.length === 0 ? 0 : chooseClip(pos, n, 'i8');
}

export interface LayerScale {
  /** The ANN node whose activations were measured (a relu, or the output layer's logits). */
  node: NodeId;
  lambda: number;
  /** Positive activations it was computed from. */
  positives: number;
}

/** λ for each of `layers`, measured on the first `samples` samples of `data` running the ANN in inference. */
export function calibrateScales(m: Module, weights: Weights, data: Dataset, layers: readonly NodeId[], n: Normalization,
  o: { samples: number; onProgress?(done: number, total: number): void }): LayerScale[] {
  // Signed: the output logits' negative values must not count (an IF neuron never fires on them).
  const acts = collectActivations(m, weights, data, new Set(layers), { ...o, signed: true });
  return layers.map((id) => {
    const v = acts.get(id)!;
    let positives = 0;
    for (const x of v) if (x > 0) positives++;
    return { node: id, lambda: layerScale(v, n), positives };
  });
}

/**
 * Post-training quantization without fine-tuning (Krishnamoorthi 2018; Jacob et al. 2018): every
 * layer the source leaves at f32 weights gets symmetric weight scales (per output channel or per
 * tensor, max|w| / 127 for i8; one power-of-two exponent for i16) and static activation scales
 * calibrated on a few hundred samples (calibrate.ts). The result is a network at the new
 * precisions and its weights: the quantized values themselves (q·s, so re-quantizing them at the
 * stored scales is exact) with the scales beside them as `<layer>/weight_scale`,
 * `<layer>/out_scale` and `<layer>/act_scale` (layer-precision.ts).
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { declaredPrecision } from '../../compiler/ir/node-precision.ts';
import { fakeQuantize, isQuantizedParam } from '../autodiff/precision.ts';
import type { Dataset } from '../data/dataset.ts';
import { packWeight } from '../export/pack.ts';
import type { Weights } from '../interpreter/types.ts';
import { activationScale, type CalibrationMethod, chooseClip, collectActivations, isCalibrated } from './calibrate.ts';
import { INPUT_SCALE, OUT_SCALE, type PrecisionMap, scaleParamFor, withPrecisions } from './layer-precision.ts';
import { calibrationInputs } from '../lowered/precision/execute.ts';
import { calibrateScales, scalesFromParams } from '../lowered/precision/scales.ts';

export interface PtqOptions {
  weights: Precision;
  /** Activation precision (i8 or i16, one scale per tensor); absent keeps activations f32. */
  activations?: Precision;
  method: CalibrationMethod;
  calibration: Dataset;
  samples: number;
  onProgress?(done: number, total: number): void;
}

export interface Quantized {
  module: Module;
  weights: Weights;
  precision: PrecisionMap;
  /** The clip each layer's activations were calibrated to (before conversion to a scale). */
  clips: Map<string, number>;
}

/** Layers with a quantizable weight whose source precision is f32: what PTQ converts. */
function ptqLayers(m: Module, weights: Weights): string[] {
  return Object.values(m.nodes).filter((n) => {
    const w = declaredPrecision(n, 'weights');
    return w?.dtype === 'f32' && Object.keys(weights[n.id] ?? {}).some((k) => isQuantizedParam(n.op, k));
  }).map((n) => n.id);
}

export function quantizeNetwork(m: Module, weights: Weights, o: PtqOptions): Quantized {
  const layers = ptqLayers(m, weights);
  const precision: PrecisionMap = Object.fromEntries(layers.map((id) => [id, { weights: o.weights }]));
  const out: Weights = {};
  for (const [id, ps] of Object.entries(weights)) out[id] = { ...ps };
  for (const id of layers) {
    const node = m.nodes[id]!;
    for (const [name, t] of Object.entries(weights[id]!)) {
      if (!isQuantizedParam(node.op, name)) continue;
      const scale = packWeight(t, o.weights).scale!;
      out[id]![name] = fakeQuantize(t, o.weights, 'weight', scale)!.y;
      out[id]![scaleParamFor(name)] = { shape: [scale.length], data: scale };
    }
  }
  const clips = new Map<string, number>();
  const act = o.activations;
  if (isCalibrated(act)) {
    const weightsOnly = withPrecisions(m, precision);
    const seen = collectActivations(weightsOnly, out, o.calibration, new Set(layers), { samples: o.samples, onProgress: o.onProgress });
    for (const id of layers) {
      const clip = chooseClip(seen.get(id)!, o.method, act.dtype);
      clips.set(id, clip);
      out[id]![OUT_SCALE] = { shape: [1], data: Float32Array.of(activationScale(act.dtype, clip)) };
      precision[id] = { weights: o.weights, activations: act };
    }
  }
  const module = withPrecisions(m, precision);
  storeInputScales(module, out, o.calibration, o.samples);
  return { module, weights: out, precision, clips };
}

/**
 * The integer executor also needs the scale of what each quantized layer reads (`<layer>/act_scale`).
 * It is taken the way `kiln run` would take a missing one (max |x|, runtime/lowered/precision/scales.ts),
 * on the same calibration samples as the output scales, so a quantized checkpoint runs through the integer kernels as it is.
 */
function storeInputScales(m: Module, weights: Weights, calibration: Dataset, samples: number): void {
  const stored = new Map<string, Float32Array>();
  for (const [id, ps] of Object.entries(weights)) for (const [name, t] of Object.entries(ps)) if (name.endsWith('_scale')) stored.set(`${id}/${name}`, t.data);
  const { scales } = calibrateScales(m, weights, calibrationInputs(m, calibration, samples), scalesFromParams(stored));
  for (const [id, s] of scales) if (s.act !== undefined && weights[id]) weights[id]![INPUT_SCALE] = { shape: [1], data: Float32Array.of(s.act) };
}

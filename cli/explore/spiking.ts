/**
 * A variant on a neuromorphic target: chips run spiking networks, so a rate-coded variant is
 * converted as `kiln convert` converts it (runtime/convert: relu → integrate-and-fire, thresholds at
 * the 99.9th percentile of each layer's activations on 256 training samples, max pooling over
 * spikes, sign → a threshold-0 step) and its accuracy there is the converted network's after T
 * steps. A variant whose relus all read binary activations is steps throughout and converts
 * exactly in one step (step-activations.ts); one mixing them with rate-coded relus is labelled. The variant's weight precisions carry over to the synapses, so `i8 → SNN` is priced with
 * 8-bit synapses, and the network holds the quantized values themselves: the interpreter does not
 * emulate `weights =` precisions, and thresholds calibrated on one set of weights are wrong for
 * another. Its activations are spikes, whatever the variant's activation precision was. Firing rates for pricing are measured on the test
 * samples, as `kiln estimate --measure` measures them. Results are cached like the ANN's.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { KilnError } from '../../compiler/lang/diagnostics.ts';
import { fakeQuantize } from '../../runtime/autodiff/precision.ts';
import type { PrecisionMap } from '../../runtime/quantize/layer-precision.ts';
import { measureActivity } from '../../runtime/activity/measure.ts';
import { accuracyOverTime } from '../../runtime/convert/accuracy-over-time.ts';
import { compileConverted } from '../../runtime/convert/compile-snn.ts';
import { emitKiln } from '../../runtime/convert/emit-kiln.ts';
import { prepareAnn } from '../../runtime/convert/prepare-ann.ts';
import { buildSnn, thresholdLayers } from '../../runtime/convert/snn.ts';
import { calibrateScales } from '../../runtime/convert/thresholds.ts';
import type { Weights } from '../../runtime/interpreter/types.ts';
import type { Tensor } from '../../runtime/tensor.ts';
import type { RateOptions } from '../../targets/neuromorphic/rates.ts';
import { scaleBinaryIntoBatchnorm, scaledBnKey } from './binary-bn.ts';
import { keyOf } from './cache.ts';
import type { Split } from '../../runtime/data/index.ts';
import { stepActivations } from './step-activations.ts';
import { f32Variant, precisionMap, type Variant, variantModule } from './variants.ts';

/** Time steps of a converted inference unless --timesteps says otherwise: lenet5's SNN is within 0.4 points of its ANN from T = 10 on (docs/conversion.md). */
export const DEFAULT_TIMESTEPS = 25;
const CALIBRATION_SAMPLES = 256;
/** Enough samples for a population's mean rate; per-neuron rates from fewer samples are noisier but only steer placement. */
const RATE_SAMPLES = 64;
const NORMALIZATION = { kind: 'percentile', p: 99.9 } as const;

/** What a conversion depends on of the explore run (ExploreSetup has it all). */
export interface ConvertSetup {
  module: Module;
  identity: unknown;
  ptq: boolean;
  data: Split;
}

export type SpikingOutcome =
  | { accuracy: number; timesteps: number; text: string; rates: Record<string, number>; neuronRates: Record<string, number[]>; reluRates?: boolean }
  | { error: string };

export const isSpiking = (m: Module): boolean => Object.values(m.nodes).some((n) => n.op === 'lif');

/** `reluRates`: the variant's binary or ternary activations ran as rate-coded relus (step-activations.ts), and the label says so. */
export const convertedLabel = (label: string, timesteps: number, reluRates = false): string => `${label} → SNN T=${timesteps}${reluRates ? ' (relu rates)' : ''}`;

export const spikingKey = (s: ConvertSetup, v: Variant, timesteps: number): string =>
  keyOf({ ...(s.identity as object), variant: precisionMap(s.module, v), dropout: v.dropout, ptq: s.ptq, snn: { method: 4, timesteps, normalization: NORMALIZATION, calibration: CALIBRATION_SAMPLES, rates: RATE_SAMPLES }, ...scaledBnKey(s, v) });

/** The file name the generated text compiles as (diagnostics would name it; it never reaches the disk). */
export const snnFile = (m: Module): string => `${m.name}_snn.kiln`;

/** A variant's converted network as it runs (its layers' weights are the values the chip holds), and its text. */
export interface SpikingNetwork {
  module: Module;
  weights: Weights;
  text: string;
  /** Binary or ternary activations converted as rate-coded relus: not the network the CPU runs. */
  reluRates: boolean;
}

/**
 * The spiking network of the variant whose f32 (or trained, latent f32) weights are `weights`; a
 * network the converter refuses (tanh activations, a softmax inside …) gives the reason instead.
 */
export function spikingNetwork(s: ConvertSetup, v: Variant, weights: Weights, timesteps: number): SpikingNetwork | { error: string } {
  const f32 = variantModule(s.module, f32Variant(v));
  const precisions = precisionMap(s.module, v);
  const steps = stepActivations(f32, precisions);
  // What the converter refuses (a padded pool reading a sign's ±1 spikes, mixed thresholds) is
  // this variant's row, not the end of the whole explore run.
  try {
    // The chip holds the variant's weights: quantize them first, so batch norm folds into, and the
    // thresholds are calibrated on, the values the variant computes with.
    const ann = prepareAnn(steps.module, heldWeights(f32, s.ptq ? scaleBinaryIntoBatchnorm(f32, weights, precisions) : weights, precisions, steps.exact), 'spike');
    const scales = calibrateScales(ann.module, ann.weights, s.data.train, thresholdLayers(ann.module), NORMALIZATION, { samples: CALIBRATION_SAMPLES });
    // The generated network declares each layer's precision (its synapses are priced at that width)
    // and runs the values it holds as they are (asRealWeights).
    for (const [id, p] of Object.entries(precisions)) {
      const n = ann.module.nodes[id];
      if (n) n.attrs = { ...n.attrs, weights: p.weights! };
    }
    const snn = buildSnn(ann, scales, timesteps);
    const text = emitKiln(snn.module, snn.layers, {
      source: `kiln explore variant ${v.label}`, checkpoint: 'its training run', calibration: `${CALIBRATION_SAMPLES} samples of the training data`,
      thresholds: 'the 99.9th percentile of the positive activations', changes: ann.changes,
      weights: `the variant's (${v.label}) as it computes with them${steps.exact ? '' : ', binary layers without batch norm as ±α per layer'}`,
    });
    const compiled = compileConverted(snnFile(s.module), text, snn.weights);
    return { module: asRealWeights(compiled.module), weights: compiled.weights, text, reluRates: steps.reluRates };
  } catch (e) {
    if (e instanceof KilnError) return { error: `cannot convert to spiking: ${e.diagnostics[0]!.message}` };
    throw e;
  }
}

/** Convert a variant (spikingNetwork) and measure its accuracy and firing rates on the test samples. */
export function convertVariant(s: ConvertSetup, v: Variant, weights: Weights, timesteps: number): SpikingOutcome {
  const snn = spikingNetwork(s, v, weights, timesteps);
  if ('error' in snn) return snn;
  const steps = snn.module.timesteps;
  const accuracy = accuracyOverTime(snn.module, snn.weights, s.data.test, [steps])[0]!;
  const measured = measureActivity(snn.module, snn.weights, s.data.test, RATE_SAMPLES).activity;
  const rates: Record<string, number> = {};
  const neuronRates: Record<string, number[]> = {};
  for (const [id, l] of Object.entries(measured.layers)) {
    if (l.firing_rate !== undefined) rates[id] = l.firing_rate;
    if (l.neuron_rates) neuronRates[id] = [...l.neuron_rates];
  }
  return { accuracy, timesteps: steps, text: snn.text, rates, neuronRates, ...(snn.reluRates ? { reluRates: true } : {}) };
}

/**
 * The weights as the variant computes with them. A binary layer followed by batch norm is sign(w)
 * as Kiln binarizes it: the batch norm carries its scale, so this is exactly the binarized network.
 * Without one, Kiln's unscaled sign(w) would erase the threshold each weight is multiplied by; a
 * chip scales a core's synaptic weights by a shared exponent (Loihi, Davies et al. 2018), so the
 * layer holds ±α, binary-weight networks' α = mean|w| (Rastegari et al. 2016). A network converted
 * step by step (`exact`) needs no threshold scaling, and there ±1 is what the CPU computes with.
 */
function heldWeights(m: Module, weights: Weights, precisions: PrecisionMap, exact: boolean): Weights {
  const out: Weights = { ...weights };
  for (const [id, p] of Object.entries(precisions)) {
    const w = weights[id]?.weight;
    if (!w || !p.weights || p.weights.dtype === 'f32') continue;
    const normalized = Object.values(m.nodes).some((n) => n.op === 'batchnorm' && n.inputs[0] === id);
    const held = p.weights.dtype === 'binary' && !normalized && !exact ? signTimesMean(w) : fakeQuantize(w, p.weights, 'weight')!.y;
    out[id] = { ...weights[id], weight: held };
  }
  return out;
}

/** α·sign(w), α = mean|w|: the binary-weight network's weights as two real values. */
function signTimesMean(w: Tensor): Tensor {
  let sum = 0;
  for (const x of w.data) sum += Math.abs(x);
  const alpha = sum / w.data.length;
  return { shape: [...w.shape], data: w.data.map((x) => (x >= 0 ? alpha : -alpha)) };
}

/** The network with its layers run at f32: their weights already are the values the chip holds. */
function asRealWeights(m: Module): Module {
  const f32 = { dtype: 'f32', granularity: 'per_tensor' } as const;
  return { ...m, nodes: Object.fromEntries(Object.entries(m.nodes).map(([id, n]) => [id, n.attrs.weights ? { ...n, attrs: { ...n.attrs, weights: f32 } } : n])) };
}

/** The rates a converted variant is priced with, as `kiln estimate --measure` would give them. */
export function rateOptions(o: Extract<SpikingOutcome, { text: string }>): RateOptions {
  return { rates: o.rates, neuronRates: Object.fromEntries(Object.entries(o.neuronRates).map(([k, v]) => [k, Float64Array.from(v)])) };
}

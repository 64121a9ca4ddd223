/**
 * A variant on a neuromorphic target: chips run spiking networks, so a rate-coded variant is
 * converted as `kiln convert` converts it (runtime/convert: relu → integrate-and-fire, thresholds at
 * the 99.9th percentile of each layer's activations on 256 training samples, max pooling over
 * spikes) and its accuracy there is the converted network's after T steps. The variant's weight
 * precisions carry over to the synapses (each layer's weights are scaled by one threshold, which
 * ternary and integer weights follow exactly: their scales are computed from the weights), so
 * `i8 → SNN` is priced with 8-bit synapses; its activations are spikes, whatever the variant's
 * activation precision was. Firing rates for pricing are measured on the test
 * samples, as `kiln estimate --measure` measures them. Results are cached like the ANN's.
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { KilnError } from '../../compiler/lang/diagnostics.ts';
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
import { keyOf } from './cache.ts';
import type { Split } from '../../runtime/data/index.ts';
import { precisionMap, type Variant, variantModule } from './variants.ts';

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
  | { accuracy: number; timesteps: number; text: string; rates: Record<string, number>; neuronRates: Record<string, number[]> }
  | { error: string };

export const isSpiking = (m: Module): boolean => Object.values(m.nodes).some((n) => n.op === 'lif');

export const convertedLabel = (label: string, timesteps: number): string => `${label} → SNN T=${timesteps}`;

export const spikingKey = (s: ConvertSetup, v: Variant, timesteps: number): string =>
  keyOf({ ...(s.identity as object), variant: precisionMap(s.module, v), dropout: v.dropout, ptq: s.ptq, snn: { timesteps, normalization: NORMALIZATION, calibration: CALIBRATION_SAMPLES, rates: RATE_SAMPLES } });

/** The file name the generated text compiles as (diagnostics would name it; it never reaches the disk). */
export const snnFile = (m: Module): string => `${m.name}_snn.kiln`;

/**
 * Convert the variant whose f32 (or trained, latent f32) weights are `weights`. A network the
 * converter refuses (sign or tanh activations …) is a row with the reason, not a failed run.
 */
export function convertVariant(s: ConvertSetup, v: Variant, weights: Weights, timesteps: number): SpikingOutcome {
  const f32 = variantModule(s.module, { ...v, layers: v.layers.map(() => 'f32') });
  let ann;
  try {
    ann = prepareAnn(f32, weights, 'spike');
  } catch (e) {
    if (e instanceof KilnError) return { error: `cannot convert to spiking: ${e.diagnostics[0]!.message}` };
    throw e;
  }
  const precisions = precisionMap(s.module, v);
  const binary = Object.keys(precisions).filter((id) => precisions[id]!.weights?.dtype === 'binary' && ann.module.nodes[id]);
  // Kiln's binary weights are sign(w) with no scale, which would erase the threshold each weight is
  // multiplied by; a chip scales a core's synaptic weights by a shared exponent (Loihi, Davies et al.
  // 2018), so a binary layer holds ±α·λ: binary-weight networks' α = mean|w| (Rastegari et al. 2016).
  for (const id of binary) ann.weights[id]!.weight = signTimesMean(ann.weights[id]!.weight!);
  // Calibrate with the weights the chip will hold: thresholds of an i8 or ternary layer differ from its f32 twin's.
  const setPrecisions = (m: Module, ids: readonly string[]) => {
    for (const id of ids) m.nodes[id]!.attrs = { ...m.nodes[id]!.attrs, weights: precisions[id]!.weights! };
  };
  setPrecisions(ann.module, Object.keys(precisions).filter((id) => ann.module.nodes[id] && !binary.includes(id)));
  const scales = calibrateScales(ann.module, ann.weights, s.data.train, thresholdLayers(ann.module), NORMALIZATION, { samples: CALIBRATION_SAMPLES });
  // The generated network says `weights = binary` (it is priced with 1-bit synapses) and runs with its two values per layer as they are.
  setPrecisions(ann.module, binary);
  const snn = buildSnn(ann, scales, timesteps);
  const text = emitKiln(snn.module, snn.layers, {
    source: `kiln explore variant ${v.label}`, checkpoint: 'its training run', calibration: `${CALIBRATION_SAMPLES} samples of the training data`,
    thresholds: 'the 99.9th percentile of the positive activations', changes: ann.changes,
    weights: `the variant's (${v.label}), binary layers as ±α per layer`,
  });
  const compiled = compileConverted(snnFile(s.module), text, snn.weights);
  const runs = asRealWeights(compiled.module);
  const accuracy = accuracyOverTime(runs, compiled.weights, s.data.test, [timesteps])[0]!;
  const measured = measureActivity(runs, compiled.weights, s.data.test, RATE_SAMPLES).activity;
  const rates: Record<string, number> = {};
  const neuronRates: Record<string, number[]> = {};
  for (const [id, l] of Object.entries(measured.layers)) {
    if (l.firing_rate !== undefined) rates[id] = l.firing_rate;
    if (l.neuron_rates) neuronRates[id] = [...l.neuron_rates];
  }
  return { accuracy, timesteps, text, rates, neuronRates };
}

/** α·sign(w), α = mean|w|: the binary-weight network's weights as two real values. */
function signTimesMean(w: Tensor): Tensor {
  let sum = 0;
  for (const x of w.data) sum += Math.abs(x);
  const alpha = sum / w.data.length;
  return { shape: [...w.shape], data: w.data.map((x) => (x >= 0 ? alpha : -alpha)) };
}

/** The network with its binary layers run at f32: their weights already are the two values a binary synapse holds. */
function asRealWeights(m: Module): Module {
  const f32 = { dtype: 'f32', granularity: 'per_tensor' } as const;
  return { ...m, nodes: Object.fromEntries(Object.entries(m.nodes).map(([id, n]) => [id, (n.attrs.weights as Precision | undefined)?.dtype === 'binary' ? { ...n, attrs: { ...n.attrs, weights: f32 } } : n])) };
}

/** The rates a converted variant is priced with, as `kiln estimate --measure` would give them. */
export function rateOptions(o: Extract<SpikingOutcome, { text: string }>): RateOptions {
  return { rates: o.rates, neuronRates: Object.fromEntries(Object.entries(o.neuronRates).map(([k, v]) => [k, Float64Array.from(v)])) };
}

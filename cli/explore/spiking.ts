/**
 * A variant on a neuromorphic target: chips run spiking networks, so a rate-coded variant is
 * converted as `kiln convert` converts it (runtime/convert: relu → integrate-and-fire, thresholds at
 * the 99.9th percentile of each layer's activations on 256 training samples, max pooling over
 * spikes) and its accuracy there is the converted network's after T steps. The variant's weight
 * precisions carry over to the synapses (each layer's weights are scaled by one threshold, which
 * per-tensor binary/ternary and per-channel integer weights are unchanged by, up to that scale),
 * so `i8 → SNN` is priced with 8-bit synapses. Firing rates for pricing are measured on the test
 * samples, as `kiln estimate --measure` measures them. Results are cached like the ANN's.
 */
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
  // Calibrate with the weights the chip will hold: thresholds of a binary-weight layer differ from its f32 twin's.
  for (const [id, p] of Object.entries(precisionMap(s.module, v))) {
    const n = ann.module.nodes[id];
    if (n && p.weights) n.attrs = { ...n.attrs, weights: p.weights };
  }
  const scales = calibrateScales(ann.module, ann.weights, s.data.train, thresholdLayers(ann.module), NORMALIZATION, { samples: CALIBRATION_SAMPLES });
  const snn = buildSnn(ann, scales, timesteps);
  const text = emitKiln(snn.module, snn.layers, {
    source: `kiln explore variant ${v.label}`, checkpoint: 'its training run', calibration: `${CALIBRATION_SAMPLES} samples of the training data`,
    thresholds: 'the 99.9th percentile of the positive activations', changes: ann.changes,
  });
  const compiled = compileConverted(snnFile(s.module), text, snn.weights);
  const accuracy = accuracyOverTime(compiled.module, compiled.weights, s.data.test, [timesteps])[0]!;
  const measured = measureActivity(compiled.module, compiled.weights, s.data.test, RATE_SAMPLES).activity;
  const rates: Record<string, number> = {};
  const neuronRates: Record<string, number[]> = {};
  for (const [id, l] of Object.entries(measured.layers)) {
    if (l.firing_rate !== undefined) rates[id] = l.firing_rate;
    if (l.neuron_rates) neuronRates[id] = [...l.neuron_rates];
  }
  return { accuracy, timesteps, text, rates, neuronRates };
}

/** The rates a converted variant is priced with, as `kiln estimate --measure` would give them. */
export function rateOptions(o: Extract<SpikingOutcome, { text: string }>): RateOptions {
  return { rates: o.rates, neuronRates: Object.fromEntries(Object.entries(o.neuronRates).map(([k, v]) => [k, Float64Array.from(v)])) };
}

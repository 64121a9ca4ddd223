/**
 * One variant's accuracy, from the cache when an earlier run (or a worker) computed it. Trained
 * variants train at their own precisions; with `--ptq` every variant of a dropout rate starts from
 * one f32 training run (shared through the cache) and is quantized without fine-tuning: i8 and i16
 * by kiln quantize's calibration (runtime/quantize/ptq.ts), binary and ternary by running the f32
 * weights under the binary/ternary layer semantics. Training writes its checkpoint into the cache
 * after every epoch, so a killed run resumes mid-training.
 */
import { statOrUndefined } from '../../compiler/io/atomic-write.ts';
import type { Module } from '../../compiler/ir/module.ts';
import type { Split } from '../../runtime/data/index.ts';
import type { Weights } from '../../runtime/interpreter/types.ts';
import { OUT_SCALE, withPrecisions } from '../../runtime/quantize/layer-precision.ts';
import { quantizeNetwork } from '../../runtime/quantize/ptq.ts';
import { evaluate, train, type TrainConfig } from '../../runtime/train.ts';
import { scaleBinaryIntoBatchnorm, scaledBnKey } from './binary-bn.ts';
import { type ExploreCache, keyOf } from './cache.ts';
import { convertVariant, type SpikingOutcome, spikingKey } from './spiking.ts';
import { f32Variant, layerPrecision, precisionMap, type Variant, variantModule } from './variants.ts';

export interface ExploreSetup {
  module: Module;
  config: TrainConfig;
  data: Split;
  /** What decides every result besides the variant: network text, data spec, seed, epochs, version. */
  identity: unknown;
  /** Epochs to train (a trained variant, or the f32 run PTQ starts from). */
  epochs: number;
  ptq: boolean;
  cache: ExploreCache;
  /** Time steps of the spiking conversion, when a neuromorphic target needs one (spiking.ts); absent, nothing is converted. */
  timesteps?: number;
}

export interface VariantResult {
  accuracy: number;
}

export interface VariantOutcome extends VariantResult {
  /** The converted network's accuracy, text and rates, when the setup converts. */
  snn?: SpikingOutcome;
  /** Epochs this call trained (0 when everything came from the cache). */
  epochsTrained: number;
  cached: boolean;
}

const PTQ_CALIBRATION_SAMPLES = 256;

// Keyed by the layer attributes a variant sets, not its label, so a changed meaning of a label misses.
// `ptq` names the method: 2 calibrates each integer width on its own (1 calibrated all at the widest);
// `scaledBn` the batch norms that carry a binary layer's scale (binary-bn.ts), absent where none does.
export const resultKey = (s: ExploreSetup, v: Variant): string => keyOf({ ...(s.identity as object), variant: precisionMap(s.module, v), dropout: v.dropout, ptq: s.ptq ? 2 : false, ...scaledBnKey(s, v) });

export function runVariant(s: ExploreSetup, v: Variant, onEpoch?: (epoch: number, epochs: number) => void): VariantOutcome {
  const key = resultKey(s, v);
  const hit = s.cache.read<VariantResult>(key);
  const snnKey = s.timesteps === undefined ? undefined : spikingKey(s, v, s.timesteps);
  const snnHit = snnKey === undefined ? undefined : s.cache.read<SpikingOutcome>(snnKey, 'snn');
  if (hit && typeof hit.accuracy === 'number' && (snnKey === undefined || snnHit)) return { ...hit, snn: snnHit, epochsTrained: 0, cached: true };
  // PTQ variants quantize the f32 run; a trained variant's latent f32 weights are what it converts from.
  const { weights, epochsTrained } = trainCached(s, s.ptq ? f32Variant(v) : v, onEpoch);
  let result = hit;
  if (!result || typeof result.accuracy !== 'number') {
    const module = variantModule(s.module, v);
    result = { accuracy: s.ptq ? ptqAccuracy(s, v, module, weights) : evaluate(module, weights, s.data.test).accuracy };
    s.cache.write(key, result);
  }
  let snn = snnHit;
  if (snnKey !== undefined && !snn) {
    snn = convertVariant(s, v, weights, s.timesteps!);
    s.cache.write(snnKey, snn, 'snn');
  }
  return { ...result, snn, epochsTrained, cached: false };
}


export function trainCached(s: ExploreSetup, v: Variant, onEpoch?: (epoch: number, epochs: number) => void): { weights: Weights; epochsTrained: number } {
  const file = s.cache.checkpoint(keyOf({ ...(s.identity as object), train: precisionMap(s.module, v), dropout: v.dropout }));
  const r = train({ module: variantModule(s.module, v), config: s.config, data: s.data }, {
    epochs: s.epochs, checkpoint: file, resume: statOrUndefined(file) ? file : undefined,
    // Per-epoch test accuracy is not what explore reports; evaluating once at the end is enough.
    testLimit: 0,
    onEpoch: (e) => onEpoch?.(e.epoch, s.epochs),
  });
  return { weights: r.weights, epochsTrained: r.epochsRun };
}

/**
 * Integer layers take kiln quantize's PTQ at their own width: the network is calibrated once per
 * integer width the variant uses (i8, i16), and each layer takes its weights and weight scale from
 * the run at its weight width and its output scale from the run at its output width. (One
 * calibration at the widest would hand an i8 layer i16's fine scale, and 127 of those steps
 * saturate almost every weight.) Binary and ternary layers read only the sign and magnitude of
 * the weights they are given (a batch norm after a binary layer carries its scale, binary-bn.ts);
 * without an integer anywhere, the f32 weights run under the variant's layer precisions.
 */
function ptqAccuracy(s: ExploreSetup, v: Variant, module: Module, f32: Weights): number {
  const map = precisionMap(s.module, v);
  const real = scaleBinaryIntoBatchnorm(s.module, f32, map);
  const isInt = (d: string | undefined): d is 'i8' | 'i16' => d === 'i8' || d === 'i16';
  const widths = [...new Set(Object.values(map).flatMap((p) => [p.weights?.dtype, p.activations?.dtype]).filter(isInt))];
  if (widths.length === 0) return evaluate(module, real, s.data.test).accuracy;
  const f32Module = variantModule(s.module, f32Variant(v));
  const runs = new Map(widths.map((d) => {
    const lp = layerPrecision(d);
    return [d, quantizeNetwork(f32Module, f32, { weights: lp.weights!, activations: lp.activations, method: { kind: 'max' }, calibration: s.data.train, samples: PTQ_CALIBRATION_SAMPLES })];
  }));
  const widest = runs.get(widths.includes('i16') ? 'i16' : 'i8')!;
  const weights: Weights = Object.fromEntries(Object.entries(widest.weights).map(([id, ps]) => [id, { ...ps }]));
  for (const [id, p] of Object.entries(map)) {
    const w = p.weights?.dtype, a = p.activations?.dtype;
    // Real layers (batch norm always) keep the f32 run's parameters, not a calibration's quantized copy.
    if (isInt(w)) weights[id] = { ...runs.get(w)!.weights[id] };
    else if (w === 'f32') weights[id] = { ...real[id] };
    const out = isInt(a) ? runs.get(a)!.weights[id]?.[OUT_SCALE] : undefined;
    if (out) weights[id]![OUT_SCALE] = out;
  }
  return evaluate(withPrecisions(widest.module, map), weights, s.data.test).accuracy;
}

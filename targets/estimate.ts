/** `kiln estimate`: price a network (or a SCALE-Sim topology) on one or more targets. */
import type { Module } from '../compiler/ir/module.ts';
import { error, KilnError, type Diagnostic } from '../compiler/lang/diagnostics.ts';
import { MissingProperty } from './config.ts';
import type { TargetDescription } from '../compiler/lang/description.ts';
import { estimateNeuromorphic, type RateOptions } from './neuromorphic/cost.ts';
import { estimateLmuNeuromorphic, sigmaDeltaLmus } from './neuromorphic/lmu-cost.ts';
import { estimateSimdCpu } from './simd-cpu/cost.ts';
import type { TargetResult } from './stats.ts';
import { estimateSystolic } from './systolic/cost.ts';
import { withParamBytes } from './param-size.ts';
import { moduleWork, type LayerWork } from './workload.ts';
import { spikingRates, type Activity } from './activity.ts';
import { priceActivity, zeroSkipping } from './activity-pricing.ts';

/** What can be estimated: a Kiln module, or bare GEMM layers from a SCALE-Sim topology. */
export type Workload = { kind: 'module'; module: Module } | { kind: 'layers'; name: string; layers: LayerWork[] };

/**
 * Samples a CPU or array estimate covers: the leading axis of the network's first input (Kiln's
 * batch convention); a SCALE-Sim topology describes one inference.
 */
export function batchOf(w: Workload): number {
  if (w.kind === 'layers') return 1;
  const x = w.module.nodes[w.module.inputs[0]!]?.type;
  return x && x.shape.length > 1 ? x.shape[0]! : 1;
}

/**
 * Every summary says its basis. CPUs and arrays are costed on the whole batch, so one inference
 * is the batch figure ÷ the batch: a sample's share of a batched run (what throughput and energy
 * per sample are), not the latency of one sample run alone. A neuromorphic estimate costs one
 * sample through all its time steps, so its figures already are one inference.
 */
function withBasis(r: TargetResult, batch: number): TargetResult {
  const b = r.kind === 'neuromorphic' ? 1 : batch;
  r.summary.batch = b;
  r.summary.per_inference = { latency_s: r.summary.latency_s / b, energy_j: r.summary.energy_j / b };
  return r;
}

/** A target that cannot run the workload: its entry says why, and the other targets still report. */
export interface EstimateFailure {
  target: string;
  kind: string;
  error: string;
  diagnostic: Diagnostic;
}

export type EstimateEntry = TargetResult | EstimateFailure;

export const failed = (e: object): e is EstimateFailure => 'error' in e;

/** Firing-rate options for neuromorphic targets, and the measured or saved activity every target prices with. */
export interface EstimateOptions extends RateOptions {
  activity?: Activity;
  /** Partition a neuromorphic target's network onto this many chips instead of the target's own count. */
  chips?: number;
}

/** Estimate on each target; a KilnError (input the target cannot take) becomes that target's entry. */
export function estimateEach(w: Workload, targets: TargetDescription[], opts: EstimateOptions = {}): EstimateEntry[] {
  return eachTarget(targets, (t) => estimate(w, t, opts));
}

/** `price` on each target; a KilnError (input the target cannot take) becomes that target's entry. */
export function eachTarget<R>(targets: TargetDescription[], price: (t: TargetDescription) => R): (R | EstimateFailure)[] {
  return targets.map((t) => {
    try {
      return price(t);
    } catch (e) {
      if (!(e instanceof KilnError)) throw e;
      const d = e.diagnostics.find((x) => x.severity === 'error') ?? e.diagnostics[0]!;
      return { target: t.name, kind: t.kind, error: d.hint ? `${d.message} (${d.hint})` : d.message, diagnostic: d };
    }
  });
}


/** Where in a result a number is NaN or infinite (`layers[3].energy_j`), or undefined. */
function nonFinite(v: unknown, at: string): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : at;
  if (Array.isArray(v)) return v.map((x, i) => nonFinite(x, `${at}[${i}]`)).find((p) => p);
  if (typeof v === 'object' && v !== null) return Object.entries(v).map(([k, x]) => nonFinite(x, at ? `${at}.${k}` : k)).find((p) => p);
  return undefined;
}

/**
 * The size limits keep every figure of a network finite, but a target's own numbers (a frequency
 * of 1e-300 Hz) can still overflow one; a figure that is not a number is never printed.
 */
export function estimate(w: Workload, target: TargetDescription, opts: EstimateOptions = {}): TargetResult {
  return finiteOrThrow(withBasis(withParamBytes(estimateOnce(w, target, opts), w), batchOf(w)), target);
}

/** `r` when every figure in it is a finite number; otherwise an error naming the figure and the likeliest culprit. */
export function finiteOrThrow<R>(r: R, target: TargetDescription): R {
  const bad = nonFinite(r, '');
  if (bad) {
    // The likeliest culprit is the target's most extreme number (farthest from 1 in magnitude).
    const extremity = (v: unknown) => (typeof v === 'number' && v !== 0 ? Math.abs(Math.log10(Math.abs(v))) : -1);
    const src = Object.values(target.props).reduce<TargetDescription['props'][string] | undefined>((a, p) => (!a || extremity(p.value) > extremity(a.value) ? p : a), undefined)?.source;
    throw new KilnError(error('overflow', `the estimate on \`${target.name}\` overflows: ${bad} is not a finite number`, src, 'check the target\'s numbers (frequencies, bandwidths, sizes) and the network\'s sizes for extreme values'));
  }
  return r;
}

function estimateOnce(w: Workload, target: TargetDescription, opts: EstimateOptions): TargetResult {
  if (target.kind !== 'neuromorphic') return estimateLayers(target, w.kind === 'module' ? priceActivity(moduleWork(w.module), opts.activity, zeroSkipping(target)) : w.layers);
  if (w.kind !== 'module') throw new KilnError(error('unsupported', `a SCALE-Sim topology has no spiking layers; \`${target.name}\` needs a spiking .kiln network`));
  // A hybrid network of sigma-delta LMUs has no lif populations to map (lmu-cost.ts).
  if (sigmaDeltaLmus(w.module).length && !Object.values(w.module.nodes).some((n) => n.op === 'lif')) return estimateLmuNeuromorphic(target, w.module, opts.activity);
  return explainMissing(target, () => estimateNeuromorphic(target, w.module, neuromorphicRates(opts)));
}

/** The rates a neuromorphic estimate prices with: activity replaces rates given the old way (the CLI allows only one of them). */
export function neuromorphicRates(opts: EstimateOptions): RateOptions & { chips?: number } {
  const { activity, ...rates } = opts;
  return activity ? { ...rates, ...spikingRates(activity), neuronRatesSource: activity.source === 'file' ? 'activity file' : 'measured' } : rates;
}

/** Price GEMM and vector layers on a CPU or an array (neuromorphic targets take a network, not layers). */
export function estimateLayers(target: TargetDescription, layers: LayerWork[]): TargetResult {
  return explainMissing(target, () => {
    if (target.kind === 'simd_cpu') return estimateSimdCpu(target, layers);
    if (target.kind === 'systolic') return estimateSystolic(target, layers);
    throw new Error(`estimateLayers: ${target.kind} targets price a network, not layers`);
  });
}

/** A property the cost model cannot do without becomes an error at the target's block. */
function explainMissing<R>(target: TargetDescription, f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (e instanceof MissingProperty) {
      const src = Object.values(target.props)[0]?.source;
      throw new KilnError(error('missing-attr', e.message, src ? { ...src, col: 1 } : undefined, `add it to the target block of \`${target.name}\``));
    }
    throw e;
  }
}

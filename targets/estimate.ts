/** `kiln estimate`: price a network (or a SCALE-Sim topology) on one or more targets. */
import type { Module } from '../compiler/ir/module.ts';
import { error, KilnError } from '../compiler/lang/diagnostics.ts';
import { MissingProperty } from './config.ts';
import type { TargetDescription } from '../compiler/lang/description.ts';
import { estimateNeuromorphic, type RateOptions } from './neuromorphic/cost.ts';
import { estimateSimdCpu } from './simd-cpu/cost.ts';
import type { TargetResult } from './stats.ts';
import { estimateSystolic } from './systolic/cost.ts';
import { moduleWork, type LayerWork } from './workload.ts';

/** What can be estimated: a Kiln module, or bare GEMM layers from a SCALE-Sim topology. */
export type Workload = { kind: 'module'; module: Module } | { kind: 'layers'; name: string; layers: LayerWork[] };

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
export function estimate(w: Workload, target: TargetDescription, opts: RateOptions = {}): TargetResult {
  const r = estimateUnchecked(w, target, opts);
  const bad = nonFinite(r, '');
  if (bad) {
    // The likeliest culprit is the target's most extreme number (farthest from 1 in magnitude).
    const extremity = (v: unknown) => (typeof v === 'number' && v !== 0 ? Math.abs(Math.log10(Math.abs(v))) : -1);
    const src = Object.values(target.props).reduce<TargetDescription['props'][string] | undefined>((a, p) => (!a || extremity(p.value) > extremity(a.value) ? p : a), undefined)?.source;
    throw new KilnError(error('overflow', `the estimate on \`${target.name}\` overflows: ${bad} is not a finite number`, src, 'check the target\'s numbers (frequencies, bandwidths, sizes) and the network\'s sizes for extreme values'));
  }
  return r;
}

function estimateUnchecked(w: Workload, target: TargetDescription, opts: RateOptions): TargetResult {
  try {
    switch (target.kind) {
      case 'simd_cpu':
        return estimateSimdCpu(target, w.kind === 'module' ? moduleWork(w.module) : w.layers);
      case 'systolic':
        return estimateSystolic(target, w.kind === 'module' ? moduleWork(w.module) : w.layers);
      case 'neuromorphic':
        if (w.kind !== 'module') throw new KilnError(error('unsupported', `a SCALE-Sim topology has no spiking layers; \`${target.name}\` needs a spiking .kiln network`));
        return estimateNeuromorphic(target, w.module, opts);
    }
  } catch (e) {
    if (e instanceof MissingProperty) {
      const src = Object.values(target.props)[0]?.source;
      throw new KilnError(error('missing-attr', e.message, src ? { ...src, col: 1 } : undefined, `add it to the target block of \`${target.name}\``));
    }
    throw e;
  }
}

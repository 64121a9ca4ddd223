/** `kiln estimate`: price a network (or a SCALE-Sim topology) on one or more targets. */
import type { Module } from '../compiler/ir/module.ts';
import { error, KilnError } from '../compiler/lang/diagnostics.ts';
import { MissingProperty } from './config.ts';
import type { TargetDescription } from '../compiler/lang/description.ts';
import { estimateNeuromorphic, type RateOptions } from './neuromorphic/cost.ts';
import { estimateSimdCpu } from './simd-cpu/cost.ts';
import type { TargetResult } from './stats.ts';
import { estimateSystolic } from './systolic/cost.ts';
import { withParamBytes } from './param-size.ts';
import { moduleWork, type LayerWork } from './workload.ts';

/** What can be estimated: a Kiln module, or bare GEMM layers from a SCALE-Sim topology. */
export type Workload = { kind: 'module'; module: Module } | { kind: 'layers'; name: string; layers: LayerWork[] };

export function estimate(w: Workload, target: TargetDescription, opts: RateOptions = {}): TargetResult {
  return withParamBytes(estimateOn(w, target, opts), w);
}

function estimateOn(w: Workload, target: TargetDescription, opts: RateOptions): TargetResult {
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

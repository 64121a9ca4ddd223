/**
 * Executable lowered programs. The cost model prices a target's lowering; this turns the same
 * lowering into something the interpreter can run: for every layer that multiplies, the tiles the
 * target computes it in and the order partial sums are accumulated. The numerics are the layers'
 * own (f32, or the precision lowering's integers: execute.ts), the same on every target. Running it and comparing with the graph is the check that what is priced computes what
 * the network means.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { ConfigReader } from '../../targets/config.ts';
import { neuromorphicConfig } from '../../targets/neuromorphic/config.ts';
import { mapNetwork, populationCores } from '../../targets/neuromorphic/network-mapping.ts';
import { FALLBACK_RATE } from '../../targets/neuromorphic/rates.ts';
import { lowerSimdCpu, simdCpuConfig } from '../../targets/simd-cpu/lower.ts';
import { systolicConfig } from '../../targets/systolic/cost.ts';
import { moduleWork } from '../../targets/workload.ts';

/**
 * How one GEMM C[M×N] = A[M×K]·W[N×K]ᵀ is cut: output tiles of mTile × nTile (a fold of the array,
 * a cache tile, the neurons of one core), visited column tile outer, row tile inner (SCALE-Sim's
 * order), and the reduction split into chunks of kChunk whose partial sums are added in order.
 */
export interface GemmPlan {
  mTile: number;
  nTile: number;
  kChunk: number;
  /** Why the plan is what it is, e.g. "ws on 32×32: K in row folds of 32". */
  why: string;
}

export interface LoweredProgram {
  target: string;
  kind: string;
  module: Module;
  /** Plans for the layers that multiply (dense, conv2d), by node id. */
  plans: Map<string, (m: number, n: number, k: number) => GemmPlan>;
}

export function lowerProgram(module: Module, target: TargetDescription): LoweredProgram {
  const plans = new Map<string, (m: number, n: number, k: number) => GemmPlan>();
  const gemmLayers = Object.values(module.nodes).filter((n) => n.op === 'dense' || n.op === 'conv2d');
  switch (target.kind) {
    case 'systolic': {
      const r = new ConfigReader(target);
      const cfg = systolicConfig(target, r);
      const { arrayRows: R, arrayCols: C, dataflow } = cfg.scalesim;
      // Spatial and temporal dimensions per dataflow as SCALE-Sim maps them (docs/scalesim-semantics.md).
      for (const n of gemmLayers) {
        plans.set(n.id, (m, nn, k) =>
          dataflow === 'os' ? { mTile: R, nTile: C, kChunk: k, why: `os on ${R}×${C}: each PE accumulates all of K` }
          : dataflow === 'ws' ? { mTile: m, nTile: C, kChunk: R, why: `ws on ${R}×${C}: K in row folds of ${R}, partial sums added per fold` }
          : { mTile: C, nTile: nn, kChunk: R, why: `is on ${R}×${C}: K in row folds of ${R}, M in column folds of ${C}` });
      }
      break;
    }
    case 'simd_cpu': {
      const { config } = simdCpuConfig(target);
      const steps = lowerSimdCpu(moduleWork(module), config);
      for (const s of steps) {
        if (s.layer.work.kind !== 'gemm') continue;
        const tile = s.tiles?.l1 ?? 64;
        plans.set(s.layer.name, () => ({ mTile: tile, nTile: tile, kChunk: tile, why: `L1 tiles of ${tile}` }));
      }
      break;
    }
    case 'neuromorphic': {
      const { config } = neuromorphicConfig(target);
      const mp = mapNetwork(module, config, { defaultRate: FALLBACK_RATE });
      const perCore = populationCores(mp);
      mp.graph.projections.forEach((p) => {
        const pop = mp.graph.populations.findIndex((q) => q.name === p.to);
        const k = perCore[pop]!.maxNeurons;
        const g = mp.graph.populations[pop]!.group;
        // Each core computes the currents of its own neurons: for a conv, blocks of g channels at
        // a position (the mapping's columns), so ⌈k / g⌉ pixels × g channels per core.
        plans.set(p.layer.id, (m, n) => (p.conv ? { mTile: Math.max(1, Math.floor(k / g)), nTile: Math.min(n, g), kChunk: Number.MAX_SAFE_INTEGER, why: `${k} neurons per core` } : { mTile: m, nTile: k, kChunk: Number.MAX_SAFE_INTEGER, why: `${k} neurons per core` }));
      });
      break;
    }
  }
  return { target: target.name, kind: target.kind, module, plans };
}

/**
 * Public entry points: partition a hypergraph for (λ−1) spike messages, or a graph for edge cut,
 * into k parts under balance and/or per-part capacity limits. Seeded and deterministic.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { resolveConstraints, type Constraints } from './constraints.ts';
import { fromGraph, fromHypergraph, type EngineHypergraph } from './engine-hypergraph.ts';
import { multilevelPartition, type EngineConfig } from './multilevel.ts';
import { Rng } from './rng.ts';
import type { Graph, Hypergraph, PartitionOptions, PartitionResult } from './types.ts';

/**
 * Settings per effort. The numbers come from the measurements in docs/partitioning.md: twin
 * grouping and (λ−1) label propagation carry most of the quality; the k-way FM searches add
 * little on large levels for a lot of time, so they run only where the level is small.
 */
export function engineConfig(effort: PartitionOptions['effort'] = 'default', graph = false): { main: EngineConfig; rb: EngineConfig } {
  const main: EngineConfig = {
    contraction: graph ? 30 : 160,
    maxShrink: 2.5,
    minShrink: 1.05,
    cluster: { samples: 8, headRatesTargets: false, starNormalized: false, maxRatedNetSize: 4096 },
    twins: graph ? 0 : 0.125,
    clusterShare: 0.125,
    lpRounds: 5,
    lpMinGain: graph ? 1e-4 : 1e-3,
    fm: effort === 'strong' ? { rounds: 4, seeds: 4, maxFruitless: 128, maxActivationNetSize: 256 } : graph ? { rounds: 1, seeds: 4, maxFruitless: 32, maxActivationNetSize: 256 } : { rounds: 2, seeds: 4, maxFruitless: 64, maxActivationNetSize: 256 },
    // On graphs FM on the finest levels is what matches METIS's cut; on (λ−1) it adds < 1%.
    fmMaxPins: effort === 'fast' ? 0 : effort === 'strong' ? Infinity : graph ? 25_000_000 : 0,
    fm2: { passes: 4, maxFruitless: 200 },
    bisect: { tries: effort === 'fast' ? 6 : 12, fm: { passes: 4, maxFruitless: 200 } },
    initialOnSynapseGraph: false,
    beta: 0,
  };
  const rb: EngineConfig = { ...main, contraction: 80, bisect: { ...main.bisect, tries: effort === 'fast' ? 4 : 8 } };
  return { main, rb };
}

/** Overrides of the engine settings, for experiments and tuning (not part of the stable API). */
export interface EngineTuning {
  readonly main?: Partial<EngineConfig>;
  readonly rb?: Partial<EngineConfig>;
}

function run(h: EngineHypergraph, c: Constraints, opts: PartitionOptions, t0: number, graph: boolean, tuning: EngineTuning): PartitionResult {
  const k = opts.k;
  const base = engineConfig(opts.effort, graph);
  const main = { ...base.main, ...tuning.main };
  const rb = { ...base.rb, ...tuning.rb };
  const rng = new Rng(opts.seed ?? 1);
  const out = multilevelPartition(h, k, c.limits, rng, main, rb);
  const loads = new Float64Array(k * c.d);
  for (let v = 0; v < h.nv; v++) for (let j = 0; j < c.d; j++) loads[out.part[v]! * c.d + j]! += c.w[v * c.d + j]!;
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < c.d; j++) {
      const load = loads[p * c.d + j]!;
      const lim = c.limits[p * c.d + j]!;
      if (load > lim) {
        throw new KilnError(error('partition-infeasible', `could not keep part ${p} within its ${c.dims[j]} limit (${load} > ${lim})`, undefined, `the vertices may not pack into ${k} parts; add parts or raise the ${c.dims[j]} limit`));
      }
    }
  }
  const total = performance.now() - t0;
  return { parts: out.part, k, objective: out.objective, dims: c.dims, partLoads: loads, limits: c.limits, levels: out.levels, timeMs: { ...out.timeMs, total } };
}

/** Minimises (λ−1): the spike messages of a net-per-presynaptic-neuron hypergraph. */
export function partitionHypergraph(h: Hypergraph, opts: PartitionOptions, tuning: EngineTuning = {}): PartitionResult {
  const t0 = performance.now();
  const c = resolveConstraints(h.nv, opts, h.vwgt, 1);
  return run(fromHypergraph(h, c.w, c.d, opts.firstPinIsSource ?? true), c, opts, t0, false, tuning);
}

/** Minimises the edge cut (each undirected edge once, as gpmetis counts it). */
export function partitionGraph(g: Graph, opts: PartitionOptions, tuning: EngineTuning = {}): PartitionResult {
  const t0 = performance.now();
  const c = resolveConstraints(g.nv, opts, g.vwgt, g.ncon);
  return run(fromGraph(g, c.w, c.d), c, opts, t0, true, tuning);
}

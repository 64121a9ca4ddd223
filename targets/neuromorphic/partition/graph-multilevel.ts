/**
 * The multilevel driver for graphs (edge cut): heavy-edge clustering and CSR contraction down to
 * about `contraction · k` vertices, the hypergraph engine on the coarsest graph (as two-pin nets:
 * recursive bisection and its refinement, exactly what partitionGraph ran before on every level),
 * then projection with rebalancing, label propagation and localized FM on the CSR levels.
 */
import { projectLevel } from './coarsen.ts';
import { clusterGraph } from './graph-coarsen.ts';
import { contractGraph, graphToHypergraph, type EngineGraph } from './graph-engine.ts';
import { graphFmRefine, graphLabelPropagation } from './graph-refine.ts';
import { GraphPartState } from './graph-state.ts';
import { multilevelPartition, type EngineConfig, type MultilevelOutcome } from './multilevel.ts';
import { rebalance } from './rebalance.ts';
import type { Rng } from './rng.ts';

export function multilevelGraph(g: EngineGraph, k: number, limits: Float64Array, rng: Rng, cfg: EngineConfig, rbCfg: EngineConfig): MultilevelOutcome {
  const t0 = performance.now();
  const d = g.d;
  const stopAt = Math.max(cfg.contraction * k, 2);
  const maxW = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let minLimit = Infinity;
    for (let p = 0; p < k; p++) minLimit = Math.min(minLimit, limits[p * d + j]!);
    maxW[j] = g.totalW[j] === 0 ? Infinity : Math.min(minLimit, Math.max(g.totalW[j]! / stopAt, cfg.clusterShare * minLimit));
  }
  const levels: EngineGraph[] = [g];
  const maps: Int32Array[] = [];
  let cur = g;
  while (cur.nv > stopAt) {
    const target = Math.max(stopAt, Math.floor(cur.nv / cfg.maxShrink));
    const { clusterOf, nc } = clusterGraph(cur, maxW, target, rng);
    if (nc * cfg.minShrink > cur.nv) break;
    cur = contractGraph(cur, clusterOf, nc);
    levels.push(cur);
    maps.push(clusterOf);
  }
  const t1 = performance.now();
  const coarse = multilevelPartition(graphToHypergraph(cur), k, limits, rng, cfg, rbCfg);
  let part = coarse.part;
  const t2 = performance.now();
  let st: GraphPartState | null = null;
  for (let li = levels.length - 2; li >= 0; li--) {
    const level = levels[li]!;
    part = projectLevel(part, maps[li]!);
    st = new GraphPartState(level, k, limits, part);
    if (k === 1) continue;
    if (!st.feasible()) rebalance(st);
    graphLabelPropagation(st, rng, cfg.lpRounds, cfg.lpMinGain);
    if (level.adj.length <= cfg.fmMaxPins) graphFmRefine(st, rng, cfg.fm);
  }
  const t3 = performance.now();
  return {
    part,
    objective: st ? st.objective : coarse.objective,
    feasible: st ? st.feasible() : coarse.feasible,
    levels: levels.length + coarse.levels - 1,
    timeMs: { coarsen: t1 - t0 + coarse.timeMs.coarsen, initial: coarse.timeMs.initial, refine: t3 - t2 + coarse.timeMs.refine },
  };
}

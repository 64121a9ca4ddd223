/**
 * The multilevel driver (Karypis & Kumar's scheme as in hMETIS and KaHyPar): group twins, cluster
 * and contract until about `contraction · k` vertices remain, partition the coarsest hypergraph
 * (bisection tries for k = 2, recursive multilevel bisection otherwise), then project back level
 * by level, restoring balance when needed and refining with label propagation and localized FM.
 */
import { carry, clusterVertices, contract, projectLevel, type ClusterConfig } from './coarsen.ts';
import { carryDown, intersectionKey, projectUp } from './combine.ts';
import { detectCommunities, type CommunityConfig } from './community.ts';
import { partLoads } from './constraints.ts';
import type { EngineHypergraph } from './engine-hypergraph.ts';
import { flatBisect, recursiveBisect, type BisectConfig } from './initial.ts';
import { PartState } from './part-state.ts';
import { rebalance } from './rebalance.ts';
import { contractedStarGraph } from './star-graph.ts';
import { clusterTwins } from './twins.ts';
import { fmRefine, type FmConfig } from './refine-fm.ts';
import { fmBisection, type Fm2Config } from './refine-fm2.ts';
import { flowRefine, type FlowConfig } from './refine-flow.ts';
import { labelPropagation } from './refine-lp.ts';
import type { Rng } from './rng.ts';

export interface EngineConfig {
  /** Coarsen until at most contraction · k vertices remain (KaHyPar uses 160). */
  readonly contraction: number;
  /** The first hierarchy stops at no fewer vertices than this (V-cycles ignore it). */
  readonly minCoarsest?: number;
  /** Upper bound on the shrink factor of one level (mt-KaHyPar: 2.5). */
  readonly maxShrink: number;
  /** Coarsening stops when a level shrinks by less than this factor. */
  readonly minShrink: number;
  readonly cluster: ClusterConfig;
  readonly lpRounds: number;
  /** Label propagation stops when a round gains less than this share of the objective. */
  readonly lpMinGain: number;
  readonly fm: FmConfig;
  /** Exact-gain FM for bisections. */
  readonly fm2: Fm2Config;
  /** FM is skipped on levels with more pins than this (LP still runs). */
  readonly fmMaxPins: number;
  readonly bisect: BisectConfig;
  /** Compute the k-way initial partition on the contracted synapse graph (edge cut) instead of the hypergraph. */
  readonly initialOnSynapseGraph: boolean;
  /** Group twins (vertices fed by the same nets) first, in chunks up to this fraction of a part's limit; 0 disables. */
  readonly twins: number;
  /** A cluster may weigh up to this share of the smallest part limit (or total / stopAt if larger). */
  readonly clusterShare: number;
  /** Synapse-cut weight in k-way refinement gains (see PartState.beta). */
  readonly beta: number;
  /** V-cycles after the first uncoarsening (k > 2); they stop early when one gains < `vcycleMinGain`. */
  readonly vcycles: number;
  /** V-cycles stop when one gains less than this share of the objective; undefined: `lpMinGain`. */
  readonly vcycleMinGain?: number;
  /**
   * The V-cycles' k-way FM: `fm` on the finest level above the input only, each search stopping
   * after this many fruitless moves. Undefined: `fm` on every level above the input.
   */
  readonly vcycleFruitless?: number;
  /** V-cycles coarsen down to this many vertices per part (the first hierarchy stops at `contraction`). */
  readonly vcycleContraction: number;
  /** Recursive bisections of the coarsest level (k > 2); the best after refinement is kept. */
  readonly initialRuns: number;
  /** Flow refinement on every level above the input (k > 2); undefined skips it. */
  readonly flow?: FlowConfig;
  /** Clusters stay inside Louvain communities of the level below the first clustering; undefined: no restriction. */
  readonly communities?: CommunityConfig;
  /**
   * k > 2, when the first hierarchy has no clustered level (it stops at the twin level or the
   * input): the bisections coarsen within these communities, and this many initial partitions
   * are made instead of `initialRuns`. Undefined: no change.
   */
  readonly unclustered?: { readonly communities: CommunityConfig; readonly initialRuns: number };
  /**
   * k > 2, when the first hierarchy has a clustered level (so `unclustered` does not apply): the
   * bisections take these settings (spectral candidates, `initial-spectral.ts`), and this many
   * initial partitions and V-cycles are made instead. Undefined: no change.
   */
  readonly spectral?: {
    /**
     * Laid over the bisections' own settings (`rbCfg.bisect`), so a tuning of those reaches these
     * bisections too (their FM passes only as a bound on the candidates' `spectral.fmPasses`);
     * their own `tries` become the fallback tries unless this sets them.
     */
    readonly bisect: Pick<BisectConfig, 'tries' | 'spectral' | 'fallbackTries'>;
    readonly initialRuns: number;
    readonly vcycles: number;
    /** The combine's FM: on the finest level above the input only, stopping after this many fruitless moves (as `vcycleFruitless`). */
    readonly combineFruitless?: number;
  };
  /**
   * k > 2 with several initial runs: recombine them instead of keeping the best (combine.ts), the
   * best with each other run in turn, `sweeps` times over. Undefined: keep the best.
   */
  readonly combine?: { readonly sweeps: number };
}

export interface MultilevelOutcome {
  readonly part: Int32Array;
  readonly objective: number;
  readonly feasible: boolean;
  readonly levels: number;
  readonly timeMs: { coarsen: number; initial: number; refine: number };
}

interface Hierarchy {
  /** levels[0] is the input; each next level contracts the previous one through maps[i]. */
  readonly levels: EngineHypergraph[];
  readonly maps: Int32Array[];
  /** Whether levels[1] is the twin level (one label-propagation round below it). */
  readonly twinLevel: boolean;
  /** `partOf` carried to the coarsest level (V-cycles). */
  readonly coarsePart?: Int32Array;
}

/** Smallest limit of each dimension over the parts, scaled. */
function minLimits(h: EngineHypergraph, k: number, limits: Float64Array, f: (minLimit: number, j: number) => number): Float64Array {
  const out = new Float64Array(h.d);
  for (let j = 0; j < h.d; j++) {
    let minLimit = Infinity;
    for (let p = 0; p < k; p++) minLimit = Math.min(minLimit, limits[p * h.d + j]!);
    out[j] = h.totalW[j] === 0 ? Infinity : f(minLimit, j);
  }
  return out;
}

/** Same clusters (cluster ids included). */
function sameClustering(a: Int32Array, b: Int32Array): boolean {
  for (let v = 0; v < a.length; v++) if (a[v] !== b[v]) return false;
  return a.length === b.length;
}

/**
 * Twin grouping, then clustering and contraction down to about contraction · k vertices;
 * `partOf` keeps clusters inside parts. `prior` (an earlier hierarchy of the same input: the
 * previous one for a V-cycle, the first for the combine) lends its twin level when the twins
 * group the same way, as they do while the input's partition is the projection of a twin
 * level's: contracting the input is O(pins), 2.7 M on spiking_cnn.
 */
function coarsen(h: EngineHypergraph, k: number, limits: Float64Array, rng: Rng, cfg: EngineConfig, partOf?: Int32Array, prior?: Hierarchy): Hierarchy {
  const stopAt = Math.max(cfg.contraction * k, partOf ? 2 : cfg.minCoarsest ?? 2);
  const maxW = minLimits(h, k, limits, (m, j) => Math.min(m, Math.max(h.totalW[j]! / stopAt, cfg.clusterShare * m)));
  const levels: EngineHypergraph[] = [h];
  const maps: Int32Array[] = [];
  let cur = h;
  let curPart = partOf;
  let community: Int32Array | undefined;
  let twinLevel = false;
  const push = ({ clusterOf, nc }: { clusterOf: Int32Array; nc: number }, contracted?: EngineHypergraph): boolean => {
    if (nc * cfg.minShrink > cur.nv) return false;
    if (curPart) curPart = carry(curPart, clusterOf, nc);
    if (community) community = carry(community, clusterOf, nc);
    cur = contracted ?? contract(cur, clusterOf, nc);
    levels.push(cur);
    maps.push(clusterOf);
    return true;
  };
  // Twins are grouped even when the input is already below stopAt (k > 2): on the small
  // networks (spiking_cnn, dvs-5k at k = 64) recursive bisection and label propagation otherwise
  // ran on every neuron, 5× the CPU time, and dvs-5k sent 3% more messages.
  if (cfg.twins && (cur.nv > stopAt || k > 2)) {
    const twins = clusterTwins(cur, minLimits(h, k, limits, (m) => m * cfg.twins), curPart);
    const same = prior?.twinLevel && prior.levels[0] === h && prior.levels[1]!.nv === twins.nc && sameClustering(prior.maps[0]!, twins.clusterOf);
    twinLevel = push(twins, same ? prior.levels[1] : undefined);
  }
  // Only a first hierarchy has communities (the V-cycles coarsen without them), so no cluster
  // has to be kept inside both a part and a community.
  if (cfg.communities && !curPart && cur.nv > stopAt) community = detectCommunities(cur, rng, cfg.communities).community;
  while (cur.nv > stopAt) {
    const target = Math.max(stopAt, Math.floor(cur.nv / cfg.maxShrink));
    if (!push(clusterVertices(cur, maxW, target, rng, cfg.cluster, community ?? curPart))) break;
  }
  return { levels, maps, twinLevel, coarsePart: curPart };
}

/**
 * The hierarchy of a V-cycle or a combination: clusters kept inside `partOf`'s classes, down to
 * `vcycleContraction` vertices a part, without communities (the classes confine them already).
 */
function recoarsen(h: EngineHypergraph, k: number, limits: Float64Array, rng: Rng, cfg: EngineConfig, partOf: Int32Array, prior?: Hierarchy): Hierarchy {
  return coarsen(h, k, limits, rng, { ...cfg, contraction: cfg.vcycleContraction, communities: undefined }, partOf, prior);
}

/** A refined partition of the input level; its PartState may be built only when asked for. */
interface Refined {
  readonly part: Int32Array;
  readonly objective: number;
  readonly feasible: boolean;
  state(): PartState;
}

const refined = (st: PartState): Refined => ({ part: st.part, objective: st.objective, feasible: st.feasible(), state: () => st });

/** Whether the parts' loads stay within the limits, summed as PartState sums them. */
function fitsLimits(h: EngineHypergraph, part: Int32Array, k: number, limits: Float64Array): boolean {
  const load = partLoads(part, h.w, h.d, k);
  for (let i = 0; i < load.length; i++) if (load[i]! > limits[i]!) return false;
  return true;
}

/**
 * Projects `part` (of the coarsest level) back level by level, rebalancing and refining each.
 * `inputLp` false leaves the input level below a twin level unrefined (the caller refines it
 * once, after its V-cycles); then, unless it needs rebalancing, its state is not even built:
 * the twin level's objective is the input's (contraction keeps every net's (λ−1) cost), and the
 * input's PartState is O(pins), 2.7 M on spiking_cnn against the twin level's 21 k.
 * With `fmAll` and `oneLevelFruitless` (the V-cycles' `vcycleFruitless`, the combine's
 * `combineFruitless`), k-way FM runs on the finest level above the input only, with that stop.
 */
function uncoarsen(hy: Hierarchy, part: Int32Array, k: number, limits: Float64Array, rng: Rng, cfg: EngineConfig, fmAll = false, inputLp = true, oneLevelFruitless?: number): Refined {
  const { levels, maps, twinLevel } = hy;
  let st: PartState | null = null;
  const oneLevelFm = fmAll && oneLevelFruitless !== undefined ? { ...cfg.fm, maxFruitless: oneLevelFruitless } : undefined;
  for (let li = levels.length - 1; li >= 0; li--) {
    const level = levels[li]!;
    if (li < levels.length - 1) part = projectLevel(part, maps[li]!);
    if (li === 0 && st && twinLevel && !inputLp && k > 2 && level.eptr[level.ne]! > cfg.fmMaxPins && fitsLimits(level, part, k, limits)) {
      const { objective } = st;
      const input = part;
      return { part: input, objective, feasible: true, state: () => Object.assign(new PartState(level, k, limits, input), { beta: cfg.beta }) };
    }
    st = new PartState(level, k, limits, part);
    st.beta = cfg.beta;
    if (k === 1) continue;
    if (!st.feasible()) rebalance(st);
    if (k === 2) {
      fmBisection(st, rng, cfg.fm2);
      continue;
    }
    // Below the twin level a move splits a group of vertices fed by the same nets, which (λ−1)
    // rarely rewards: label propagation there gained 0.02–0.12% on dvs-1m (k = 64–1024) for up
    // to a third of the refinement time, so it gets one round.
    if (li > 0 || !twinLevel || inputLp) labelPropagation(st, rng, li === 0 && twinLevel ? 1 : cfg.lpRounds, cfg.lpMinGain);
    const fm = oneLevelFm && li > 0 ? (li === 1 ? oneLevelFm : undefined) : cfg.fm;
    if (fm && (level.eptr[level.ne]! <= cfg.fmMaxPins || (fmAll && li > 0))) fmRefine(st, rng, fm);
    // Not on the input level: there it took 2–10× the partition's time for at most 1.5% fewer
    // messages (unet_spiking, k = 8), while the coarse levels gave as much for less.
    if (cfg.flow && li > 0) flowRefine(st, cfg.flow);
  }
  return refined(st!);
}

/**
 * KaHyPar-E's combine on the input level: coarsens within the intersection of the best partition
 * and another, starts from the best on the coarsest level (it is constant on those clusters) and
 * refines up; the result, if no worse, is the best for the next. Pairwise: on the U-Net, k = 8,
 * three runs all at once gave 1.047× KaHyPar's messages, pairwise 1.033× (docs/partitioning.md,
 * "Eleventh pass"). "No worse" for the first combination means than the best run's score on the
 * coarsest level, before any refinement, so it is as good as always taken: it replaces the first
 * uncoarsening with no guarantee against it (dvs-33k, k = 8, seed 3: 2.6% more messages). Held to
 * the refined best instead, the U-Net's six-seed mean was 1.041× at the same CPU time: a worse
 * combination still gives the V-cycles a different start. `best` undefined: no combination was
 * feasible and no worse; `combinations`: how many coarsened to a level above the input.
 * `fruitless`: the one-level FM stop of `uncoarsen`; `prior`: the first hierarchy, whose twin
 * level a combination reuses when its twins group the same way (`coarsen` checks).
 */
export function combineRuns(h: EngineHypergraph, k: number, limits: Float64Array, rng: Rng, cfg: EngineConfig, runs: { part: Int32Array; score: number }[], inputLp: boolean, fruitless?: number, prior?: Hierarchy): { best?: { st: Refined; hy: Hierarchy }; combinations: number } {
  const b = runs.reduce((bi, r, i) => (r.score < runs[bi]!.score ? i : bi), 0);
  const others = runs.filter((_, i) => i !== b);
  let { part: cur, score } = runs[b]!;
  let best: { st: Refined; hy: Hierarchy } | undefined;
  let combinations = 0;
  for (let i = 0; i < others.length * cfg.combine!.sweeps; i++) {
    const key = intersectionKey([cur, others[i % others.length]!.part]).key;
    const hv = recoarsen(h, k, limits, rng, cfg, key, prior);
    if (hv.levels.length === 1) continue;
    combinations++;
    const next = uncoarsen(hv, carryDown(cur, hv.maps, hv.levels.slice(1).map((l) => l.nv)), k, limits, rng, cfg, true, inputLp, fruitless);
    if (next.feasible && next.objective <= score) [best, cur, score] = [{ st: next, hy: hv }, next.part, next.objective];
  }
  return { best, combinations };
}

/** `bisectTarget` (k = 2 only) is the ideal load of side 0; by default the limits' ratio. */
export function multilevelPartition(h: EngineHypergraph, k: number, limits: Float64Array, rng: Rng, cfg: EngineConfig, rbCfg: EngineConfig = cfg, bisectTarget?: Float64Array): MultilevelOutcome {
  const t0 = performance.now();
  const d = h.d;
  const hy = coarsen(h, k, limits, rng, cfg);
  const { levels, maps } = hy;
  const cur = levels[levels.length - 1]!;
  const t1 = performance.now();
  let part: Int32Array;
  let cycles = cfg.vcycles;
  let combineFruitless: number | undefined;
  const tried: { part: Int32Array; score: number }[] = [];
  if (k === 1) part = new Int32Array(cur.nv);
  else if (k === 2) {
    const target0 = bisectTarget ?? new Float64Array(d);
    for (let j = 0; j < d && !bisectTarget; j++) {
      const a = limits[j]!;
      const b = limits[d + j]!;
      target0[j] = a + b > 0 && Number.isFinite(a + b) ? (cur.totalW[j]! * a) / (a + b) : cur.totalW[j]! / 2;
    }
    part = flatBisect(cur, limits, target0, rng, cfg.bisect);
  } else {
    let ip = cur;
    if (cfg.initialOnSynapseGraph) {
      const map = new Int32Array(h.nv);
      for (let v = 0; v < h.nv; v++) {
        let c = v;
        for (const m of maps) c = m[c]!;
        map[v] = c;
      }
      ip = contractedStarGraph(h, map, cur);
    }
    // When the bisections start from the twin level, all the clustering is theirs (U-Net,
    // k = 64: 4,062 twin groups down to 160 vertices per bisection), and heavy-edge clusters
    // cross good cuts unless kept inside communities: on the four k = 64 bench rows one such
    // partition beat the best of three without communities in messages (0.7–7%) and in time
    // (docs/partitioning.md, "Sixth pass").
    const clustered = levels.length > (hy.twinLevel ? 2 : 1);
    const unclustered = cfg.unclustered && !clustered ? cfg.unclustered : undefined;
    const spectral = clustered ? cfg.spectral : undefined;
    const bisectCfg = unclustered ? { ...rbCfg, communities: unclustered.communities } : spectral ? { ...rbCfg, bisect: { ...rbCfg.bisect, fallbackTries: rbCfg.bisect.tries, ...spectral.bisect } } : rbCfg;
    const runs = Math.max(1, unclustered?.initialRuns ?? spectral?.initialRuns ?? cfg.initialRuns);
    if (spectral) [cycles, combineFruitless] = [spectral.vcycles, spectral.combineFruitless];
    // Recursive bisection varies by ±2% in messages from seed to seed (dvs-33k, k = 64), so
    // several tries, each refined on the coarsest level, keep the best.
    let best = Infinity;
    part = new Int32Array(0);
    for (let run = 0; run < runs; run++) {
      const p = recursiveBisect(ip, k, limits, rng, (sub, lim2, t0, r) => multilevelPartition(sub, 2, lim2, r, bisectCfg, bisectCfg, t0).part);
      if (runs <= 1) part = p;
      else {
        const st = new PartState(cur, k, limits, p);
        if (!st.feasible()) rebalance(st);
        labelPropagation(st, rng, cfg.lpRounds, cfg.lpMinGain);
        const score = st.feasible() ? st.objective : Infinity;
        tried.push({ part: st.part, score });
        if (score < best || part.length === 0) [best, part] = [score, st.part];
      }
    }
  }
  const t2 = performance.now();
  // The input level's round below the twin level visits every pin for a handful of moves
  // (spiking_cnn, k = 64: 2.5 M incidences asked, 0–14 moves, a third of the CPU time per
  // pass), so with V-cycles it runs once, after the last.
  if (k <= 2) cycles = 0;
  const lastLp = cycles > 0 && hy.twinLevel;
  // The combination starts from the input, so it takes the place of the first uncoarsening.
  const combined = cfg.combine && tried.length > 1 ? combineRuns(h, k, limits, rng, cfg, tried.map((r) => ({ part: projectUp(r.part, maps), score: r.score })), !lastLp, combineFruitless, hy).best : undefined;
  let st = combined?.st ?? uncoarsen(hy, part, k, limits, rng, cfg, false, !lastLp);
  // V-cycles (hMETIS, KaHyPar): coarsen again with clusters confined to parts, so the partition
  // carries over to the coarsest level unchanged, and refine on the way up; coarse levels move
  // groups of vertices that the first hierarchy split. Refinement never raises the objective.
  let prior = combined?.hy ?? hy;
  for (let cycle = 0; cycle < cycles && st.feasible; cycle++) {
    const before = st.objective;
    // A copy: with no level to contract, the coarsest partition is this array, and refining it
    // must not change the state kept if the cycle is rejected.
    const hv = recoarsen(h, k, limits, rng, cfg, st.part.slice(), prior);
    prior = hv;
    // Without a coarser level a cycle would only repeat the label propagation that just
    // converged: on the mapper's small hypergraphs (spiking_cnn, 964 vertices into 67 cores)
    // three such cycles cost 0.75 of 3.1 CPU s and changed nothing.
    if (hv.levels.length === 1) break;
    const next = uncoarsen(hv, hv.coarsePart!, k, limits, rng, cfg, true, !lastLp, cfg.vcycleFruitless);
    if (next.feasible && next.objective <= before) st = next;
    if (before - st.objective < (cfg.vcycleMinGain ?? cfg.lpMinGain) * before) break;
  }
  const fin = st.state();
  if (lastLp) labelPropagation(fin, rng, 1, cfg.lpMinGain);
  const t3 = performance.now();
  return {
    part: fin.part,
    objective: fin.objective,
    feasible: fin.feasible(),
    levels: levels.length,
    timeMs: { coarsen: t1 - t0, initial: t2 - t1, refine: t3 - t2 },
  };
}

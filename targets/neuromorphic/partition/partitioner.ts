/**
 * Public entry points: partition a hypergraph for (λ−1) spike messages, or a graph for edge cut,
 * into k parts under balance and/or per-part capacity limits. Seeded and deterministic.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { infeasible, partLoads, resolveConstraints, type Constraints } from './constraints.ts';
import { fromHypergraph } from './engine-hypergraph.ts';
import { engineGraphOf } from './graph-engine.ts';
import { multilevelGraph } from './graph-multilevel.ts';
import { multilevelPartition, type EngineConfig, type MultilevelOutcome } from './multilevel.ts';
import { Rng } from './rng.ts';
import type { Graph, Hypergraph, PartitionOptions, PartitionResult } from './types.ts';

/**
 * On small hypergraphs without layered structure (60 random ones, 30–430 vertices, k = 3–8) the
 * communities rule sent 0.9% more messages on average (up to 5.3%); the chips-first packing of
 * cores into chips partitions such graphs.
 */
const UNCLUSTERED_MIN_VERTICES = 1000;

/**
 * KaHyPar's initial-partitioning pool in each bisection: 18 tries over six growth rules instead of
 * 8 FM-gain growths. On dvs-33k, k = 64 (44 pins per vertex), seeds 1–3 sent 2.4% fewer messages
 * (18 FM-gain tries: 0.8%) for about 1.2× the time, on dvs-5k, k = 64 (23), 1.5% fewer. Where
 * vertices have more pins each try's FM is dearer and the gain went: the U-Net, k = 64 (59),
 * −0.6% on average but +0.6% on seed 1 at twice the time (0.11 → 0.21 of KaHyPar's);
 * spiking_cnn, k = 64 (296), +1.3%. At k = 8 no row gained (docs/partitioning.md, "Eighth pass").
 * The threshold lies between the measured 44 and 59.
 * From POOL_MANY_TRIES_MIN_VERTICES vertices on, 120 tries (KaHyPar's km1 preset runs each pool
 * algorithm 20 times): on dvs-33k (32,778 vertices), k = 64, seeds 1–3 sent 970–974 k messages
 * instead of 989–998 k (1.001–1.005× KaHyPar's, was 1.020–1.029×) for about 2.5× the CPU time, 0.15–0.17 of
 * KaHyPar's. On dvs-5k (5,130) 120 tries took 2.1 s, 0.46 of KaHyPar's time, and seed 1 sent
 * 0.6% more, so graphs that small keep 18; the threshold lies between the two measured sizes.
 */
const POOL_MIN_K = 64;
const POOL_MAX_PINS_PER_VERTEX = 50;
const POOL_MANY_TRIES_MIN_VERTICES = 20_000;

/**
 * Where the pool is off for many pins per vertex (64 ≤ k < 512, balance mode), seven V-cycles down
 * to 20·k vertices, every one run (no stop on a small gain): there the pool's tries cost time for
 * no messages, and the further V-cycles are what brought the U-Net, k = 64, near KaHyPar's. Their
 * k-way FM runs on the finest level above the input only, and each search stops after 16 fruitless
 * moves, not 64: on three levels a cycle it was a third of the U-Net's call and gained 4 of its 48
 * messages on the coarser two, and shorter searches leave more vertices free to start new ones.
 * The bisections' Louvain makes at most 8 local-moving passes a level. Together, on the U-Net,
 * k = 64, seeds 1–12: 1.0% fewer messages on the mean (1.0235 → 1.0157× KaHyPar's on seeds 1–6)
 * for about 0.8× the CPU time; spiking_cnn, k = 64, seeds 1–3: 1.2% fewer, the same time
 * (docs/partitioning.md, "Eleventh pass"). Measured on these two networks only.
 */
const DEEP_VCYCLES = { vcycles: 7, vcycleContraction: 20, vcycleMinGain: 0, vcycleFruitless: 16, louvainPasses: 8 } as const;

/**
 * Where the input carries a layer hint and the first hierarchy clusters (the U-Net, k = 8), the
 * hint keeps the bisections' levels from coarsening, and growth from random seeds on ~3,400
 * vertices is a lottery (the top bisection's 8 tries ranged from 2,236 to 5,012). There each
 * bisection takes two spectral candidates (20 Lanczos steps from two random starts) instead of 8
 * grown tries (growth still runs where no candidate fits), and two initial partitions are made
 * instead of three, recombined (COMBINE below), then one V-cycle: on seeds 1–24, 1.014× KaHyPar's
 * mean messages where main sent 1.065×, in 0.21–0.22 of KaHyPar's CPU time where main took 0.35.
 * Two V-cycles gave 1.008× for about 1.1× the time, and the time goal (a fifth of KaHyPar's) has
 * less room than the message goal (docs/partitioning.md, "Eleventh pass, together").
 * The combination is refined from the input with FM on the finest level above it only, 8
 * fruitless moves a search (`combineFruitless`), leaving the rest to the V-cycle: 1.014× → 1.012×
 * on the same seeds for less time (docs/partitioning.md, "Eleventh pass, speed").
 * The candidates are refined with one FM pass, not up to four, before the better is kept: the
 * kept one gets up to four more as its bisection's level is refined. The same messages within
 * the noise for less time: seeds 1–96, 9,234.2 mean messages against 9,240.5 (seeds 1–48 0.15%
 * fewer, 49–96 0.01% more) in 0.93–0.95× the CPU time; the U-Net at k = 4 / 12 / 16 (seeds
 * 1–16) 0.0% / 0.15% more / 0.14% fewer, dvs_gesture.kiln, k = 8, 0.8% fewer (seeds 1–12), in
 * 0.95–0.96× the time at k ≥ 8 (docs/partitioning.md, "Twelfth pass").
 * The rule acts for 3 ≤ k < 64 (k = 2 has no recursive bisection) on any hypergraph that carries
 * a layer array, whatever its layers; it was measured against growth tries on the U-Net at k = 8
 * only, its candidates' one pass also at k = 4, 12 and 16 and on dvs_gesture.kiln, k = 8.
 */
const SPECTRAL = { tries: 0, spectral: { steps: 20, starts: 2, fmPasses: 1 }, initialRuns: 2, vcycles: 1, combineFruitless: 8 } as const;

/** One sweep: two gave 1.030× for about 1.25× the CPU time (docs/partitioning.md, "Eleventh pass"). */
const COMBINE = { sweeps: 1 } as const;

/**
 * Settings per effort. The numbers come from the measurements in docs/partitioning.md: twin
 * grouping and (λ−1) label propagation carry most of the quality; the k-way FM searches add
 * little on large levels for a lot of time, so they run only where the level is small.
 */
export function engineConfig(effort: PartitionOptions['effort'] = 'default', graph = false, k = 0, nv = Infinity, pinsPerVertex = Infinity, layered = false): { main: EngineConfig; rb: EngineConfig } {
  // From k = 512 on, recursive bisection of a 160·k-vertex coarsest level is most of the run
  // (15 of 20 s at k = 1024 on dvs-1m); 60·k vertices and 4 tries per bisection cost 4% in
  // messages there (docs/partitioning.md). Strong effort keeps the large level.
  const large = !graph && k >= 512 && effort !== 'strong';
  const main: { -readonly [K in keyof EngineConfig]: EngineConfig[K] } = {
    contraction: graph ? 30 : large ? 60 : 160,
    maxShrink: 2.5,
    minShrink: 1.05,
    cluster: { samples: 8, headRatesTargets: false, starNormalized: false, maxRatedNetSize: 4096 },
    // Chunks of a quarter part: 1/8 sent 3% more messages on dvs-5k, k = 64 (437.5 k against
    // 449.6 k); 1/4, 1/2 and whole parts gave the same on every bench network.
    twins: graph ? 0 : 0.25,
    clusterShare: 0.125,
    lpRounds: 5,
    lpMinGain: graph ? 1e-4 : 1e-3,
    fm: effort === 'strong' ? { rounds: 4, seeds: 4, maxFruitless: 128, maxActivationNetSize: 256 } : graph ? { rounds: 3, seeds: 4, maxFruitless: 128, maxActivationNetSize: 256 } : { rounds: 2, seeds: 4, maxFruitless: 64, maxActivationNetSize: 256 },
    // On graphs FM on the finest levels is what matches METIS's cut; on (λ−1) it adds < 1%.
    fmMaxPins: effort === 'fast' ? 0 : effort === 'strong' ? Infinity : graph ? 25_000_000 : 0,
    fm2: { passes: 4, maxFruitless: 200 },
    bisect: { tries: effort === 'fast' ? 6 : 12, fm: { passes: 4, maxFruitless: 200 } },
    initialOnSynapseGraph: false,
    beta: 0,
    // Three V-cycles and the best of three initial partitions: on dvs-33k, k = 8, messages fell
    // from 434 k to 340 k (seed 1), at k = 64 by 2%, for about twice the CPU time
    // (docs/partitioning.md, "Closing the gap to KaHyPar").
    vcycles: graph || effort === 'fast' || large ? 0 : 3,
    vcycleContraction: 40,
    initialRuns: graph || effort === 'fast' || large ? 1 : 3,
    // Heavy-edge clusters of the k-way hierarchy cross good cuts (projecting KaHyPar's U-Net
    // partition, k = 8, onto the first clustered level raised its (λ−1) by 60%); recursive
    // bisection, which coarsens within communities, does better from a finer level: U-Net,
    // k = 8, 1.101 → 1.059× KaHyPar's messages (docs/partitioning.md, "Fifth pass"). Strong
    // effort only: by default it cost dvs-33k, k = 8, 6% more messages and 2× the time.
    minCoarsest: effort === 'strong' && !graph ? 4800 : 0,
    // Flow refinement on the coarse levels took unet_spiking from 1.099× to 1.081× KaHyPar's
    // messages at k = 8 (1.052× → 1.050× at k = 64) but nearly doubled the time there, and
    // moved nothing on dvs-33k, k = 64 (docs/partitioning.md, "Flow refinement").
    flow: effort === 'strong' && !graph ? { maxPairs: 16, rounds: 1, regionShare: 0.25, maxNetSize: 1000 } : undefined,
  };
  // Louvain communities confine the bisections' clusters (KaHyPar's community-aware coarsening,
  // which its km1 preset also runs inside initial partitioning): at k = 64 messages fell by
  // 1.5–7% on all four bench networks (dvs-33k 1.081 → 1.039× KaHyPar's, unet_spiking 1.052 →
  // 1.015×), for 2.5× the CPU time on dvs-33k (still 0.15 of KaHyPar's); in the k-way hierarchy itself they cost
  // 1–5% (docs/partitioning.md, "Fifth pass"). On every bisection at strong effort only: there,
  // at k = 8, Louvain took dvs-5k and spiking_cnn past a fifth of KaHyPar's time. By default
  // only under the rule below, which costs spiking_cnn, k = 8, 0.970 → 0.990× KaHyPar's
  // messages and its first call 0.20 → 0.24 of KaHyPar's time (median 0.14; "Sixth pass").
  const louvain = { maxNetSize: 1000, minMoveShare: 1e-4, maxPasses: 100 };
  const communities = effort === 'strong' && !graph ? louvain : undefined;
  // By default communities pay where the bisections do all the clustering: the first hierarchy
  // stops at the twin level (k = 64 on every bench network, spiking_cnn at k = 8 too), and there
  // one initial partition with communities beat three without in messages and in time on the
  // k = 64 rows (docs/partitioning.md, "Sixth pass"); where the k-way hierarchy clusters first
  // (k = 8) they cost dvs-33k 16% more messages. The rule trades two initial partitions for
  // Louvain, so it is off where only one is made (`run`), and below UNCLUSTERED_MIN_VERTICES.
  if (effort === 'default' && !graph && !large && nv >= UNCLUSTERED_MIN_VERTICES) main.unclustered = { communities: louvain, initialRuns: 1 };
  // pinsPerVertex is Infinity in capacity mode (the mapper), where none of the rules below was measured.
  const hinted = effort === 'default' && !graph && !large && layered && k < POOL_MIN_K && Number.isFinite(pinsPerVertex);
  // Recombining the initial runs (KaHyPar-E's combine) where they are several and the caller gave
  // the layer hint: on the U-Net, k = 8, the six-seed mean fell from 1.050× to 1.033× KaHyPar's
  // messages for 1.14–1.25× the CPU time with growth tries, and with the spectral rule's two runs
  // from 1.020× to 1.014× (seeds 1–12, one V-cycle); on the unhinted dvs-33k, k = 8, seed 3 sent
  // 2.6% more, and at strong effort it cost 1.020 → 1.027× (docs/partitioning.md, "Eleventh
  // pass"). Measured in balance mode at k = 8 only, so it stays there (below POOL_MIN_K, like the
  // spectral rule), and inert where the communities rule or the caller leaves one run.
  if (hinted) main.combine = COMBINE;
  const kway = effort === 'default' && !graph && !large && k >= POOL_MIN_K && Number.isFinite(pinsPerVertex);
  const pool = kway && pinsPerVertex <= POOL_MAX_PINS_PER_VERTEX;
  if (kway && !pool) {
    const { vcycles, vcycleContraction, vcycleMinGain, vcycleFruitless, louvainPasses } = DEEP_VCYCLES;
    Object.assign(main, { vcycles, vcycleContraction, vcycleMinGain, vcycleFruitless });
    if (main.unclustered) main.unclustered = { ...main.unclustered, communities: { ...louvain, maxPasses: louvainPasses } };
  }
  const bisect = pool ? { ...main.bisect, tries: nv >= POOL_MANY_TRIES_MIN_VERTICES ? 120 : 18, pool: ['fm', 'bfs', 'max-net', 'max-pin', 'random', 'lp'] as const } : { ...main.bisect, tries: effort === 'fast' || large ? 4 : 8 };
  if (hinted) {
    const { tries, spectral, initialRuns, vcycles, combineFruitless } = SPECTRAL;
    main.spectral = { bisect: { tries, spectral }, initialRuns, vcycles, combineFruitless };
  }
  // The communities, spectral and combine rules and the V-cycles' FM stop are the k-way level's
  // choices of how its bisections run, not settings of theirs (a bisection makes none of them).
  const rb: EngineConfig = { ...main, unclustered: undefined, spectral: undefined, combine: undefined, vcycleFruitless: undefined, contraction: 80, minCoarsest: 0, bisect, communities };
  return { main, rb };
}

/** Overrides of the engine settings, for experiments and tuning (not part of the stable API). */
export interface EngineTuning {
  readonly main?: Partial<EngineConfig>;
  readonly rb?: Partial<EngineConfig>;
}

type Engine = (main: EngineConfig, rb: EngineConfig, rng: Rng) => MultilevelOutcome;

/**
 * Each part's load per dimension, refused when one passes its limit. Apart from `run`: as its
 * loop the whole of `run` was optimised, and the next call's new settings objects threw that code
 * away (a recompilation of 5–25 ms every call).
 */
function checkedLoads(part: Int32Array, c: Constraints, k: number): Float64Array {
  const { d, limits, dims } = c;
  const loads = partLoads(part, c.w, d, k);
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < d; j++) {
      const load = loads[p * d + j]!;
      const lim = limits[p * d + j]!;
      if (load > lim) {
        throw infeasible(`could not keep part ${p} within its ${dims[j]} limit (${load} > ${lim})`, `the vertices may not pack into ${k} parts; add parts or raise the ${dims[j]} limit`);
      }
    }
  }
  return loads;
}

/** `offset` is added to the reported objective (the host messages' constant part, see partitionHypergraph). */
function run(nv: number, engine: Engine, c: Constraints, opts: PartitionOptions, t0: number, graph: boolean, tuning: EngineTuning, offset = 0, pins = Infinity, layered = false): PartitionResult {
  const k = opts.k;
  // The pool was measured in balance mode only; capacity mode (the mapper) keeps FM-gain growth.
  const base = engineConfig(opts.effort, graph, k, nv, opts.capacity ? Infinity : pins / nv, layered);
  // The communities rule pays for Louvain with the initial partitions it drops: a caller that
  // asks for its own number of them (the mapper's one: with the rule it sent 1.3% more messages
  // on spiking_cnn and dvs_large, and took 7–12% more CPU time on dvs_large though 10–16% less on
  // spiking_cnn) gets that number and no rule, unless it sets the rule itself. The spectral rule
  // sets its own runs and V-cycles; a caller's counts replace them and keep its candidates (a
  // tuning of the runs measures the rule's bisections, not the growth tries it replaced).
  const own = tuning.main ?? {};
  const ownRuns = own.initialRuns !== undefined;
  const main = { ...base.main, ...(ownRuns && !('unclustered' in own) ? { unclustered: undefined } : {}), ...own };
  if (main.spectral && !('spectral' in own)) {
    main.spectral = { ...main.spectral, ...(ownRuns ? { initialRuns: own.initialRuns! } : {}), ...(own.vcycles !== undefined ? { vcycles: own.vcycles } : {}) };
  }
  const rb = { ...base.rb, ...tuning.rb };
  const out = engine(main, rb, new Rng(opts.seed ?? 1));
  const loads = checkedLoads(out.part, c, k);
  const total = performance.now() - t0;
  return { parts: out.part, k, objective: out.objective + offset, dims: c.dims, partLoads: loads, limits: c.limits, levels: out.levels, timeMs: { ...out.timeMs, total } };
}

/**
 * Minimises the spike messages of a net-per-presynaptic-neuron hypergraph: (λ−1) per net with a
 * source, λ per sourceless net. The two differ by w(e) whatever the partition, so the engine
 * optimises (λ−1) throughout and the reported objective adds the sourceless nets' weight back —
 * it equals scorePartition's spikeMessages.
 */
export function partitionHypergraph(h: Hypergraph, opts: PartitionOptions, tuning: EngineTuning = {}): PartitionResult {
  const t0 = performance.now();
  const c = resolveConstraints(h.nv, opts, h.vwgt, 1);
  let hostMessages = 0;
  if (h.sourceless) {
    if (h.sourceless.length !== h.ne) {
      throw new KilnError(error('partition-options', `the hypergraph flags ${h.sourceless.length} nets as sourceless or not, but has ${h.ne} nets`, undefined, 'give one sourceless flag per net (1 = spikes from the host)'));
    }
    for (let e = 0; e < h.ne; e++) if (h.sourceless[e] && h.eptr[e + 1]! > h.eptr[e]! && h.ewgt?.[e] !== 0) hostMessages += h.ewgt ? h.ewgt[e]! : 1;
  }
  if (h.layer && h.layer.length !== h.nv) {
    throw new KilnError(error('partition-options', `the hypergraph gives the layer of ${h.layer.length} vertices, but has ${h.nv}`, undefined, 'give one layer id per vertex, or leave the hint out'));
  }
  // Clusters that span layers are numbered above the real ids, which must leave room in int32.
  const badLayer = h.layer ? h.layer.findIndex((l) => l < 0 || l >= 2 ** 30) : -1;
  if (badLayer >= 0) {
    throw new KilnError(error('partition-options', `vertex ${badLayer} has layer id ${h.layer![badLayer]}, outside [0, 2^30)`, undefined, 'number the layers 0, 1, 2, …'));
  }
  const eh = fromHypergraph(h, c.w, c.d, opts.firstPinIsSource ?? true);
  return run(h.nv, (main, rb, rng) => multilevelPartition(eh, opts.k, c.limits, rng, main, rb), c, opts, t0, false, tuning, hostMessages, h.pins.length, h.layer !== undefined);
}

/** Minimises the edge cut (each undirected edge once, as gpmetis counts it). */
export function partitionGraph(g: Graph, opts: PartitionOptions, tuning: EngineTuning = {}): PartitionResult {
  const t0 = performance.now();
  const c = resolveConstraints(g.nv, opts, g.vwgt, g.ncon);
  const eg = engineGraphOf(g, c.w, c.d);
  return run(g.nv, (main, rb, rng) => multilevelGraph(eg, opts.k, c.limits, rng, main, rb), c, opts, t0, true, tuning);
}

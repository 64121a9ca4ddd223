/**
 * A spiking network mapped onto a neuromorphic target: neurons → cores under every per-core limit
 * (map-cores.ts), cores → chips → tiles (place-cores.ts), with the firing rates that weighted
 * the partition. The cost model prices it; `kiln partition` writes it out. Mappings are cached
 * per module object, since an estimate, a lowered program and a report may ask for the same one.
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Module } from '../../compiler/ir/module.ts';
import type { NeuromorphicConfig } from './config.ts';
import { mapToCores, type CoreMap } from './map-cores.ts';
import type { CoreUse } from './mapping.ts';
import { layeredHypergraph, neuronGraph, type BlockLimits, type NeuronGraph } from './neuron-graph.ts';
import { indexBits, type SynapseNets } from './core-use.ts';
import type { Hypergraph } from './partition/index.ts';
import { placeCores, placeInOrder, type CorePlacement } from './place-cores.ts';
import { SpikingGraphError } from './populations.ts';
import { resolveRates, type RateOptions, type ResolvedRates } from './rates.ts';
import { vertexWork } from './vertex-work.ts';

export interface NetworkMapping {
  graph: NeuronGraph;
  hypergraph: Hypergraph & SynapseNets & { sourceless: Uint8Array; vwgt: Float64Array; pinSynapses: Float64Array; mult: Float64Array };
  /** Population index of every vertex. */
  vertexPopulation: Int32Array;
  rates: ResolvedRates;
  cores: CoreMap;
  placement: CorePlacement;
  limits: CoreUse;
  seconds: { graph: number; partition: number; place: number };
}

export interface MapNetworkOptions extends RateOptions {
  seed?: number;
  /** `greedy`: layer-order fill and chip-by-chip placement (nengo-loihi's Greedy), the baseline. */
  strategy?: 'partition' | 'greedy';
  effort?: 'fast' | 'default' | 'strong';
  /** Multi-chip partitions: chips first (default), or flat k-way packed by placement. */
  hierarchy?: 'chips-first' | 'flat';
  /** Spread the work over this many cores, balancing each core's busy time (map-cores.ts). */
  spreadCores?: number;
  progress?: (message: string) => void;
}

export function limitsOf(cfg: NeuromorphicConfig): CoreUse {
  return { neurons: cfg.limits.neurons, input_axons: cfg.limits.inputAxons, output_axons: cfg.limits.outputAxons, synapse_words: cfg.limits.synapseWords };
}

function checkGeometry(cfg: NeuromorphicConfig): void {
  const perChip = cfg.tileMesh[0] * cfg.tileMesh[1] * cfg.coresPerTile;
  if (perChip < cfg.coresPerChip) {
    throw new KilnError(error('target', `\`${cfg.name}\` has ${cfg.coresPerChip} cores per chip but its ${cfg.tileMesh[0]} x ${cfg.tileMesh[1]} tile mesh of ${cfg.coresPerTile} cores holds only ${perChip}`, undefined, 'make tile_mesh × cores_per_tile at least cores_per_chip'));
  }
  if (cfg.chipMesh[0] * cfg.chipMesh[1] < cfg.chips) {
    throw new KilnError(error('target', `\`${cfg.name}\` has ${cfg.chips} chips but a ${cfg.chipMesh[0]} x ${cfg.chipMesh[1]} chip mesh`, undefined, 'make chip_mesh hold every chip'));
  }
}

/**
 * Blocks of at most 1/8 of a core's neurons and synapse memory, so the partitioner can still
 * balance cores; the engine groups twins in chunks of 1/8 of a part for the same reason.
 */
export function blockLimits(cfg: NeuromorphicConfig): BlockLimits {
  const bitsPerSynapse = cfg.weightBits + indexBits(cfg.limits.neurons);
  return { maxNeurons: Math.max(1, Math.floor(cfg.limits.neurons / 8)), maxSynapses: Math.max(1, Math.floor((cfg.limits.synapseWords * 64) / bitsPerSynapse / 8)) };
}

/**
 * Blocks for spreading over `cores`: at most 1/8 of a core's share of the neurons and synapses,
 * as blockLimits does for a full core, so the partitioner can still balance the cores' work.
 * Narrow weights make a full core's blocks larger (more synapses fit), which would otherwise
 * stop their work from spreading as far as wide weights' does.
 */
function spreadBlocks(g: NeuronGraph, full: BlockLimits, cores: number): BlockLimits {
  const neurons = g.vwgt.reduce((a, b) => a + b, 0);
  const share = (total: number, cap: number) => Math.max(1, Math.min(cap, Math.floor(total / (8 * cores))));
  return { maxNeurons: share(neurons, full.maxNeurons!), maxSynapses: share(g.synapses, full.maxSynapses!) };
}

/**
 * Whether the partitioner gets the populations as its layer hint (Hypergraph.layer): only across a
 * skip connection, a population that feeds two layers one of which also reaches the other. In a
 * plain conv stack the clusters that join a neuron block to its sources and targets are columns
 * through the layers, which is what a good core holds; the hint split them and sent more messages
 * (spiking_cnn on loihi_1chip 3,876 → 3,919 per step). Across a skip they tie encoder and decoder
 * blocks of one position together, and the hint's finer levels cut better: the spiking U-Net on
 * loihi_32chip sent 3,061 → 2,817 (docs/partitioning.md, "Ninth pass"). Parallel branches and two
 * readout heads also fan out, but nothing joins them again, so there is no tie for the hint to
 * keep; they were not measured and stay without it.
 */
export function hasSkips(g: NeuronGraph): boolean {
  const targets = new Map<string, Set<string>>();
  for (const p of g.projections) targets.set(p.from, (targets.get(p.from) ?? new Set()).add(p.to));
  const reach = new Map<string, Set<string>>();
  const reachable = (from: string): Set<string> => {
    let out = reach.get(from);
    if (out) return out;
    out = new Set();
    reach.set(from, out);
    for (const t of targets.get(from) ?? []) { out.add(t); for (const u of reachable(t)) out.add(u); }
    return out;
  };
  return g.populations.some((p) => {
    const ts = [...(targets.get(p.name) ?? [])];
    return !p.source && ts.some((a) => ts.some((b) => a !== b && reachable(a).has(b)));
  });
}

const cache = new WeakMap<Module, Map<string, NetworkMapping>>();

export function mapNetwork(m: Module, cfg: NeuromorphicConfig, opts: MapNetworkOptions = {}): NetworkMapping {
  const key = JSON.stringify([cfg, opts.seed, opts.effort, opts.strategy, opts.hierarchy, opts.spreadCores, opts.defaultRate, opts.rates, opts.neuronRates ? Object.keys(opts.neuronRates) : null]);
  const hit = opts.neuronRates ? undefined : cache.get(m)?.get(key);
  if (hit) return hit;
  checkGeometry(cfg);
  const t0 = performance.now();
  let graph: NeuronGraph;
  try {
    graph = neuronGraph(m, blockLimits(cfg));
    if (opts.spreadCores) graph = neuronGraph(m, spreadBlocks(graph, blockLimits(cfg), opts.spreadCores));
  } catch (e) {
    if (e instanceof SpikingGraphError) throw new KilnError(error('unsupported', `${m.name} cannot run on \`${cfg.name}\`: ${e.message}`));
    throw e;
  }
  const rates = resolveRates(graph, opts);
  const { mult, pinSynapses } = graph.nets;
  // Each layer's synapses at its own width, up to the widest the network needs (cfg.weightBits).
  const pinBits = graph.nets.pinBits.map((b) => Math.min(b, cfg.weightBits));
  const { layer: vertexPopulation, ...nets } = layeredHypergraph(graph, rates.net);
  const hypergraph = { ...nets, mult, pinSynapses, vwgt: graph.vwgt, pinBits, ...(hasSkips(graph) ? { layer: vertexPopulation } : {}) };
  const t1 = performance.now();
  const limits = limitsOf(cfg);
  const cores = mapToCores(hypergraph, limits, cfg.weightBits, {
    seed: opts.seed, effort: opts.effort, strategy: opts.strategy, hierarchy: opts.hierarchy, coresPerChip: cfg.coresPerChip,
    ...(opts.spreadCores ? { spread: { cores: opts.spreadCores, work: vertexWork(hypergraph, rates, cfg) } } : {}), available: cfg.chips * cfg.coresPerChip, targetName: cfg.name, progress: opts.progress,
    describe: (v) => { const p = graph.populations[vertexPopulation[v]!]!; return { layer: p.layer ?? p.name, loc: p.loc }; },
  });
  const t2 = performance.now();
  opts.progress?.(`placing ${cores.k} cores on chips and tiles`);
  const placement = opts.strategy === 'greedy' ? placeInOrder(cores.k, cfg) : placeCores(hypergraph, cores.parts, cores.k, cfg, opts.seed ?? 1, cores.chipGroup);
  const t3 = performance.now();
  const result: NetworkMapping = { graph, hypergraph, vertexPopulation, rates, cores, placement, limits, seconds: { graph: (t1 - t0) / 1e3, partition: (t2 - t1) / 1e3, place: (t3 - t2) / 1e3 } };
  if (!opts.neuronRates) {
    if (!cache.has(m)) cache.set(m, new Map());
    cache.get(m)!.set(key, result);
  }
  return result;
}

/** Cores of each population, and the most neurons of it on one core. */
export function populationCores(mp: NetworkMapping): { cores: Set<number>; maxNeurons: number }[] {
  const out = mp.graph.populations.map(() => ({ cores: new Set<number>(), maxNeurons: 0 }));
  const count = new Map<number, number>();
  for (let v = 0; v < mp.graph.nv; v++) {
    const p = mp.vertexPopulation[v]!;
    const c = mp.cores.parts[v]!;
    out[p]!.cores.add(c);
    const key = p * mp.cores.k + c;
    const n = (count.get(key) ?? 0) + mp.graph.vwgt[v]!;
    count.set(key, n);
    if (n > out[p]!.maxNeurons) out[p]!.maxNeurons = n;
  }
  return out;
}


/**
 * A hypergraph read from an hMETIS file mapped like a network: one net per presynaptic neuron
 * (its first pin), weight = that neuron's rate; vertex weights are neurons. Every vertex is a
 * population of its own kind ("vertices"); a vertex's rate is the weight of the nets it sources.
 */
export function mapHypergraphInput(h: Hypergraph, cfg: NeuromorphicConfig, opts: Pick<MapNetworkOptions, 'seed' | 'effort' | 'hierarchy' | 'progress'> = {}): NetworkMapping {
  checkGeometry(cfg);
  const t0 = performance.now();
  const vwgt = h.vwgt ?? new Float64Array(h.nv).fill(1);
  const ewgt = h.ewgt ?? new Float64Array(h.ne).fill(1);
  const pinSynapses = new Float64Array(h.pins.length).fill(1);
  const vertexRate = new Float64Array(h.nv);
  for (let e = 0; e < h.ne; e++) {
    pinSynapses[h.eptr[e]!] = 0;
    vertexRate[h.pins[h.eptr[e]!]!]! += ewgt[e]!;
  }
  const neurons = vwgt.reduce((a, b) => a + b, 0);
  const graph: NeuronGraph = {
    populations: [{ name: 'vertices', neurons, source: false, shape: [h.nv], offset: 0, blocks: h.nv, group: 1, columns: false }],
    nv: h.nv, vwgt,
    nets: {
      population: new Int32Array(h.ne), eptr: h.eptr, pins: h.pins, pinSynapses, pinBits: new Float64Array(h.pins.length).fill(cfg.weightBits), sourceless: new Uint8Array(h.ne), mult: new Float64Array(h.ne).fill(1),
      memberPtr: Int32Array.from({ length: h.ne + 1 }, (_, i) => i), members: Int32Array.from({ length: h.ne }, (_, i) => i),
    },
    synapses: h.pins.length - h.ne, projections: [],
  };
  const hypergraph = { nv: h.nv, ne: h.ne, eptr: h.eptr, pins: h.pins, ewgt, sourceless: graph.nets.sourceless, mult: graph.nets.mult, pinSynapses, vwgt };
  const rates: ResolvedRates = { vertex: vertexRate, net: ewgt, source: { vertices: 'net weights' }, mean: {}, warnings: [] };
  const limits = limitsOf(cfg);
  const t1 = performance.now();
  const cores = mapToCores(hypergraph, limits, cfg.weightBits, {
    seed: opts.seed, effort: opts.effort, hierarchy: opts.hierarchy, coresPerChip: cfg.coresPerChip, available: cfg.chips * cfg.coresPerChip, targetName: cfg.name, progress: opts.progress,
    describe: (v) => ({ layer: `vertex ${v + 1}` }),
  });
  const t2 = performance.now();
  opts.progress?.(`placing ${cores.k} cores on chips and tiles`);
  const placement = placeCores(hypergraph, cores.parts, cores.k, cfg, opts.seed ?? 1, cores.chipGroup);
  const t3 = performance.now();
  return { graph, hypergraph, vertexPopulation: new Int32Array(h.nv), rates, cores, placement, limits, seconds: { graph: (t1 - t0) / 1e3, partition: (t2 - t1) / 1e3, place: (t3 - t2) / 1e3 } };
}

/**
 * Neurons → cores under every per-core limit. The partitioner needs additive per-neuron loads,
 * but input axons, output axons and synapse words depend on which neurons end up together, so
 * this partitions with estimates (each net's axon shared among the targets a core could hold),
 * counts the exact use (core-use.ts) and splits the cores that are still over (split-cores.ts).
 * Re-partitioning with corrected estimates was tried first: the per-core error moved with the
 * partition, and on spiking_cnn it took 5–7 rounds, 33–47 s and ended at 3–7× the cores needed.
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Loc } from '../../compiler/lang/ast.ts';
import { partitionHypergraph, type EngineTuning } from './partition/partitioner.ts';
import { scorePartition } from './partition/score.ts';
import { fitCoreGroups } from './partition/chip-fit.ts';
import { isInfeasible } from './partition/constraints.ts';
import { partitionHierarchical } from './partition/hierarchy.ts';
import type { Hypergraph } from './partition/types.ts';
import { axonWords, bitsAt, coreUse, indexBits, LIMIT_NAMES, type CoreUseTable, type SynapseNets } from './core-use.ts';
import { splitOverfullCores } from './split-cores.ts';
import type { CoreUse } from './mapping.ts';

export interface CoreMapOptions {
  seed?: number;
  effort?: 'fast' | 'default' | 'strong';
  /** Fraction of each limit the partition aims for (headroom for the estimates' error); default 0.8. */
  fill?: number;
  /** Cores available (chips × cores per chip); more needed is an error. */
  available: number;
  /** What the target is called, for errors. */
  targetName: string;
  /** The layer a vertex belongs to, for errors. */
  describe: (v: number) => { layer: string; loc?: Loc };
  progress?: (message: string) => void;
  /**
   * `partition` (default): minimise spike messages with the multilevel partitioner. `greedy`:
   * fill cores with neurons in layer order, as nengo-loihi's Greedy allocator does — the
   * baseline the partitioner is measured against.
   */
  strategy?: 'partition' | 'greedy';
  /**
   * Cores per chip. When the network needs more cores than one chip has, the partition goes
   * chips first, then cores within each chip (partition/hierarchy.ts), so that the messages
   * across chips — 0.83 nJ each against pJ on a chip — are what the first cut minimises.
   */
  coresPerChip?: number;
  /** `chips-first` (default when coresPerChip is given) or `flat`: k cores at once, packed onto chips by placement. */
  hierarchy?: 'chips-first' | 'flat';
  /**
   * Spread the work over this many cores instead of packing them tight: `work` is each vertex's
   * busy time per step, and no core gets more than its share of the total (with the slack the
   * partitioner needs, and at least the largest vertex), so the busiest core, which sets the
   * time step, has less to do. The cost model decides when that pays (cost.ts).
   */
  spread?: { cores: number; work: Float64Array };
}

export interface CoreMap {
  k: number;
  /** Core of every vertex. */
  parts: Int32Array;
  use: CoreUseTable;
  /** Cores added by splitting over-full ones after the first partition. */
  splits: number;
  /** (λ−1) spike messages the partitioner reached, rate-weighted. */
  objective: number;
  /**
   * Chips-first mappings: the chip group of every core (cores of a group go on one chip). Absent
   * when the partition was flat; placement then groups the cores itself.
   */
  chipGroup?: Int32Array;
  /** Set when the work was spread (cost.ts): the cores the tightest packing used. */
  spread?: { packed: number };
}

/**
 * A coarsest level of 40·k vertices instead of the engine's 160·k: networks of a few thousand
 * neurons were otherwise not coarsened at all, and recursive bisection of spiking_cnn's 2.65 M
 * pins took 6.5 s of the 7.4 s; with 40·k the call took 1.5 s and sent 6% fewer messages.
 * One initial partition and no V-cycles unless the effort is `strong`: the mapper's hypergraphs
 * are small block graphs that split repair changes afterwards, and the engine's best of three
 * with three V-cycles cost 2.3–3.4× the CPU time for 2.6% fewer messages on spiking_cnn
 * (loihi_1chip, 67 cores) and none on dvs_large (loihi_32chip, 756 cores, chips first), while the
 * mapping tests spent 41–46% more CPU time (docs/neuromorphic-mapping.md).
 */
export const MAPPING_TUNING: EngineTuning = { main: { contraction: 40, initialRuns: 1, vcycles: 0 } };
const STRONG_MAPPING_TUNING: EngineTuning = { main: { contraction: 40 } };

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Per-neuron load estimates. A net's input axon and its 10-bit header are shared by the targets
 * one core holds, and a source pays one output axon per core its targets fill; both depend on how
 * many neurons of a layer fit on a core, which depends on the estimates — so a few fixed-point
 * rounds, starting from a full core of neurons. Measured on spiking_cnn, the first guess (a core
 * of 1,024) under-estimated output axons 2.5–3.6×; three rounds bring the first partition to
 * within 1.5× of the exact use.
 */
function initialEstimates(h: SynapseNets, limits: CoreUse, weightBits: number, fill: number): Float64Array {
  const d = LIMIT_NAMES.length;
  const lim = LIMIT_NAMES.map((n) => limits[n] * fill);
  const est = new Float64Array(h.nv * d);
  const vw = (v: number) => (h.vwgt ? h.vwgt[v]! : 1);
  // Vertices of each kind one core could hold, refined round by round.
  const cap = Float64Array.from({ length: h.nv }, (_, v) => limits.neurons / vw(v));
  const perSynapse = (i: number) => (bitsAt(h, i, weightBits) + indexBits(limits.neurons)) / 64;
  for (let round = 0; round < 3; round++) {
    est.fill(0);
    for (let v = 0; v < h.nv; v++) est[v * d] = vw(v);
    for (let e = 0; e < h.ne; e++) {
      const hasSource = !h.sourceless?.[e];
      const first = h.eptr[e]! + (hasSource ? 1 : 0);
      const targets = h.eptr[e + 1]! - first;
      const mult = h.mult ? h.mult[e]! : 1;
      let cores = 0, capSum = 0;
      for (let i = first; i < h.eptr[e + 1]!; i++) { cores += 1 / cap[h.pins[i]!]!; capSum += cap[h.pins[i]!]!; }
      const share = mult / Math.max(1, Math.min(targets, capSum / targets));
      for (let i = first; i < h.eptr[e + 1]!; i++) {
        const v = h.pins[i]!;
        est[v * d + 1]! += share;
        est[v * d + 3]! += mult * (h.pinSynapses ? h.pinSynapses[i]! : 1) * perSynapse(i) + share * (10 / 64 + 0.5);
      }
      if (hasSource) est[h.pins[h.eptr[e]!]! * d + 2]! += mult * Math.max(1, cores);
    }
    for (let v = 0; v < h.nv; v++) {
      let c = Infinity;
      for (let j = 0; j < d; j++) if (est[v * d + j]! > 0) c = Math.min(c, lim[j]! / est[v * d + j]!);
      cap[v] = Math.max(1, c);
    }
  }
  return est;
}

/**
 * What every vertex needs on a core of its own — the least any core holding it needs: its input
 * axons and synapse words, and output axons for at least as many cores as its targets' neurons fill.
 */
function aloneUse(h: SynapseNets, weightBits: number, neuronsPerCore: number): { axons: Float64Array; words: Float64Array; outputs: Float64Array } {
  const axons = new Float64Array(h.nv), words = new Float64Array(h.nv), outputs = new Float64Array(h.nv);
  for (let e = 0; e < h.ne; e++) {
    const mult = h.mult ? h.mult[e]! : 1;
    if (!h.sourceless?.[e]) {
      let neurons = 0;
      for (let i = h.eptr[e]! + 1; i < h.eptr[e + 1]!; i++) neurons += h.vwgt ? h.vwgt[h.pins[i]!]! : 1;
      outputs[h.pins[h.eptr[e]!]!]! += mult * Math.ceil(neurons / neuronsPerCore);
    }
    for (let i = h.eptr[e]! + (h.sourceless?.[e] ? 0 : 1); i < h.eptr[e + 1]!; i++) {
      const v = h.pins[i]!;
      axons[v]! += mult;
      words[v]! += mult * axonWords(h.pinSynapses ? h.pinSynapses[i]! : 1, h.vwgt ? h.vwgt[v]! : 1, bitsAt(h, i, weightBits));
    }
  }
  return { axons, words, outputs };
}

function checkSingleNeurons(h: SynapseNets, limits: CoreUse, weightBits: number, opts: CoreMapOptions): void {
  const { axons, words, outputs } = aloneUse(h, weightBits, limits.neurons);
  for (let v = 0; v < h.nv; v++) {
    const w = h.vwgt ? h.vwgt[v]! : 1;
    if (w > limits.neurons) throw new KilnError(error('capacity', `vertex ${v + 1} weighs ${fmt(w)} neurons; a core holds ${fmt(limits.neurons)}`, undefined, 'split the vertex: give vertex weights of at most one core'));
    if (axons[v]! > limits.input_axons) {
      const { layer, loc } = opts.describe(v);
      throw new KilnError(error('capacity', `\`${layer}\` needs ${fmt(axons[v]!)} input axons on one core; the limit is ${fmt(limits.input_axons)}: split its input channels or lower its fan-in`, loc));
    }
    if (outputs[v]! > limits.output_axons) {
      const { layer, loc } = opts.describe(v);
      throw new KilnError(error('capacity', `\`${layer}\` needs ${fmt(outputs[v]!)} output axons on one core: its neurons' targets fill at least that many cores of ${fmt(limits.neurons)} neurons; the limit is ${fmt(limits.output_axons)}`, loc, 'make the next layer smaller, or use a target with more output axons per core'));
    }
    if (words[v]! > limits.synapse_words) {
      const { layer, loc } = opts.describe(v);
      throw new KilnError(error('capacity', `\`${layer}\` needs ${fmt(words[v]!)} words of synapse memory on one core; the limit is ${fmt(limits.synapse_words)}: lower weight_bits or its fan-in`, loc));
    }
  }
}

function needed(est: Float64Array, limits: number[], fill: number): number {
  const d = limits.length;
  let k = 1;
  for (let j = 0; j < d; j++) {
    let total = 0;
    for (let i = j; i < est.length; i += d) total += est[i]!;
    k = Math.max(k, Math.ceil(total / (limits[j]! * fill)));
  }
  return k;
}

function tooMany(k: number, opts: CoreMapOptions, room = opts.available): KilnError {
  const where = room === opts.available ? `cores of \`${opts.targetName}\`` : `cores that whole chips of ${fmt(opts.coresPerChip!)} hold on \`${opts.targetName}\``;
  return new KilnError(error('capacity', `the network needs at least ${fmt(k)} cores, more than the ${fmt(room)} ${where}`, undefined, 'use a target with more chips (e.g. loihi_32chip or --chips N), or a smaller network'));
}

/** Vertices in order, a new core whenever the next would pass a (scaled) limit by the estimates. */
function orderedFill(est: Float64Array, lim: number[]): { parts: Int32Array; k: number; objective: number } {
  const d = lim.length;
  const parts = new Int32Array(est.length / d);
  const load = new Float64Array(d);
  let core = 0;
  for (let v = 0; v < parts.length; v++) {
    let fits = true;
    for (let j = 0; j < d; j++) if (load[j]! > 0 && load[j]! + est[v * d + j]! > lim[j]!) fits = false;
    if (!fits) { core++; load.fill(0); }
    for (let j = 0; j < d; j++) load[j]! += est[v * d + j]!;
    parts[v] = core;
  }
  return { parts, k: core + 1, objective: NaN };
}

/** A core over a limit even after splitting holds one block that is too much on its own. */
function stillOver(h: SynapseNets, split: { k: number; parts: Int32Array; use: CoreUseTable }, lim: number[], opts: CoreMapOptions): KilnError {
  for (let c = 0; c < split.k; c++) {
    const j = LIMIT_NAMES.findIndex((n, i) => split.use[n][c]! > lim[i]!);
    if (j < 0) continue;
    const v = split.parts.indexOf(c);
    const { layer, loc } = opts.describe(v);
    const name = LIMIT_NAMES[j]!.replace('_', ' ');
    return new KilnError(error('capacity', `a core holding neurons of \`${layer}\` needs ${fmt(split.use[LIMIT_NAMES[j]!][c]!)} ${name} even after splitting; the limit of \`${opts.targetName}\` is ${fmt(lim[j]!)}`, loc,
      name === 'output axons' ? 'each of its neurons reaches many cores of the next layer: make that layer smaller or its neurons fewer per core' : 'lower its fan-in, or use a target with larger per-core limits'));
  }
  return new KilnError(error('capacity', `cores stay over a limit of \`${opts.targetName}\` after splitting`));
}

/** The capacity spec with the work per step as one more resource, capped at a core's share of it. */
function withWork(c: { names: readonly string[]; perVertex: Float64Array; limits: number[] }, spread: CoreMapOptions['spread']): { names: readonly string[]; perVertex: Float64Array; limits: number[] } {
  if (!spread) return c;
  const d = c.names.length;
  const nv = c.perVertex.length / d;
  const perVertex = new Float64Array(nv * (d + 1));
  let total = 0, largest = 0;
  for (let v = 0; v < nv; v++) {
    for (let j = 0; j < d; j++) perVertex[v * (d + 1) + j] = c.perVertex[v * d + j]!;
    const w = spread.work[v]!;
    perVertex[v * (d + 1) + d] = w;
    total += w;
    largest = Math.max(largest, w);
  }
  // 10 % above the even share, the slack the packing's core count also gets.
  return { names: [...c.names, 'work'], perVertex, limits: [...c.limits, Math.max(largest, (1.1 * total) / spread.cores)] };
}

/** Renumber cores so that the used ones are 0..k-1 in order of first appearance. */
function compact(parts: Int32Array, k: number): number {
  const id = new Int32Array(k).fill(-1);
  let next = 0;
  for (let v = 0; v < parts.length; v++) {
    const p = parts[v]!;
    if (id[p] === -1) id[p] = next++;
    parts[v] = id[p]!;
  }
  return next;
}

export function mapToCores(h: SynapseNets & Pick<Hypergraph, 'ewgt' | 'layer'>, limits: CoreUse, weightBits: number, opts: CoreMapOptions): CoreMap {
  checkSingleNeurons(h, limits, weightBits, opts);
  const lim = LIMIT_NAMES.map((n) => limits[n]);
  const fill = opts.fill ?? 0.8;
  const est = initialEstimates(h, limits, weightBits, fill);
  // Packing to 100% of the (scaled) limits often fails in the engine after seconds of work;
  // 10% spare cores costs little, since splitting adds cores anyway where estimates were low.
  let k = Math.ceil(needed(est, lim, fill) * 1.1);
  const capacity = withWork({ names: LIMIT_NAMES as readonly string[], perVertex: est, limits: lim.map((l) => l * fill) }, opts.spread);
  if (opts.spread) k = Math.max(k, opts.spread.cores);
  const tuning = opts.effort === 'strong' ? STRONG_MAPPING_TUNING : MAPPING_TUNING;
  const hyper: Hypergraph = { nv: h.nv, ne: h.ne, eptr: h.eptr, pins: h.pins, ewgt: h.ewgt, ...(h.sourceless ? { sourceless: h.sourceless } : {}), ...(h.layer ? { layer: h.layer } : {}) };
  for (;;) {
    // The greedy fill decides its own core count; only the result is checked against the board.
    if (opts.strategy !== 'greedy' && k > opts.available) throw tooMany(k, opts);
    const chips = opts.strategy !== 'greedy' && opts.hierarchy !== 'flat' && opts.coresPerChip ? Math.ceil(k / opts.coresPerChip) : 1;
    opts.progress?.(`${opts.strategy === 'greedy' ? 'filling cores in order with' : 'partitioning'} ${fmt(h.nv)} neurons${opts.strategy === 'greedy' ? '' : ` into ${fmt(k)} cores${chips > 1 ? ` on ${chips} chips, chips first` : ''}`}`);
    try {
      let r: { parts: Int32Array; k: number; objective: number; chipOf?: Int32Array };
      if (opts.strategy === 'greedy') r = orderedFill(est, lim.map((l) => l * fill));
      else if (chips > 1) {
        // Every chip gets the same share of the cores, so each keeps spare cores for the splits below.
        const perChip = Math.ceil(k / chips);
        const hr = partitionHierarchical(hyper, { k: chips * perChip, coresPerChip: perChip, seed: opts.seed ?? 1, effort: opts.effort, capacity, countOnRefusal: false }, tuning);
        r = { parts: hr.parts, k: hr.k, objective: scorePartition({ hypergraph: hyper }, hr.parts, { k: hr.k }).spikeMessages!, chipOf: hr.chipOf };
      } else r = partitionHypergraph(hyper, { k, seed: opts.seed ?? 1, effort: opts.effort, capacity }, tuning);
      const split = splitOverfullCores(h, r.parts, r.k, lim, weightBits, { seed: opts.seed, progress: opts.progress });
      if (split.overfull > 0) throw stillOver(h, split, lim, opts);
      const kUsed = compact(split.parts, split.k);
      // Cores in chip groups must also fit whole chips; fitCoreGroups relies on this check.
      const wholeChips = r.chipOf ? Math.floor(opts.available / opts.coresPerChip!) : 0;
      const room = r.chipOf ? wholeChips * opts.coresPerChip! : opts.available;
      if (kUsed > room) throw tooMany(kUsed, opts, room);
      // Compaction renumbers cores, so the use table is counted again in the new numbering.
      const use = coreUse(h, split.parts, kUsed, weightBits);
      let chipGroup: Int32Array | undefined;
      if (r.chipOf) {
        // A split core stays in its chip's group: vertex by vertex, the new core inherits the chip of the old.
        chipGroup = new Int32Array(kUsed);
        for (let v = 0; v < h.nv; v++) chipGroup[split.parts[v]!] = r.chipOf[r.parts[v]!]!;
        // Splits can grow a group past a chip (11 cores of 8 seen); whole cores then move to chips with
        // room, which the check above has made sure there is.
        fitCoreGroups(hyper, split.parts, kUsed, chipGroup, opts.coresPerChip!, wholeChips);
      }
      return { k: kUsed, parts: split.parts, use, splits: split.splits, objective: r.objective, ...(chipGroup ? { chipGroup } : {}) };
    } catch (e) {
      if (!isInfeasible(e)) throw e;
      k = Math.ceil(k * 1.1) + 1; // the estimates did not pack into k cores: give the packing room
    }
  }
}

/**
 * Hierarchical mapping for multi-chip systems: neurons onto chips first, then each chip's neurons
 * onto its cores. A message between chips costs far more energy than one inside a chip (Kiln's
 * cost model prices it at 0.83 nJ against 1.7 pJ for a spike inside a tile), so the partition
 * that matters most is the chip-level one, and a flat k-way partition decides it only
 * implicitly, by how parts happen to be numbered or packed afterwards.
 *
 * Spike messages decompose exactly over chips: inside chip c a net whose source lives there
 * costs λ_c − 1 messages (one per other core of c it reaches), and a net whose source lives on
 * another chip costs λ_c (every core it reaches there gets its own copy over the chip link) —
 * which is a sourceless net of c's sub-hypergraph. Partitioning every chip's sub-hypergraph with
 * those flags therefore minimises the total messages for the chip assignment of step one, and
 * `interChipWeight` > 1 lets the second step trade messages inside a chip for fewer across.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { CHIPS_REFUSED_HINT, fitChips, refusalError, refused } from './chip-fit.ts';
import { infeasible, isInfeasible, resolveConstraints } from './constraints.ts';
import { chipOfCores, flatGrouped, flatOptions } from './flat-pack.ts';
import { partitionHypergraph, type EngineTuning } from './partitioner.ts';
import type { CapacitySpec, Hypergraph, PartitionOptions } from './types.ts';

export interface HierarchicalOptions {
  /** Cores in all. */
  readonly k: number;
  readonly coresPerChip: number;
  /** Core balance: every core holds at most (1+ε)·⌈total/k⌉, as in partitionHypergraph. */
  readonly epsilon?: number;
  readonly seed?: number;
  readonly effort?: PartitionOptions['effort'];
  /**
   * Weight of nets arriving from another chip when partitioning a chip into cores; default 4. On
   * dvs-33k, k = 64, 4 chips of 16 cores: 8.7% fewer inter-chip messages than weight 1 for 1.6%
   * more messages in all (docs/partitioning.md); 1 minimises the plain message count.
   */
  readonly interChipWeight?: number;
  /**
   * Per-core resource limits (one limit per dimension, every core alike) instead of the ε
   * balance: the neuromorphic mapper's neurons, axons and synapse words.
   */
  readonly capacity?: CapacitySpec;
  /**
   * When no mapping fits, count the cores the refused chip would need for the error (at most
   * 2·⌈log₂ 4n⌉ partitions of that n-core chip, 18 at n = 128); default true. The mapper, which catches the refusal and retries
   * with more cores, passes false.
   */
  readonly countOnRefusal?: boolean;
}

export interface HierarchicalResult {
  /** Core of every vertex; cores c·coresPerChip … (c+1)·coresPerChip − 1 belong to chip c. */
  readonly parts: Int32Array;
  readonly k: number;
  /** Chip of every core. */
  readonly chipOf: Int32Array;
  readonly chips: number;
  /**
   * How the chip groups came to fit their cores, when the chip-level split alone did not:
   * `moved` vertices between chips (chip-fit.ts), or `flat`, the k-way partition grouped onto chips.
   */
  readonly fit?: 'moved' | 'flat';
}

function bad(message: string, hint: string): never {
  throw new KilnError(error('partition-options', message, undefined, hint));
}

/** Vertex weights as the partitioner's capacity matrix (one resource). */
function weights(h: Hypergraph, vs?: Int32Array): Float64Array {
  const n = vs ? vs.length : h.nv;
  return Float64Array.from({ length: n }, (_, i) => (h.vwgt ? h.vwgt[vs ? vs[i]! : i]! : 1));
}

/**
 * The sub-hypergraph of the vertices in `vs` (all of one chip): nets keep their pins there; a net
 * whose source is elsewhere becomes sourceless (weighted by `foreignWeight`). Its messages summed
 * over the chips are the whole partition's (with weight 1), so a sourced net left with one pin is
 * dropped (it costs nothing) but a sourceless one is kept (it costs one message whatever the cores).
 */
export function chipSubHypergraph(h: Hypergraph, chipOfVertex: Int32Array, chip: number, vs: Int32Array, foreignWeight = 1): Hypergraph {
  const local = new Int32Array(h.nv).fill(-1);
  vs.forEach((v, i) => (local[v] = i));
  const eptr: number[] = [0];
  const pins: number[] = [];
  const ewgt: number[] = [];
  const flags: number[] = [];
  for (let e = 0; e < h.ne; e++) {
    const s = h.eptr[e]!;
    const end = h.eptr[e + 1]!;
    const start = pins.length;
    for (let i = s; i < end; i++) if (chipOfVertex[h.pins[i]!] === chip) pins.push(local[h.pins[i]!]!);
    const foreign = !h.sourceless?.[e] && chipOfVertex[h.pins[s]!] !== chip;
    const flagged = foreign || h.sourceless?.[e] === 1;
    if (pins.length - start < (flagged ? 1 : 2)) {
      pins.length = start;
      continue;
    }
    const w = h.ewgt ? h.ewgt[e]! : 1;
    ewgt.push(foreign ? w * foreignWeight : w);
    flags.push(flagged ? 1 : 0);
    eptr.push(pins.length);
  }
  return {
    nv: vs.length,
    ne: ewgt.length,
    eptr: Int32Array.from(eptr),
    pins: Int32Array.from(pins),
    ewgt: Float64Array.from(ewgt),
    ...(h.vwgt ? { vwgt: weights(h, vs) } : {}),
    // The layer hint splits each chip into cores as it split the network into chips.
    ...(h.layer ? { layer: Int32Array.from(vs, (v) => h.layer![v]!) } : {}),
    sourceless: Uint8Array.from(flags),
  };
}

function checkOptions(h: Hypergraph, o: HierarchicalOptions): { chips: number; eps: number } {
  if (!Number.isInteger(o.k) || o.k < 1 || o.k > h.nv) bad(`k must be a whole number from 1 to ${h.nv}, got ${o.k}`, 'k is the number of cores');
  if (!Number.isInteger(o.coresPerChip) || o.coresPerChip < 1) bad(`coresPerChip must be a positive whole number, got ${o.coresPerChip}`, 'Loihi has 128 cores per chip');
  const eps = o.epsilon ?? 0.03;
  if (!(eps >= 0 && eps <= 1)) bad(`epsilon must lie in [0, 1], got ${eps}`, 'ε = 0.03 allows cores 3% above the average');
  return { chips: Math.ceil(o.k / o.coresPerChip), eps };
}

/**
 * What a chip may hold in each dimension. With ε balance: its cores' share of the weight with
 * half of ε, so each chip keeps slack to balance its cores. With capacities: 90% of its cores'
 * limits, or more (up to 100%) when the cores are on average fuller than that — packing a
 * chip's vertices into cores loses some room, and the within-chip partition must still fit.
 * `full`: the cores' limits summed, for when the slack left a chip too small for its vertices
 * (a chip of one core cannot take a vertex above 90% of a core's limit).
 */
function chipLimits(h: Hypergraph, o: HierarchicalOptions, chips: number, eps: number, coresOf: (c: number) => number, full: boolean): { perVertex: Float64Array; limits: Float64Array; names: readonly string[] } {
  if (o.capacity) {
    const d = o.capacity.names.length;
    const total = new Float64Array(d);
    for (let i = 0; i < h.nv * d; i++) total[i % d]! += o.capacity.perVertex[i]!;
    const limits = new Float64Array(chips * d);
    for (let c = 0; c < chips; c++) {
      for (let j = 0; j < d; j++) {
        const lim = Number(o.capacity.limits[j]);
        limits[c * d + j] = coresOf(c) * (full ? lim : Math.min(lim, Math.max(0.9 * lim, (1 + eps) * (total[j]! / o.k))));
      }
    }
    return { perVertex: o.capacity.perVertex, limits, names: o.capacity.names };
  }
  const w = weights(h);
  const total = w.reduce((a, b) => a + b, 0);
  const coreLimit = (1 + eps) * Math.ceil(total / o.k);
  const limits = Float64Array.from({ length: chips }, (_, c) => (full ? coresOf(c) * coreLimit : Math.min(coresOf(c) * coreLimit, coresOf(c) * (total / o.k) * (1 + eps / 2))));
  return { perVertex: w, limits, names: ['weight'] };
}

/** The limits of one chip's cores, over the rows of `vs`. */
function coreCapacity(h: Hypergraph, o: HierarchicalOptions, eps: number, vs: Int32Array, sub: Hypergraph): CapacitySpec {
  if (o.capacity) {
    const d = o.capacity.names.length;
    const perVertex = new Float64Array(vs.length * d);
    vs.forEach((v, i) => perVertex.set(o.capacity!.perVertex.subarray(v * d, v * d + d), i * d));
    return { names: o.capacity.names, perVertex, limits: Array.from({ length: d }, (_, j) => Number(o.capacity!.limits[j])) };
  }
  const total = weights(h).reduce((a, b) => a + b, 0);
  return { names: ['weight'], perVertex: weights(sub), limits: [(1 + eps) * Math.ceil(total / o.k)] };
}

/** The chip of every vertex, under the chip limits with slack, else the cores' limits summed. */
function splitChips(h: Hypergraph, o: HierarchicalOptions, chips: number, eps: number, coresOf: (c: number) => number, tuning: EngineTuning) {
  const opts = { k: chips, seed: o.seed ?? 1, effort: o.effort, balance: false };
  for (const full of [false, true]) {
    const chip = chipLimits(h, o, chips, eps, coresOf, full);
    try {
      return { chip, byChip: partitionHypergraph(h, { ...opts, capacity: chip }, tuning).parts };
    } catch (e) {
      if (!isInfeasible(e)) throw e;
      if (!full) continue;
      const why = (e as KilnError).diagnostics[0]!.message.replace('part', 'chip');
      throw infeasible(`the vertices do not split over ${chips} chips of ${o.coresPerChip} cores: ${why}`, CHIPS_REFUSED_HINT);
    }
  }
  throw new Error('unreachable: the full limits either split or refuse');
}

function fitsOneCore(cap: CapacitySpec): boolean {
  const d = cap.names.length;
  const sum = new Float64Array(d);
  for (let i = 0; i < cap.perVertex.length; i++) sum[i % d]! += cap.perVertex[i]!;
  return sum.every((x, j) => x <= Number(cap.limits[j]));
}

/**
 * Chips first, minimising (λ−1) across chips under the chip limits above; then each chip into
 * its cores under the core limits ((1+ε)·⌈total/k⌉ as in the flat partition, or the capacities).
 */
export function partitionHierarchical(h: Hypergraph, o: HierarchicalOptions, tuning: EngineTuning = {}): HierarchicalResult {
  const { chips, eps } = checkOptions(h, o);
  const { k, coresPerChip } = o;
  const seed = o.seed ?? 1;
  const coresOf = (c: number) => Math.min(coresPerChip, k - c * coresPerChip);
  if (chips === 1) {
    return { parts: partitionHypergraph(h, flatOptions(o, eps), tuning).parts, k, chipOf: chipOfCores(k, coresPerChip), chips };
  }
  // Refuses, before any work, a vertex over a core's limit or more load than all cores hold.
  resolveConstraints(h.nv, flatOptions(o, eps), h.vwgt, 1);
  const { chip, byChip } = splitChips(h, o, chips, eps, coresOf, tuning);
  // A chip's sub-hypergraph depends only on its vertices (a net is foreign when its source is not
  // among them), and coresNeeded splits the same vertices at up to 18 core counts: built once each.
  // Keyed on the list's identity, so member lists are replaced, never edited in place (fitChips).
  let built: { c: number; vs: Int32Array; sub: Hypergraph; cap: CapacitySpec } | undefined;
  const split = (c: number, vs: Int32Array, n: number): Int32Array | undefined => {
    if (built?.vs !== vs || built.c !== c) {
      const sub = chipSubHypergraph(h, byChip, c, vs, o.interChipWeight ?? 4);
      built = { c, vs, sub, cap: coreCapacity(h, o, eps, vs, sub) };
    }
    const { sub, cap } = built;
    if (n === 1 || vs.length === 1) return fitsOneCore(cap) ? new Int32Array(vs.length) : undefined;
    try {
      return partitionHypergraph(sub, { k: Math.min(n, vs.length), seed, effort: o.effort, balance: false, capacity: cap }, tuning).parts;
    } catch (e) {
      if (!isInfeasible(e)) throw e;
      return undefined;
    }
  };
  const inp = { h, chipOf: byChip, chips, coresOf, perVertex: chip.perVertex, limits: chip.limits, names: chip.names, split };
  const fit = fitChips(inp);
  if (refused(fit)) {
    // The repair gives up where a chip that gave keeps room nobody may use; the flat k-way
    // partition under the same limits, its cores grouped onto chips, is then still an answer.
    const flat = flatGrouped(h, o, eps, coresPerChip, tuning);
    if (flat) return { ...flat, k, chipOf: chipOfCores(k, coresPerChip), fit: 'flat' };
    throw refusalError(inp, fit, o.countOnRefusal ?? true, `; nor do the vertices pack into ${k} cores when partitioned flat`);
  }
  const parts = new Int32Array(h.nv);
  fit.members.forEach((vs, c) => vs.forEach((v, i) => (parts[v] = c * coresPerChip + fit.cores[c]![i]!)));
  return { parts, k, chipOf: chipOfCores(k, coresPerChip), chips, ...(fit.moved ? { fit: 'moved' as const } : {}) };
}

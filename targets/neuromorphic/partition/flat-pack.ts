/**
 * The flat way to a multi-chip mapping: k cores partitioned directly, then the cores packed onto
 * chips for the fewest messages between chips. hierarchy.ts falls back to it when the chips-first
 * repair (chip-fit.ts) stops with a chip that does not fit its cores.
 */
import { isInfeasible } from './constraints.ts';
import { partitionHypergraph, type EngineTuning } from './partitioner.ts';
import { quotientHypergraph } from './quotient.ts';
import type { CapacitySpec, Hypergraph, PartitionOptions } from './types.ts';

/** The options the flat partition and a single chip share: per-core capacities if given, else the ε balance. */
export interface FlatInput {
  readonly k: number;
  readonly seed?: number;
  readonly effort?: PartitionOptions['effort'];
  readonly capacity?: CapacitySpec;
}

export function flatOptions(o: FlatInput, eps: number): PartitionOptions {
  const seed = o.seed ?? 1;
  return o.capacity ? { k: o.k, seed, effort: o.effort, capacity: o.capacity } : { k: o.k, epsilon: eps, seed, effort: o.effort };
}

export function chipOfCores(k: number, coresPerChip: number): Int32Array {
  return Int32Array.from({ length: k }, (_, p) => Math.floor(p / coresPerChip));
}

/**
 * Packs the cores of a flat partition onto chips of coresPerChip cores: a partition of the
 * quotient hypergraph (one vertex per core) into chips, minimising the (λ−1) messages between
 * chips. Returns the chip of every core.
 */
export function packCores(h: Hypergraph, parts: Int32Array, k: number, coresPerChip: number, seed = 1): Int32Array {
  const chips = Math.ceil(k / coresPerChip);
  if (chips === 1) return new Int32Array(k);
  const q = quotientHypergraph(h, parts, k);
  const limits = Float64Array.from({ length: chips }, (_, c) => Math.min(coresPerChip, k - c * coresPerChip));
  return partitionHypergraph(q, { k: chips, seed, balance: false, capacity: { names: ['cores'], perVertex: new Float64Array(k).fill(1), limits } }).parts;
}

/**
 * The k-way partition under the cores' limits with its cores packed onto chips (packCores; in
 * index order if that packing fails), renumbered so that chip c has cores c·coresPerChip …;
 * undefined when the vertices do not pack into k cores.
 */
export function flatGrouped(h: Hypergraph, o: FlatInput, eps: number, coresPerChip: number, tuning: EngineTuning): { parts: Int32Array; chips: number } | undefined {
  const { k } = o;
  let parts: Int32Array;
  try {
    parts = partitionHypergraph(h, flatOptions(o, eps), tuning).parts;
  } catch (e) {
    if (!isInfeasible(e)) throw e;
    return undefined;
  }
  let chipOfCore: Int32Array;
  try {
    chipOfCore = packCores(h, parts, k, coresPerChip, o.seed ?? 1);
  } catch (e) {
    if (!isInfeasible(e)) throw e;
    chipOfCore = chipOfCores(k, coresPerChip);
  }
  const used = new Int32Array(Math.ceil(k / coresPerChip));
  const id = Int32Array.from(chipOfCore, (c) => c * coresPerChip + used[c]!++);
  return { parts: parts.map((p) => id[p]!), chips: used.length };
}

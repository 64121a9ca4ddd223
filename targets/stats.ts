/**
 * One Stats shape for every target kind. A lowered step carries countable actions; the cost model
 * prices each action with the target's price table, so `energy = Σ count × price` holds for every
 * layer and for the total, and every price names its source.
 */
import type { ActivityUsed } from './activity.ts';

/** A priced action: joules per unit of count, its breakdown category and where the number came from. */
export interface Price {
  joules: number;
  category: string;
  source: string;
}

export type PriceTable = Record<string, Price>;

export interface OperandCounts {
  ifmap: number;
  filter: number;
}

export interface LayerStats {
  name: string;
  op: string;
  macs: number;
  /** Absent for neuromorphic targets, which are event-driven and report latency instead. */
  cycles?: number;
  latency_s?: number;
  compute_cycles?: number;
  stall_cycles?: number;
  /** The DRAM interface behind most of the stall cycles (systolic layers with a fixed bandwidth). */
  stalled_most?: 'ifmap' | 'filter' | 'ofmap';
  energy_j: number;
  /** Fraction in [0, 1]; for a systolic layer SCALE-Sim's compute utilization. */
  utilization?: number;
  mapping_efficiency?: number;
  sram_reads?: OperandCounts;
  sram_writes?: { ofmap: number };
  dram_reads?: OperandCounts;
  dram_writes?: { ofmap: number };
  /** Which unit ran the layer (array, vector, cores) and what bounds it (compute or a memory level). */
  unit?: string;
  bound?: string;
  /** The counted actions and their energy, for the invariant and the breakdown. */
  actions: Record<string, number>;
  breakdown_j: Record<string, number>;
  notes?: string[];
  /** Bytes of the layer's parameters at their stored precision (targets/param-size.ts). */
  param_bytes?: number;
  /** The activity the layer was priced with and its source (targets/activity.ts). */
  activity?: ActivityUsed;
  /** Kind-specific figures (GEMM shape and folds, neurons, cores, spike messages …). */
  details?: Record<string, unknown>;
}

export interface Summary {
  cycles?: number;
  latency_s: number;
  energy_j: number;
  breakdown_j: Record<string, number>;
  macs: number;
  utilization?: number;
  /** The model's parameter bytes at their stored precision, whatever the target. */
  param_bytes?: number;
  /** Neuromorphic results also report per time step. */
  per_timestep?: { cycles?: number; latency_s: number; energy_j: number };
  /** Samples the figures above cover (1 on neuromorphic targets, which cost one sample). */
  batch?: number;
  /** One sample: the batch figures ÷ batch (a sample's share of a batched run). */
  per_inference?: { latency_s: number; energy_j: number };
  [extra: string]: unknown;
}

export interface TargetResult {
  target: string;
  kind: string;
  summary: Summary;
  layers: LayerStats[];
  warnings: string[];
  /** What the target leaves unmodelled (no static power, no DRAM bandwidth …), each said once. */
  notes: string[];
  /** The price table used, so every joule can be traced to its source. */
  prices: PriceTable;
}

/** Price a layer's actions: fills energy_j and breakdown_j from the table (throws on a missing price). */
export function priceActions(actions: Record<string, number>, prices: PriceTable): { energy_j: number; breakdown_j: Record<string, number> } {
  const breakdown_j: Record<string, number> = {};
  let energy_j = 0;
  for (const [action, count] of Object.entries(actions)) {
    if (count === 0) continue;
    const p = prices[action];
    if (!p) throw new Error(`no price for action "${action}"`);
    const e = count * p.joules;
    breakdown_j[p.category] = (breakdown_j[p.category] ?? 0) + e;
    energy_j += e;
  }
  return { energy_j, breakdown_j };
}

export function sumBreakdowns(layers: readonly { breakdown_j: Record<string, number> }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of layers) for (const [k, v] of Object.entries(l.breakdown_j)) out[k] = (out[k] ?? 0) + v;
  return out;
}

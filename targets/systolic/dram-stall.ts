/**
 * Kiln's own stall model for a systolic layer behind a fixed DRAM bandwidth: a double-buffered
 * scratchpad, without SCALE-Sim's ring of sets (see docs/cost-model.md, "DRAM stalls").
 *
 * - The DRAM traffic is the layer's reuse-aware counts (SCALE-Sim's CALC-mode counts).
 * - Prologue: the first fold's ifmap and filter tiles must be in before the array starts.
 * - Steady state: while fold f computes, fold f+1's tiles are fetched and fold f-1's outputs
 *   written back, so the rest of the traffic only stalls by the amount its transfer time exceeds
 *   the compute time.
 * - Epilogue: the last fold's outputs are written after the array finishes.
 * The interfaces either share one bandwidth (transfer time = total words / bw) or each has the
 * whole bandwidth (transfer time = the slowest interface's words / bw).
 */

import type { FoldPlan } from './gemm-model.ts';

export type DramSharing = 'shared' | 'per_interface';
type Words = { ifmap: number; filter: number; ofmap: number };

export interface KilnStall {
  stallCycles: number;
  /** The interface whose transfers take longest. */
  stalledMost: keyof Words;
}

/** Words the first fold reads and the last fold writes. */
function edgeWords(plan: FoldPlan): { first: Words; last: number } {
  const { arrayRows: R, arrayCols: C, dataflow, gemm } = plan;
  const { M, N, K } = gemm;
  const ru = Math.min(R, plan.sr);
  const cu = Math.min(C, plan.sc);
  const lastCols = plan.sc - (plan.colFolds - 1) * C;
  const lastRows = plan.sr - (plan.rowFolds - 1) * R;
  if (dataflow === 'os') return { first: { ifmap: ru * K, filter: K * cu, ofmap: 0 }, last: lastRows * lastCols };
  if (dataflow === 'ws') return { first: { ifmap: M * ru, filter: ru * cu, ofmap: 0 }, last: M * lastCols };
  return { first: { ifmap: ru * cu, filter: ru * N, ofmap: 0 }, last: N * lastCols };
}

export function kilnDramStall(plan: FoldPlan, computeCycles: number, traffic: Words, wordsPerCycle: number, sharing: DramSharing): KilnStall {
  const time = (w: Words) =>
    sharing === 'shared' ? (w.ifmap + w.filter + w.ofmap) / wordsPerCycle : Math.max(w.ifmap, w.filter, w.ofmap) / wordsPerCycle;
  const { first, last } = edgeWords(plan);
  const clamp = (x: number, hi: number) => Math.min(x, hi);
  const pro = { ifmap: clamp(first.ifmap, traffic.ifmap), filter: clamp(first.filter, traffic.filter), ofmap: 0 };
  const epi = { ifmap: 0, filter: 0, ofmap: clamp(last, traffic.ofmap) };
  const rest = { ifmap: traffic.ifmap - pro.ifmap, filter: traffic.filter - pro.filter, ofmap: traffic.ofmap - epi.ofmap };
  const stall = time(pro) + time(epi) + Math.max(0, time(rest) - computeCycles);
  const order: (keyof Words)[] = ['ifmap', 'filter', 'ofmap'];
  const stalledMost = order.reduce((a, b) => (traffic[b] > traffic[a] ? b : a));
  return { stallCycles: Math.ceil(stall), stalledMost };
}

/**
 * Repair by splitting: every core over a limit is divided into as many cores as its worst
 * overflow asks for, each division a (λ−1)-minimal balanced partition of the core's own neurons
 * (so the pieces share as few presynaptic neurons — input axons — as possible). This is how
 * Loihi toolchains settle capacity ("divide a core's worth of neurons until constraints hold",
 * docs/references.md), but with a partitioner choosing the cut. Splitting a core
 * can push the output axons of the cores feeding it up, so the exact use is counted again after
 * every round.
 */
import { isInfeasible } from './partition/constraints.ts';
import { partitionHypergraph } from './partition/partitioner.ts';
import type { Hypergraph } from './partition/types.ts';
import { coreUse, LIMIT_NAMES, type CoreUseTable, type SynapseNets } from './core-use.ts';
import { incidence, induced } from './induced.ts';

/**
 * The pieces of one core: a balanced (λ−1)-minimal partition of its neurons, or, when the engine
 * cannot balance a few heavy blocks within ε, contiguous runs of blocks in vertex order (which
 * keeps a layer's neighbouring positions together) of about equal neuron counts.
 */
function splitMembers(sub: Hypergraph, members: Int32Array, pieces: number, total: number, epsilon: number, seed: number, vwgt?: Float64Array): Int32Array {
  try {
    return partitionHypergraph(sub, { k: pieces, seed, epsilon }).parts;
  } catch (e) {
    if (!isInfeasible(e)) throw e;
  }
  const out = new Int32Array(members.length);
  let acc = 0;
  members.forEach((v, i) => {
    const w = vwgt ? vwgt[v]! : 1;
    out[i] = Math.min(pieces - 1, Math.floor(((acc + w / 2) * pieces) / total));
    acc += w;
  });
  return out;
}

export interface SplitResult {
  k: number;
  parts: Int32Array;
  use: CoreUseTable;
  splits: number;
}

/**
 * Split over-limit cores until none is over. Throws nothing itself: a core of one neuron that is
 * still over a limit is reported by the caller's single-neuron checks; `maxRounds` bounds the loop.
 */
export function splitOverfullCores(h: SynapseNets & Pick<Hypergraph, 'ewgt'>, partsIn: Int32Array, kIn: number, limits: number[], weightBits: number,
  opts: { seed?: number; maxRounds?: number; progress?: (message: string) => void } = {}): SplitResult & { overfull: number } {
  const parts = partsIn.slice();
  let k = kIn;
  let use = coreUse(h, parts, k, weightBits);
  const inc = incidence(h);
  const local = new Int32Array(h.nv).fill(-1);
  let splits = 0;
  for (let round = 0; round < (opts.maxRounds ?? 30); round++) {
    const factor = new Float64Array(k);
    for (let j = 0; j < LIMIT_NAMES.length; j++) {
      const u = use[LIMIT_NAMES[j]!];
      for (let c = 0; c < k; c++) factor[c] = Math.max(factor[c]!, u[c]! / limits[j]!);
    }
    const over = [...factor.keys()].filter((c) => factor[c]! > 1);
    if (over.length === 0) return { k, parts, use, splits, overfull: 0 };
    opts.progress?.(`splitting ${over.length} over-full core${over.length === 1 ? '' : 's'} (worst ${(Math.max(...over.map((c) => factor[c]!)) * 100).toFixed(0)}% of a limit)`);
    const membersOf = new Map<number, number[]>(over.map((c) => [c, []]));
    for (let v = 0; v < h.nv; v++) membersOf.get(parts[v]!)?.push(v);
    for (const c of over) {
      const members = Int32Array.from(membersOf.get(c)!);
      if (members.length < 2) continue;
      // Over by a factor f: f pieces would fit if use scaled with size; 10% more absorb the
      // axons the pieces share (each piece needs every presynaptic neuron it listens to).
      const pieces = Math.min(members.length, Math.ceil(factor[c]! * 1.1));
      members.forEach((v, i) => { local[v] = i; });
      const sub = induced(h, inc, members, local);
      // Blocks weigh several neurons: let the balance stretch enough that the heaviest fits.
      let total = 0, heaviest = 0;
      for (const v of members) { const w = h.vwgt ? h.vwgt[v]! : 1; total += w; heaviest = Math.max(heaviest, w); }
      const epsilon = Math.max(0.03, (heaviest * pieces) / total - 1 + 0.05);
      const pieceOf = splitMembers(sub, members, pieces, total, epsilon, opts.seed ?? 1, h.vwgt);
      members.forEach((v, i) => {
        const p = pieceOf[i]!;
        parts[v] = p === 0 ? c : k + p - 1;
        local[v] = -1;
      });
      k += pieces - 1;
      splits += pieces - 1;
    }
    use = coreUse(h, parts, k, weightBits);
  }
  const left = [...use.neurons.keys()].filter((c) => LIMIT_NAMES.some((n, j) => use[n][c]! > limits[j]!)).length;
  return { k, parts, use, splits, overfull: left };
}

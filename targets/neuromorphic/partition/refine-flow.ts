/**
 * Flow-based refinement on pairs of adjacent parts (Sanders & Schulz's KaFFPa for graphs,
 * Heuer, Sanders & Schlag's KaHyPar-MF for hypergraphs). FM moves one vertex at a time, so it
 * stops where every single move loses even though a group would gain; a minimum cut sees the
 * whole group at once. For parts a and b: grow a corridor of each part's vertices around their
 * common boundary, small enough that the other part could take all of it; model each net with
 * Lawler's two nodes (e_in → e_out of capacity w(e), pins joined to both with ∞), the rest of a
 * as the source and the rest of b as the sink; a minimum cut is then a re-split of the corridor
 * that cuts the least net weight between a and b, which is exactly how much (λ−1) those nets
 * pay for the pair (other parts' pins add the same to λ either way).
 */
import { FlowNetwork } from './max-flow.ts';
import type { PartState } from './part-state.ts';

export interface FlowConfig {
  /** Pairs refined per round, those with the heaviest nets between them first. */
  readonly maxPairs: number;
  readonly rounds: number;
  /**
   * A corridor may weigh the other part's free room plus this share of its limit (KaHyPar-MF's
   * (1 + αε)·ideal − load, here as a share): a swap needs room on neither side, but a cut that
   * breaks a limit is rejected.
   */
  readonly regionShare: number;
  /** Nets with more pins are not followed while growing a corridor (they rarely leave the cut). */
  readonly maxNetSize: number;
}

/** Pairs of parts by the weight of the nets that touch both, heaviest first. */
function adjacentPairs(st: PartState): Array<[number, number, number]> {
  const { ne, ewgt } = st.h;
  const { net, conn, k } = st;
  const weight = new Map<number, number>();
  for (let e = 0; e < ne; e++) {
    const s = 2 * net[2 * e]!;
    const cs = net[2 * e + 1]!;
    if (cs < 2 || cs > 16) continue;
    for (let i = 0; i < cs; i++) {
      for (let j = i + 1; j < cs; j++) {
        const a = Math.min(conn[s + 2 * i]!, conn[s + 2 * j]!);
        const b = Math.max(conn[s + 2 * i]!, conn[s + 2 * j]!);
        weight.set(a * k + b, (weight.get(a * k + b) ?? 0) + ewgt[e]!);
      }
    }
  }
  return [...weight].map(([key, w]): [number, number, number] => [Math.floor(key / k), key % k, w]).sort((x, y) => y[2] - x[2] || x[0] - y[0] || x[1] - y[1]);
}

/** Vertices of part p reached breadth-first from its boundary with q, while their weight stays within `room` and short of the whole part. */
function corridor(st: PartState, p: number, q: number, room: Float64Array, maxNetSize: number, inRegion: Uint8Array): number[] {
  const { eptr, pins, vptr, vnets, w, d, ne } = st.h;
  const part = st.part;
  const used = new Float64Array(d);
  const out: number[] = [];
  const tryAdd = (v: number): boolean => {
    for (let j = 0; j < d; j++) if (used[j]! + w[v * d + j]! > room[j]! || used[j]! + w[v * d + j]! >= st.load[p * d + j]!) return false;
    for (let j = 0; j < d; j++) used[j]! += w[v * d + j]!;
    inRegion[v] = 1;
    out.push(v);
    return true;
  };
  // Seeds: p's pins of the nets that touch both p and q.
  for (let e = 0; e < ne; e++) {
    if (st.size(e) < 2 || st.pinCount(e, p) === 0 || st.pinCount(e, q) === 0) continue;
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
      const v = pins[i]!;
      if (part[v] === p && !inRegion[v] && !tryAdd(v)) return out;
    }
  }
  for (let head = 0; head < out.length; head++) {
    const u = out[head]!;
    for (let x = vptr[u]!; x < vptr[u + 1]!; x++) {
      const e = vnets[x]!;
      if (eptr[e + 1]! - eptr[e]! > maxNetSize) continue;
      for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
        const v = pins[i]!;
        if (part[v] === p && !inRegion[v] && !tryAdd(v)) return out;
      }
    }
  }
  return out;
}

/** Re-splits the corridor between parts a and b by a minimum cut; returns the objective's decrease (0 when nothing better was found). */
function flowRefinePair(st: PartState, a: number, b: number, cfg: FlowConfig): number {
  const { d, w, eptr, pins, vptr, vnets, ewgt } = st.h;
  const room = (p: number) => {
    const r = new Float64Array(d);
    for (let j = 0; j < d; j++) r[j] = Math.max(0, st.limit[p * d + j]! - st.load[p * d + j]!) + cfg.regionShare * st.limit[p * d + j]!;
    return r;
  };
  const inRegion = new Uint8Array(st.h.nv);
  const region = [...corridor(st, a, b, room(b), cfg.maxNetSize, inRegion), ...corridor(st, b, a, room(a), cfg.maxNetSize, inRegion)];
  if (region.length === 0) return 0;
  const S = 0;
  const T = 1;
  const node = new Map<number, number>();
  region.forEach((v, i) => node.set(v, 2 + i));
  const nets = new Set<number>();
  for (const v of region) for (let x = vptr[v]!; x < vptr[v + 1]!; x++) nets.add(vnets[x]!);
  const netList = [...nets].sort((x, y) => x - y);
  let maxEdges = 0;
  for (const e of netList) maxEdges += 2 * (eptr[e + 1]! - eptr[e]!) + 3;
  const g = new FlowNetwork(2 + region.length + 2 * netList.length, maxEdges);
  netList.forEach((e, i) => {
    const ein = 2 + region.length + 2 * i;
    const eout = ein + 1;
    let toS = false;
    let toT = false;
    for (let j = eptr[e]!; j < eptr[e + 1]!; j++) {
      const v = pins[j]!;
      const n = node.get(v);
      if (n !== undefined) {
        g.addEdge(n, ein, Infinity);
        g.addEdge(eout, n, Infinity);
      } else if (st.part[v] === a) toS = true;
      else if (st.part[v] === b) toT = true;
    }
    g.addEdge(ein, eout, ewgt[e]!);
    if (toS) g.addEdge(S, ein, Infinity);
    if (toT) g.addEdge(eout, T, Infinity);
  });
  if (g.maxFlow(S, T) === Infinity) return 0;
  // Of the two extreme minimum cuts, the one that leaves the pair's heavier part lighter.
  let best: Uint8Array | null = null;
  let bestSpread = Infinity;
  for (const nearSource of [true, false]) {
    const side = g.sourceSide(S, T, nearSource);
    let spread = 0;
    for (let j = 0; j < d; j++) {
      let la = st.load[a * d + j]!;
      let lb = st.load[b * d + j]!;
      region.forEach((v, i) => {
        const to = side[2 + i] ? a : b;
        if (to === st.part[v]) return;
        const x = w[v * d + j]!;
        if (to === a) [la, lb] = [la + x, lb - x];
        else [la, lb] = [la - x, lb + x];
      });
      spread = Math.max(spread, la / st.limit[a * d + j]!, lb / st.limit[b * d + j]!);
    }
    if (spread < bestSpread) [best, bestSpread] = [side, spread];
  }
  // A zero limit makes the spread NaN on both cuts: nothing to choose from.
  if (!best) return 0;
  const moved: Array<[number, number]> = [];
  let gain = 0;
  region.forEach((v, i) => {
    const to = best[2 + i] ? a : b;
    if (to !== st.part[v]) {
      moved.push([v, st.part[v]!]);
      gain += st.move(v, to);
    }
  });
  let fits = true;
  for (let j = 0; j < d; j++) for (const p of [a, b]) if (st.load[p * d + j]! > st.limit[p * d + j]!) fits = false;
  if (gain > 0 && fits) return gain;
  for (let i = moved.length - 1; i >= 0; i--) st.move(moved[i]![0], moved[i]![1]);
  return 0;
}

/** Flow refinement on the pairs of parts with the heaviest nets between them, round after round while it gains. */
export function flowRefine(st: PartState, cfg: FlowConfig): number {
  let total = 0;
  for (let round = 0; round < cfg.rounds; round++) {
    let gain = 0;
    for (const [a, b] of adjacentPairs(st).slice(0, cfg.maxPairs)) gain += flowRefinePair(st, a, b, cfg);
    total += gain;
    if (gain <= 0) break;
  }
  return total;
}

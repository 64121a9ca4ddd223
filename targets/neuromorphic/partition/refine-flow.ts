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

interface Pair {
  readonly a: number;
  readonly b: number;
  /** Nets touching both parts when the round began, in increasing order: the corridors' seeds. */
  readonly nets: number[];
}

/**
 * The `maxPairs` pairs of parts with the heaviest nets touching both, heaviest first, and those
 * nets, gathered in one pass (each corridor scanned every net for them before).
 */
function adjacentPairs(st: PartState, maxPairs: number): Pair[] {
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
  const top = [...weight].map(([key, w]): [number, number, number] => [Math.floor(key / k), key % k, w]).sort((x, y) => y[2] - x[2] || x[0] - y[0] || x[1] - y[1]).slice(0, maxPairs);
  const pairs = top.map(([a, b]): Pair => ({ a, b, nets: [] }));
  const byPart: Pair[][] = Array.from({ length: k }, () => []);
  for (const pr of pairs) byPart[pr.a]!.push(pr);
  const mark = new Int32Array(k).fill(-1);
  for (let e = 0; e < ne; e++) {
    const s = 2 * net[2 * e]!;
    const end = s + 2 * net[2 * e + 1]!;
    if (end - s < 4) continue;
    for (let i = s; i < end; i += 2) mark[conn[i]!] = e;
    for (let i = s; i < end; i += 2) for (const pr of byPart[conn[i]!]!) if (mark[pr.b] === e) pr.nets.push(e);
  }
  return pairs;
}

/**
 * The nets touching both p and q now, in increasing order: the round's list for the pair plus the
 * nets of vertices moved since (no other net's pins changed parts).
 */
function sharedNets(st: PartState, pr: Pair, moved: Moved): number[] {
  const touches = (e: number) => st.size(e) >= 2 && st.pinCount(e, pr.a) > 0 && st.pinCount(e, pr.b) > 0;
  if (moved.nets.length === 0) return pr.nets.filter(touches);
  const extra = [...moved.nets].sort((x, y) => x - y);
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < pr.nets.length || j < extra.length) {
    const e = j >= extra.length || (i < pr.nets.length && pr.nets[i]! <= extra[j]!) ? pr.nets[i++]! : extra[j++]!;
    if (e !== out[out.length - 1] && touches(e)) out.push(e);
  }
  return out;
}

/** Nets whose pins changed parts during the round (each listed once). */
interface Moved {
  readonly mark: Uint8Array;
  readonly nets: number[];
}

/** Vertices of part p reached breadth-first from its boundary with q (the nets `seeds`), while their weight stays within `room` and short of the whole part. */
function corridor(st: PartState, p: number, seeds: readonly number[], room: Float64Array, maxNetSize: number, inRegion: Uint8Array): number[] {
  const { eptr, pins, vptr, vnets, w, d } = st.h;
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
  for (const e of seeds) {
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

/** Arrays of the whole hypergraph, allocated once per flowRefine call and left clean after each pair. */
interface Scratch {
  readonly inRegion: Uint8Array;
  /** Flow node of every region vertex, −1 elsewhere. */
  readonly node: Int32Array;
  /** Stamp of the last pair that listed the net. */
  readonly netSeen: Int32Array;
  stamp: number;
  readonly g: FlowNetwork;
  readonly moved: Moved;
}

/** Re-splits the corridor between parts a and b by a minimum cut; returns the objective's decrease (0 when nothing better was found). */
function flowRefinePair(st: PartState, pr: Pair, cfg: FlowConfig, sc: Scratch): number {
  const { a, b } = pr;
  const { d } = st.h;
  const room = (p: number) => {
    const r = new Float64Array(d);
    for (let j = 0; j < d; j++) r[j] = Math.max(0, st.limit[p * d + j]! - st.load[p * d + j]!) + cfg.regionShare * st.limit[p * d + j]!;
    return r;
  };
  const seeds = sharedNets(st, pr, sc.moved);
  const region = [...corridor(st, a, seeds, room(b), cfg.maxNetSize, sc.inRegion), ...corridor(st, b, seeds, room(a), cfg.maxNetSize, sc.inRegion)];
  try {
    return region.length === 0 ? 0 : cutRegion(st, a, b, region, sc);
  } finally {
    for (const v of region) (sc.inRegion[v] = 0), (sc.node[v] = -1);
  }
}

function cutRegion(st: PartState, a: number, b: number, region: number[], sc: Scratch): number {
  const { d, w, eptr, pins, vptr, vnets, ewgt } = st.h;
  const { node, netSeen } = sc;
  const S = 0;
  const T = 1;
  region.forEach((v, i) => (node[v] = 2 + i));
  const stamp = ++sc.stamp;
  const netList: number[] = [];
  for (const v of region) {
    for (let x = vptr[v]!; x < vptr[v + 1]!; x++) {
      const e = vnets[x]!;
      if (netSeen[e] !== stamp) (netSeen[e] = stamp), netList.push(e);
    }
  }
  netList.sort((x, y) => x - y);
  let maxEdges = 0;
  for (const e of netList) maxEdges += 2 * (eptr[e + 1]! - eptr[e]!) + 3;
  const g = sc.g.reset(2 + region.length + 2 * netList.length, maxEdges);
  netList.forEach((e, i) => {
    const ein = 2 + region.length + 2 * i;
    const eout = ein + 1;
    let toS = false;
    let toT = false;
    for (let j = eptr[e]!; j < eptr[e + 1]!; j++) {
      const v = pins[j]!;
      const n = node[v]!;
      if (n >= 0) {
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
  if (gain > 0 && fits) {
    const { mark, nets } = sc.moved;
    for (const [v] of moved) for (let x = vptr[v]!; x < vptr[v + 1]!; x++) if (!mark[vnets[x]!]) (mark[vnets[x]!] = 1), nets.push(vnets[x]!);
    return gain;
  }
  for (let i = moved.length - 1; i >= 0; i--) st.move(moved[i]![0], moved[i]![1]);
  return 0;
}

/** Flow refinement on the pairs of parts with the heaviest nets between them, round after round while it gains. */
export function flowRefine(st: PartState, cfg: FlowConfig): number {
  const { nv, ne } = st.h;
  const sc: Scratch = { inRegion: new Uint8Array(nv), node: new Int32Array(nv).fill(-1), netSeen: new Int32Array(ne), stamp: 0, g: new FlowNetwork(), moved: { mark: new Uint8Array(ne), nets: [] } };
  let total = 0;
  for (let round = 0; round < cfg.rounds; round++) {
    let gain = 0;
    for (const e of sc.moved.nets) sc.moved.mark[e] = 0;
    sc.moved.nets.length = 0;
    for (const pr of adjacentPairs(st, cfg.maxPairs)) gain += flowRefinePair(st, pr, cfg, sc);
    total += gain;
    if (gain <= 0) break;
  }
  return total;
}

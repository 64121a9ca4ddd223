/**
 * Local improvement of a mesh placement. The cost of a vertex is Σ w·(Manhattan distance) to its
 * neighbours, minimised in x and y separately by the weighted median of their coordinates, so
 * each vertex tries the slots around that median: a move when the slot has room, otherwise a
 * swap with one of its occupants. Gains are exact (a swapped pair's shared edge keeps its length).
 */
import type { Rng } from './rng.ts';

/** Undirected weighted graph in CSR form, both directions listed. */
export interface StarGraph {
  readonly nv: number;
  readonly xadj: Int32Array;
  readonly adj: Int32Array;
  readonly adjw: Float64Array;
}

/** Weighted median of (value, weight) pairs: a point minimising Σ w·|x − value|. */
function weightedMedian(vals: Float64Array, wts: Float64Array, n: number, idx: Int32Array): number {
  for (let i = 0; i < n; i++) idx[i] = i;
  const order = idx.subarray(0, n).sort((a, b) => vals[a]! - vals[b]!);
  let total = 0;
  for (let i = 0; i < n; i++) total += wts[i]!;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += wts[order[i]!]!;
    if (2 * acc >= total) return vals[order[i]!]!;
  }
  return vals[order[n - 1]!]!;
}

export function refinePlacement(g: StarGraph, vw: Float64Array, slotOf: Int32Array, columns: number, rows: number, cap: number, rng: Rng, maxPasses = 24, radius = 2): number {
  const { nv, xadj, adj, adjw } = g;
  const slots = columns * rows;
  const load = new Float64Array(slots);
  const members: number[][] = Array.from({ length: slots }, () => []);
  for (let v = 0; v < nv; v++) {
    load[slotOf[v]!]! += vw[v]!;
    members[slotOf[v]!]!.push(v);
  }
  let maxDeg = 0;
  for (let v = 0; v < nv; v++) maxDeg = Math.max(maxDeg, xadj[v + 1]! - xadj[v]!);
  const xs = new Float64Array(maxDeg);
  const ys = new Float64Array(maxDeg);
  const ws = new Float64Array(maxDeg);
  const idx = new Int32Array(maxDeg);
  const cost = (v: number, s: number): number => {
    const x = s % columns;
    const y = (s - x) / columns;
    let c = 0;
    for (let j = xadj[v]!; j < xadj[v + 1]!; j++) {
      const t = slotOf[adj[j]!]!;
      const tx = t % columns;
      c += adjw[j]! * (Math.abs(tx - x) + Math.abs((t - tx) / columns - y));
    }
    return c;
  };
  const relocate = (v: number, from: number, to: number) => {
    const list = members[from]!;
    list.splice(list.indexOf(v), 1);
    members[to]!.push(v);
    load[from]! -= vw[v]!;
    load[to]! += vw[v]!;
    slotOf[v] = to;
  };
  let gained = 0;
  for (let pass = 0; pass < maxPasses; pass++) {
    let passGain = 0;
    let scale = 0;
    const order = rng.permutation(nv);
    for (let oi = 0; oi < nv; oi++) {
      const v = order[oi]!;
      const n = xadj[v + 1]! - xadj[v]!;
      if (n === 0) continue;
      for (let j = xadj[v]!, i = 0; j < xadj[v + 1]!; j++, i++) {
        const t = slotOf[adj[j]!]!;
        xs[i] = t % columns;
        ys[i] = Math.floor(t / columns);
        ws[i] = adjw[j]!;
      }
      const mx = weightedMedian(xs, ws, n, idx);
      const my = weightedMedian(ys, ws, n, idx);
      const a = slotOf[v]!;
      const ca = cost(v, a);
      scale += ca;
      let best = 0;
      let bestSlot = -1;
      let bestSwap = -1;
      for (let dy = -radius; dy <= radius; dy++) {
        const y = my + dy;
        if (y < 0 || y >= rows) continue;
        const rx = radius - Math.abs(dy);
        for (let dx = -rx; dx <= rx; dx++) {
          const x = mx + dx;
          if (x < 0 || x >= columns) continue;
          const b = y * columns + x;
          if (b === a) continue;
          if (load[b]! + vw[v]! <= cap) {
            const gain = ca - cost(v, b);
            if (gain > best) (best = gain), (bestSlot = b), (bestSwap = -1);
          }
          for (const u of members[b]!) {
            if (load[a]! - vw[v]! + vw[u]! > cap || load[b]! - vw[u]! + vw[v]! > cap) continue;
            const before = ca + cost(u, b);
            slotOf[v] = b;
            slotOf[u] = a;
            const gain = before - cost(v, b) - cost(u, a);
            slotOf[v] = a;
            slotOf[u] = b;
            if (gain > best) (best = gain), (bestSlot = b), (bestSwap = u);
          }
        }
      }
      if (bestSlot < 0 || best <= 1e-12 * ca) continue;
      relocate(v, a, bestSlot);
      if (bestSwap >= 0) relocate(bestSwap, bestSlot, a);
      passGain += best;
    }
    gained += passGain;
    if (passGain <= 1e-4 * scale) break;
  }
  return gained;
}

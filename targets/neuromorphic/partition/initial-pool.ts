/**
 * The other growth rules of KaHyPar's initial-partitioning pool (its `pool` initial partitioner,
 * which the km1 preset runs), beside the FM-gain growth of `initial.ts`: breadth-first
 * growth, growth by the weight of a vertex's nets already on side 0 (max-net) or by their pins
 * there (max-pin), random assignment, and label propagation from a random assignment. Each fills
 * side 0 up to its target load; the caller refines every try with two-way FM.
 */
import type { EngineHypergraph } from './engine-hypergraph.ts';
import { IndexedMaxHeap } from './heap.ts';
import type { Rng } from './rng.ts';

export type PoolAlgorithm = 'fm' | 'bfs' | 'max-net' | 'max-pin' | 'random' | 'lp';

interface Side0 {
  readonly part: Int32Array;
  readonly load0: Float64Array;
  reached(): boolean;
  fits(v: number): boolean;
  take(v: number): void;
}

export function side0(h: EngineHypergraph, target0: Float64Array, limits: Float64Array): Side0 {
  const { nv, d, w } = h;
  const part = new Int32Array(nv).fill(1);
  const load0 = new Float64Array(d);
  return {
    part,
    load0,
    reached: () => {
      for (let j = 0; j < d; j++) if (target0[j]! > 0 && load0[j]! >= target0[j]!) return true;
      return false;
    },
    fits: (v) => {
      for (let j = 0; j < d; j++) if (load0[j]! + w[v * d + j]! > limits[j]!) return false;
      return true;
    },
    take: (v) => {
      part[v] = 0;
      for (let j = 0; j < d; j++) load0[j]! += w[v * d + j]!;
    },
  };
}

/**
 * Queue growth: bfs keys a vertex by when it was first reached (FIFO); max-net adds w(e) to the
 * side-1 pins of a net when it first reaches side 0, max-pin on every pin it gains there. A
 * vertex that does not fit is skipped for good (the FM that follows can still move it).
 */
function queueGrow(h: EngineHypergraph, rule: 'bfs' | 'max-net' | 'max-pin', target0: Float64Array, limits: Float64Array, rng: Rng): Int32Array {
  const { nv, ne, eptr, pins, ewgt, vptr, vnets } = h;
  const s0 = side0(h, target0, limits);
  const { part } = s0;
  const in0 = new Int32Array(ne);
  const key = new Float64Array(nv);
  const done = new Uint8Array(nv);
  const heap = new IndexedMaxHeap(nv);
  let tick = 0;
  let left = nv;
  while (!s0.reached() && left > 0) {
    let v: number;
    if (heap.size > 0) v = heap.pop();
    else {
      v = rng.int(nv);
      while (done[v]) v = (v + 1) % nv;
    }
    done[v] = 1;
    left--;
    if (!s0.fits(v)) continue;
    s0.take(v);
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      in0[e] = in0[e]! + 1;
      if (rule === 'max-net' && in0[e] !== 1) continue;
      for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
        const u = pins[i]!;
        if (done[u]) continue;
        if (rule === 'bfs') {
          if (!heap.contains(u)) heap.insert(u, -tick++);
        } else {
          key[u] = key[u]! + ewgt[e]!;
          heap.set(u, key[u]!);
        }
      }
    }
  }
  return part;
}

/** Vertices in random order onto side 0 until it reaches its target. */
function randomFill(h: EngineHypergraph, target0: Float64Array, limits: Float64Array, rng: Rng): Int32Array {
  const s0 = side0(h, target0, limits);
  const order = rng.permutation(h.nv);
  for (let i = 0; i < order.length && !s0.reached(); i++) if (s0.fits(order[i]!)) s0.take(order[i]!);
  return s0.part;
}

/**
 * Label propagation from a random fill: each vertex, in random order, takes the side holding
 * more of its nets' weight (a net counts for a side by its share of pins there), if that side
 * has room; a few rounds, until nothing moves.
 */
function labelProp(h: EngineHypergraph, target0: Float64Array, limits: Float64Array, rng: Rng, rounds = 5): Int32Array {
  const { nv, ne, d, eptr, pins, ewgt, w, vptr, vnets } = h;
  const part = randomFill(h, target0, limits, rng);
  const n0 = new Int32Array(ne);
  for (let e = 0; e < ne; e++) for (let i = eptr[e]!; i < eptr[e + 1]!; i++) if (part[pins[i]!] === 0) n0[e]!++;
  const load = new Float64Array(2 * d);
  for (let v = 0; v < nv; v++) for (let j = 0; j < d; j++) load[part[v]! * d + j]! += w[v * d + j]!;
  for (let r = 0; r < rounds; r++) {
    let moved = 0;
    const order = rng.permutation(nv);
    for (let i = 0; i < nv; i++) {
      const v = order[i]!;
      const from = part[v]!;
      let pull = 0;
      for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
        const e = vnets[k]!;
        const size = eptr[e + 1]! - eptr[e]!;
        if (size < 2) continue;
        const on0 = n0[e]! - (from === 0 ? 1 : 0);
        pull += (ewgt[e]! * (2 * on0 - (size - 1))) / (size - 1);
      }
      const to = pull > 0 ? 0 : pull < 0 ? 1 : from;
      if (to === from) continue;
      let fits = true;
      for (let j = 0; j < d; j++) if (load[to * d + j]! + w[v * d + j]! > limits[to * d + j]!) fits = false;
      if (!fits) continue;
      part[v] = to;
      for (let j = 0; j < d; j++) {
        load[from * d + j]! -= w[v * d + j]!;
        load[to * d + j]! += w[v * d + j]!;
      }
      for (let k = vptr[v]!; k < vptr[v + 1]!; k++) n0[vnets[k]!]! += to === 0 ? 1 : -1;
      moved++;
    }
    if (moved === 0) break;
  }
  return part;
}

/** One try of a pool algorithm other than 'fm' (which `initial.ts` grows with its exact gains). */
export function poolGrow(algorithm: Exclude<PoolAlgorithm, 'fm'>, h: EngineHypergraph, target0: Float64Array, limits: Float64Array, rng: Rng): Int32Array {
  if (algorithm === 'random') return randomFill(h, target0, limits, rng);
  if (algorithm === 'lp') return labelProp(h, target0, limits, rng);
  return queueGrow(h, algorithm, target0, limits, rng);
}

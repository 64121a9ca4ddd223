/**
 * Localized k-way Fiduccia–Mattheyses (after mt-KaHyPar's localized FM, Gottesbüren et al.,
 * ALENEX 2021): many small searches, each started from a few boundary vertices, growing to the
 * pins of nets that a move changed, accepting negative-gain moves to climb out of local minima,
 * and rolled back to their best prefix. Gains are computed exactly when a vertex is popped; keys
 * of queued vertices are refreshed only for nets whose connectivity changed in a way that can
 * raise them, which keeps a move O(Σ λ) instead of O(pins of its nets × their degree).
 * A vertex's gains come from a gain cache (gain-cache.ts) where it gives the same answers.
 */
import { GainCache, gainCacheApplies } from './gain-cache.ts';
import { IndexedMaxHeap } from './heap.ts';
import type { PartState } from './part-state.ts';
import type { Rng } from './rng.ts';

export interface FmConfig {
  readonly rounds: number;
  /** Boundary vertices that seed one search. */
  readonly seeds: number;
  /** A search stops after this many moves without a new best prefix. */
  readonly maxFruitless: number;
  /** Pins of nets larger than this are not pulled into a search. */
  readonly maxActivationNetSize: number;
  /** false: every gain recomputed by PartState (the cache's reference in tests). */
  readonly gainCache?: boolean;
}

// bestMove and activate are functions of the module, not closures made by each fmRefine. As
// closures (as were the hot helpers of the two-way FM, the bisections and the sweep cut), V8's
// --trace-opt showed them optimised again on every partition call, their earlier code dropped
// with the closures of the call before: 30–50 ms of compilation a call on the U-Net, k = 8,
// about a tenth of its CPU time, and the call ran them unoptimised meanwhile. As functions of
// their modules they are compiled once per process (2 ms a call is left).

/** The best move of u (its target part, or −1) with its gain in st.lastGain, from the cache where there is one. */
function bestMove(st: PartState, cache: GainCache | null, u: number): number {
  return cache ? cache.bestMove(u) : st.bestMove(u);
}

/** Queues u at its best gain, or takes it out of the queue when it has no move; not if this round moved it. */
function activate(st: PartState, cache: GainCache | null, heap: IndexedMaxHeap, used: Int32Array, u: number, round: number): void {
  if (used[u] === round) return;
  const t = bestMove(st, cache, u);
  if (t < 0) {
    heap.remove(u);
    return;
  }
  heap.set(u, st.lastGain);
}

export function fmRefine(st: PartState, rng: Rng, cfg: FmConfig): number {
  const h = st.h;
  const { nv, eptr, pins, vptr, vnets } = h;
  const heap = new IndexedMaxHeap(nv);
  const used = new Int32Array(nv).fill(-1);
  let movedV = new Int32Array(1024);
  let movedFrom = new Int32Array(1024);
  const part = st.part;
  let total = 0;
  const cache = cfg.gainCache !== false && gainCacheApplies(st) ? new GainCache(st, cfg.maxActivationNetSize) : null;
  // Replaced by the next fmRefine on this PartState; if this one throws, the partition call fails
  // and its PartState is dropped, so a stale listener only ever costs time, never a wrong gain.
  st.listener = cache;

  for (let round = 0; round < cfg.rounds; round++) {
    const boundary: number[] = [];
    for (let v = 0; v < nv; v++) if (st.isBoundary(v)) boundary.push(v);
    const seeds = Int32Array.from(boundary);
    rng.shuffle(seeds);
    let roundGain = 0;
    let si = 0;
    while (si < seeds.length) {
      heap.clear();
      for (let c = 0; c < cfg.seeds && si < seeds.length; si++) {
        const v = seeds[si]!;
        if (used[v] === round) continue;
        activate(st, cache, heap, used, v, round);
        c++;
      }
      if (heap.size === 0) continue;
      let sum = 0;
      let best = 0;
      let bestLen = 0;
      let n = 0;
      let fruitless = 0;
      while (heap.size > 0) {
        const v = heap.top();
        const key = heap.topKey();
        const t = bestMove(st, cache, v);
        if (t < 0) {
          heap.pop();
          continue;
        }
        const g = st.lastGain;
        if (g < key - 1e-9 * Math.abs(key)) {
          heap.set(v, g);
          continue;
        }
        heap.pop();
        const from = part[v]!;
        st.move(v, t);
        used[v] = round;
        if (n === movedV.length) {
          const a = new Int32Array(n * 2);
          a.set(movedV);
          movedV = a;
          const b = new Int32Array(n * 2);
          b.set(movedFrom);
          movedFrom = b;
        }
        movedV[n] = v;
        movedFrom[n] = from;
        n++;
        sum += g;
        if (sum > best + 1e-12 * Math.abs(best)) {
          best = sum;
          bestLen = n;
          fruitless = 0;
        } else if (++fruitless >= cfg.maxFruitless) break;
        for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
          const e = vnets[k]!;
          const s = eptr[e]!;
          const end = eptr[e + 1]!;
          if (end - s > cfg.maxActivationNetSize) continue;
          if (st.pinCount(e, t) === 1) {
            // e now reaches t: every pin may profit from following v.
            for (let i = s; i < end; i++) if (pins[i] !== v && !heap.contains(pins[i]!)) activate(st, cache, heap, used, pins[i]!, round);
          } else if (st.pinCount(e, from) === 1) {
            // one pin left behind in `from`: moving it would free the net from that part.
            for (let i = s; i < end; i++) {
              if (part[pins[i]!] === from) {
                activate(st, cache, heap, used, pins[i]!, round);
                break;
              }
            }
          }
        }
      }
      for (let i = n - 1; i >= bestLen; i--) st.move(movedV[i]!, movedFrom[i]!);
      roundGain += best;
    }
    total += roundGain;
    if (roundGain <= 1e-4 * st.objective) break;
  }
  heap.clear();
  st.listener = null;
  return total;
}

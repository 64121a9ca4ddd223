/**
 * Refinement on engine graphs: label propagation over the boundary vertices and localized k-way
 * FM, the same algorithms as refine-lp.ts and refine-fm.ts (see there) with the CSR state. For
 * an edge cut the vertices that can gain are exactly the boundary ones, and a move of v into t
 * can only raise the gains of v's neighbours outside t, which are the ones a search pulls in.
 * Gains are bounded in O(1) (GraphPartState.gainBound): label propagation skips vertices whose
 * bound is not positive, and FM queues vertices under their bound and evaluates them when they
 * reach the top, so a move costs O(degree) instead of O(degree²) for evaluating all neighbours.
 */
import type { FmConfig } from './refine-fm.ts';
import type { GraphPartState } from './graph-state.ts';
import { IndexedMaxHeap } from './heap.ts';
import type { Rng } from './rng.ts';

function boundary(st: GraphPartState): Int32Array {
  const nv = st.h.nv;
  let n = 0;
  const out = new Int32Array(nv);
  for (let v = 0; v < nv; v++) if (st.isBoundary(v)) out[n++] = v;
  return out.slice(0, n);
}

/** Stops when a round gains less than `minGain` of the cut. */
export function graphLabelPropagation(st: GraphPartState, rng: Rng, rounds: number, minGain: number): number {
  let total = 0;
  for (let r = 0; r < rounds; r++) {
    const order = rng.shuffle(boundary(st));
    let moves = 0;
    let gained = 0;
    for (let i = 0; i < order.length; i++) {
      const v = order[i]!;
      if (st.gainBound(v) <= 0) continue;
      const t = st.bestMove(v);
      if (t >= 0 && st.lastGain > 0) {
        gained += st.move(v, t);
        moves++;
      }
    }
    total += gained;
    if (moves === 0 || gained <= minGain * st.objective) break;
  }
  return total;
}

export function graphFmRefine(st: GraphPartState, rng: Rng, cfg: FmConfig): number {
  const { nv, xadj, adj } = st.h;
  const heap = new IndexedMaxHeap(nv);
  const used = new Int32Array(nv).fill(-1);
  let movedV = new Int32Array(1024);
  let movedFrom = new Int32Array(1024);
  const part = st.part;
  let total = 0;
  // Queued under the O(1) bound; the exact gain is computed when the vertex reaches the top.
  const activate = (u: number, round: number): void => {
    if (used[u] !== round) heap.set(u, st.gainBound(u));
  };
  for (let round = 0; round < cfg.rounds; round++) {
    const seeds = rng.shuffle(boundary(st));
    let roundGain = 0;
    let si = 0;
    while (si < seeds.length) {
      heap.clear();
      for (let c = 0; c < cfg.seeds && si < seeds.length; si++) {
        const v = seeds[si]!;
        if (used[v] === round) continue;
        activate(v, round);
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
        const t = st.bestMove(v);
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
        for (let j = xadj[v]!; j < xadj[v + 1]!; j++) {
          const u = adj[j]!;
          if (part[u] !== t && !heap.contains(u)) activate(u, round);
        }
      }
      for (let i = n - 1; i >= bestLen; i--) st.move(movedV[i]!, movedFrom[i]!);
      roundGain += best;
    }
    total += roundGain;
    if (roundGain <= 1e-4 * st.objective) break;
  }
  heap.clear();
  return total;
}

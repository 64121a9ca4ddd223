/**
 * Initial partitioning of the coarsest hypergraph. Bisection: greedy hypergraph growing
 * (Çatalyürek & Aykanat's GHG, as in PaToH and KaHyPar) from random seeds, or the other rules
 * of KaHyPar's pool (`initial-pool.ts`), or spectral candidates (`initial-spectral.ts`), each
 * try refined by FM, the best feasible try kept.
 * k-way: recursive bisection with cut-net splitting, each bisection itself multilevel, with
 * KaHyPar's adaptive imbalance so the k parts end within their limits.
 */
import type { EngineHypergraph } from './engine-hypergraph.ts';
import { extractSide } from './engine-hypergraph.ts';
import { IndexedMaxHeap } from './heap.ts';
import { poolGrow, type PoolAlgorithm, side0 } from './initial-pool.ts';
import { overLanczosCap, spectralBisect, type SpectralConfig } from './initial-spectral.ts';
import { PartState } from './part-state.ts';
import { rebalance } from './rebalance.ts';
import { fmBisection, type Fm2Config } from './refine-fm2.ts';
import type { Rng } from './rng.ts';

/**
 * Grows side 0 from a random seed, always adding the frontier vertex whose move gains most.
 * Gains are kept exactly with the classic two-way FM delta updates: when a net first reaches
 * side 0 its side-1 pins stop paying for it, and when one pin is left on side 1 that pin would
 * free the net by moving.
 */
function greedyGrow(h: EngineHypergraph, start: GrowStart, target0: Float64Array, limits: Float64Array, rng: Rng): Int32Array {
  const { nv, ne, eptr, pins, ewgt, vptr, vnets } = h;
  const s0 = side0(h, target0, limits);
  const { part, reached, fits } = s0;
  const in0 = new Int32Array(ne);
  const in1 = start.sizes.slice();
  const gain = start.gain.slice();
  const heap = new IndexedMaxHeap(nv);
  // Per net, its side-1 pins popped without room (out of the queue until a net of theirs is scanned).
  const dropped = new Int32Array(ne);
  const isDropped = new Uint8Array(nv);
  let moved = 0;
  let guard = 0;
  while (!reached() && moved < nv && guard++ < 4 * nv) {
    let v: number;
    if (heap.size > 0) v = heap.pop();
    else {
      // A new component (or the start): a random vertex still on side 1.
      let start = rng.int(nv);
      while (part[start] !== 1) start = (start + 1) % nv;
      v = start;
    }
    if (!fits(v)) {
      isDropped[v] = 1;
      for (let k = vptr[v]!; k < vptr[v + 1]!; k++) dropped[vnets[k]!]!++;
      continue;
    }
    s0.take(v);
    moved++;
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      const we = ewgt[e]!;
      const s = eptr[e]!;
      const end = eptr[e + 1]!;
      in0[e] = in0[e]! + 1;
      in1[e] = in1[e]! - 1;
      if (in0[e] === 1) for (let i = s; i < end; i++) gain[pins[i]!]! += we;
      if (in1[e] === 1) {
        for (let i = s; i < end; i++) {
          if (part[pins[i]!] === 1) {
            gain[pins[i]!]! += we;
            break;
          }
        }
      }
      // Otherwise no gain in this net changed and every side-1 pin is queued already, so
      // re-keying them is a no-op: on spiking_cnn (nets of ~300 pins) this scan was a fifth of
      // the partition's CPU time.
      if (in0[e] !== 1 && in1[e] !== 1 && dropped[e] === 0) continue;
      for (let i = s; i < end; i++) {
        const u = pins[i]!;
        if (part[u] !== 1) continue;
        if (isDropped[u]) {
          isDropped[u] = 0;
          for (let x = vptr[u]!; x < vptr[u + 1]!; x++) dropped[vnets[x]!]!--;
        }
        heap.set(u, gain[u]!);
      }
    }
  }
  return part;
}

/** What every growth starts from: all on side 1, each vertex's gain −Σ w(e) over its nets. */
interface GrowStart {
  readonly sizes: Int32Array;
  readonly gain: Float64Array;
}

function growStart(h: EngineHypergraph): GrowStart {
  const { nv, ne, eptr, pins, ewgt } = h;
  const sizes = new Int32Array(ne);
  const gain = new Float64Array(nv);
  for (let e = 0; e < ne; e++) {
    sizes[e] = eptr[e + 1]! - eptr[e]!;
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) gain[pins[i]!]! -= ewgt[e]!;
  }
  return { sizes, gain };
}

export interface BisectConfig {
  readonly tries: number;
  readonly fm: Fm2Config;
  /** Growth rules, try t uses pool[t % length]; default FM-gain growth only. */
  readonly pool?: readonly PoolAlgorithm[];
  /** Spectral candidates (`initial-spectral.ts`) before the tries; undefined: none. */
  readonly spectral?: SpectralConfig;
  /**
   * Growth tries where the Lanczos basis would exceed its memory bound, so `spectral` gives no
   * candidate whatever the weights: the rule sets the tries it replaced, since there its
   * bisections are growth alone. Default (and where no sweep prefix fits): MIN_TRIES_WITHOUT_CANDIDATE.
   */
  readonly fallbackTries?: number;
}

/**
 * Growth tries when the spectral candidates all fail, beside the one-sided partition rebalanced.
 * Neither wins everywhere on 1% balance with 5% of the vertices weighing 20–49: on a reviewer's
 * 300 random hypergraphs (32 without a candidate) rebalancing alone gave 854 (λ−1) in all and
 * growth 486; on the test's 300 (11 without; 100–299 vertices, 2·nv nets of 2–5 random pins)
 * rebalancing gave 926 and two grown tries 1,468 (eight: 1,420), the two together 941.
 */
const MIN_TRIES_WITHOUT_CANDIDATE = 2;

/** The best try so far: a feasible one before any infeasible, then the least (λ−1). */
interface BestTry {
  part: Int32Array | null;
  objective: number;
  feasible: boolean;
}

/**
 * Refines a try (rebalanced first when it does not fit) and keeps it in `best` if it is better.
 * A function of the module, not a closure of each flatBisect (see refine-fm.ts).
 */
function consider(h: EngineHypergraph, limits: Float64Array, rng: Rng, fm: Fm2Config, part: Int32Array, best: BestTry): void {
  const st = new PartState(h, 2, limits, part);
  if (!st.feasible()) rebalance(st);
  fmBisection(st, rng, fm);
  const feasible = st.feasible();
  if ((feasible && !best.feasible) || (feasible === best.feasible && st.objective < best.objective)) {
    best.part = part;
    best.objective = st.objective;
    best.feasible = feasible;
  }
}

/** Best of several grown-and-refined bisections; limits are 2 × d, target0 the ideal side-0 load. */
export function flatBisect(h: EngineHypergraph, limits: Float64Array, target0: Float64Array, rng: Rng, cfg: BisectConfig): Int32Array {
  const best: BestTry = { part: null, objective: Infinity, feasible: false };
  // Computed once for all grown tries (a pass over the pins), and only when one grows: the
  // spectral rule's bisections mostly make none.
  let start: ReturnType<typeof growStart> | undefined;
  const pool = cfg.pool ?? ['fm'];
  const candidates = cfg.spectral ? spectralBisect(h, limits, target0, rng, cfg.spectral) : [];
  const candidateFm = cfg.spectral?.fmPasses === undefined ? cfg.fm : { ...cfg.fm, passes: Math.min(cfg.spectral.fmPasses, cfg.fm.passes) };
  for (const part of candidates) consider(h, limits, rng, candidateFm, part, best);
  // Without a candidate (no sweep prefix fits, as with a few heavy vertices, or too small a
  // hypergraph) a rule with no tries of its own would return an unrefined all-on-one-side
  // partition; instead that partition rebalanced and refined competes with two grown tries.
  const fallback = cfg.spectral !== undefined && candidates.length === 0;
  if (fallback) consider(h, limits, rng, cfg.fm, new Int32Array(h.nv), best);
  // Over the memory bound there is never a candidate, so the bisection gets the growth tries the
  // rule replaced; where no prefix fits, the rebalanced partition does better than more tries.
  const capped = cfg.spectral !== undefined && overLanczosCap(cfg.spectral.steps, h.nv);
  const tries = fallback ? Math.max(capped ? (cfg.fallbackTries ?? MIN_TRIES_WITHOUT_CANDIDATE) : MIN_TRIES_WITHOUT_CANDIDATE, cfg.tries) : cfg.tries;
  for (let t = 0; t < tries; t++) {
    const algorithm = pool[t % pool.length]!;
    consider(h, limits, rng, cfg.fm, algorithm === 'fm' ? greedyGrow(h, (start ??= growStart(h)), target0, limits, rng) : poolGrow(algorithm, h, target0, limits, rng), best);
  }
  return best.part ?? new Int32Array(h.nv);
}

export type Bisector = (h: EngineHypergraph, limits: Float64Array, target0: Float64Array, rng: Rng) => Int32Array;

/**
 * Splits parts [a, b) in two halves by capacity, bisects with limits that leave each later level
 * its share of the remaining slack, and recurses on both sides.
 */
export function recursiveBisect(h: EngineHypergraph, k: number, limits: Float64Array, rng: Rng, bisect: Bisector): Int32Array {
  const out = new Int32Array(h.nv);
  const d = h.d;
  const ids = new Int32Array(h.nv);
  for (let i = 0; i < h.nv; i++) ids[i] = i;
  // Depth first, side 0 first, so the bisections draw from rng in the order a recursion would;
  // a stack, not a recursive closure (see refine-fm.ts).
  const stack: { sub: EngineHypergraph; ids: Int32Array; a: number; b: number }[] = [{ sub: h, ids, a: 0, b: k }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { sub, ids, a, b } = top;
    if (b - a === 1 || sub.nv === 0) {
      for (let i = 0; i < ids.length; i++) out[ids[i]!] = a;
      continue;
    }
    const m = a + Math.floor((b - a) / 2);
    const lim2 = new Float64Array(2 * d);
    const target0 = new Float64Array(d);
    const levels = Math.ceil(Math.log2(b - a));
    for (let j = 0; j < d; j++) {
      let capA = 0;
      let capB = 0;
      for (let p = a; p < m; p++) capA += limits[p * d + j]!;
      for (let p = m; p < b; p++) capB += limits[p * d + j]!;
      const total = sub.totalW[j]!;
      const cap = capA + capB;
      if (total <= 0 || cap <= 0) {
        lim2[j] = capA;
        lim2[d + j] = capB;
        target0[j] = 0;
        continue;
      }
      const eps = Math.max(0, Math.pow(cap / total, 1 / levels) - 1);
      lim2[j] = Math.min(capA, (total * capA / cap) * (1 + eps));
      lim2[d + j] = Math.min(capB, (total * capB / cap) * (1 + eps));
      target0[j] = (total * capA) / cap;
    }
    const side = bisect(sub, lim2, target0, rng);
    const left = extractSide(sub, side, 0);
    const right = extractSide(sub, side, 1);
    stack.push({ sub: right.sub, ids: globalIds(ids, right.ids), a: m, b }, { sub: left.sub, ids: globalIds(ids, left.ids), a, b: m });
  }
  return out;
}

/** The input's ids of a side's vertices: `ids` maps the parent's local ids to the input's. */
function globalIds(ids: Int32Array, local: Int32Array): Int32Array {
  const g = new Int32Array(local.length);
  for (let i = 0; i < local.length; i++) g[i] = ids[local[i]!]!;
  return g;
}

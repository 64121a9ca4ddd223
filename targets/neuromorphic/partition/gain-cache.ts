/**
 * KaHyPar's gain cache for the k-way FM, sparse. The FM asks a vertex for its best move on every
 * activation and again when it is popped; recomputing it visits the connectivity set of each of
 * its nets (PartState.bestMove: 23% of the U-Net's k = 8 call; the whole FM is 22% of
 * spiking_cnn's at k = 64). Label propagation and rebalancing still ask PartState.bestMove.
 * Here a vertex's answer is computed once, then kept by delta updates as its neighbours move:
 *
 *   benefit b(u) = Σ w(e) over nets where u is the last pin of its part,
 *   score(u, q)  = Σ w(e) over nets of u that touch part q ≠ part(u),
 *
 * so gain(u → q) = b(u) − W(u) + score(u, q), W(u) the weight of u's nets, as PartState computes
 * it. A move of v changes other pins' entries only where a pin count Φ(e, ·) crosses 0, 1 or 2,
 * and then for the pins of that net only. KaHyPar keeps a dense k-entry penalty per vertex; here
 * each cached vertex holds only the parts its nets touch, in a slice of a shared pool, so the
 * memory follows the boundary, not k · n (k reaches 1024 on dvs-1m).
 *
 * Nets above `maxNetSize` pins stay out of the cache and are summed afresh on every ask: a count
 * crossing on such a net would visit all its pins, and the FM pulls no pins from them anyway
 * (its maxActivationNetSize). Without that limit the U-Net's k = 64 FM took 1.3–1.6× as long.
 *
 * Exactness: with integer net weights every sum is exact, so the gains are PartState.bestMove's to
 * the bit. Its choice among equal gains and equal load ratios is the part met first in its visit
 * order, which the cache does not keep; on such a tie the cache asks PartState.bestMove itself.
 * The caller uses the cache only where these hold (β = 0, integer weights: `gainCacheApplies`).
 */
import type { EngineHypergraph } from './engine-hypergraph.ts';
import type { PartState } from './part-state.ts';

/** Whether gains kept by deltas equal recomputed ones exactly: no synapse-cut term, integer sums. */
export function gainCacheApplies(st: PartState): boolean {
  if (st.beta !== 0) return false;
  let total = 0;
  for (const w of st.h.ewgt) {
    if (!Number.isInteger(w)) return false;
    total += w;
  }
  return total <= Number.MAX_SAFE_INTEGER;
}

export class GainCache {
  private readonly h: EngineHypergraph;
  private readonly valid: Uint8Array;
  /** Whether a cached vertex has nets above maxNetSize, whose part is summed afresh on every ask. */
  private readonly hasLarge: Uint8Array;
  private readonly benefit: Float64Array;
  private readonly netWeight: Float64Array;
  /** Cached pins per net: a net without any needs no visit when its counts change. */
  private readonly cachedPins: Int32Array;
  private readonly start: Int32Array;
  private readonly len: Int32Array;
  private readonly cap: Int32Array;
  private poolPart: Int32Array;
  private poolScore: Float64Array;
  private poolTop = 0;
  private readonly score: Float64Array;
  private readonly touched: Int32Array;
  /** Scores of the parts in touched, in its order (bestMove of a vertex with large nets). */
  private readonly scores: Float64Array;
  /** Parts in touched. */
  private nq = 0;
  /** bestMove answers that fell back to PartState.bestMove on a tie (for the tests). */
  ties = 0;

  constructor(
    private readonly st: PartState,
    /** Nets with more pins are left out of the cache (see the file's comment). */
    private readonly maxNetSize = Infinity,
  ) {
    const { nv, ne } = st.h;
    this.h = st.h;
    this.valid = new Uint8Array(nv);
    this.hasLarge = new Uint8Array(nv);
    this.benefit = new Float64Array(nv);
    this.netWeight = new Float64Array(nv);
    this.cachedPins = new Int32Array(ne);
    this.start = new Int32Array(nv);
    this.len = new Int32Array(nv);
    this.cap = new Int32Array(nv);
    this.poolPart = new Int32Array(Math.max(64, 2 * nv));
    this.poolScore = new Float64Array(this.poolPart.length);
    this.score = new Float64Array(st.k);
    this.touched = new Int32Array(st.k);
    this.scores = new Float64Array(st.k);
  }

  /** PartState.bestMove(u), from the cache; the gain is left in the state's lastGain. */
  bestMove(u: number): number {
    if (this.valid[u] === 0) this.compute(u);
    const b = this.benefit[u]! - this.netWeight[u]!;
    const s = this.start[u]!;
    const nq = this.len[u]!;
    if (this.hasLarge[u] === 0) return this.choose(u, b, this.poolPart, this.poolScore, s, nq);
    // The large nets' parts join the cached ones in the scratch scores, then in a list.
    const score = this.score;
    const touched = this.touched;
    for (let t = 0; t < nq; t++) {
      const q = this.poolPart[s + t]!;
      touched[t] = q;
      score[q] = this.poolScore[s + t]!;
    }
    this.nq = nq;
    const bl = this.sumNets(u, true);
    const n = this.nq;
    const scores = this.scores;
    for (let t = 0; t < n; t++) {
      const q = touched[t]!;
      scores[t] = score[q]!;
      score[q] = 0;
    }
    return this.choose(u, b + bl, touched, scores, 0, n);
  }

  /**
   * PartState.bestMove's choice among the parts parts[s … s + n) with scores[…]: the highest
   * gain b + score that fits, the lower load ratio on equal gains. Read straight from the
   * vertex's slice when it has no large nets (most asks), so nothing is copied.
   */
  private choose(u: number, b: number, parts: Int32Array, scores: Float64Array, s: number, n: number): number {
    const st = this.st;
    const { load, limit } = st;
    const d = this.h.d;
    let best = -1;
    let bestG = -Infinity;
    let bestLoad = Infinity;
    let tie = false;
    let unordered = false;
    for (let i = s; i < s + n; i++) {
      const q = parts[i]!;
      const g = b + scores[i]!;
      if (g < bestG) continue;
      const l = load[q * d]! / limit[q * d]!;
      if (g === bestG && l > bestLoad) continue;
      if (!st.fits(u, q)) continue;
      if (l !== l) unordered = true;
      if (g === bestG && l === bestLoad) {
        tie = true;
        continue;
      }
      best = q;
      bestG = g;
      bestLoad = l;
      tie = false;
    }
    // A NaN ratio (a part of limit 0) makes PartState's choice depend on its order as well.
    if (tie || unordered) {
      this.ties++;
      return st.bestMove(u);
    }
    st.lastGain = bestG;
    return best;
  }

  /** v is about to move: its own entries are rebuilt when next asked. */
  drop(v: number): void {
    if (this.valid[v] === 0) return;
    this.valid[v] = 0;
    const { vptr, vnets, eptr } = this.h;
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      if (eptr[e + 1]! - eptr[e]! <= this.maxNetSize) this.cachedPins[e]!--;
    }
  }

  /**
   * v moved from p to q and net e's counts are now Φ(e, p) = np, Φ(e, q) = nq (v's part is still
   * p in the state): the other cached pins of e follow.
   */
  netMoved(e: number, v: number, p: number, q: number, np: number, nq: number): void {
    if ((np > 1 && nq > 2) || this.cachedPins[e] === 0 || this.h.eptr[e + 1]! - this.h.eptr[e]! > this.maxNetSize) return;
    const { eptr, pins, ewgt } = this.h;
    const part = this.st.part;
    const w = ewgt[e]!;
    if (nq === 1 || np === 0) {
      for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
        const u = pins[i]!;
        if (u === v || this.valid[u] === 0) continue;
        // e now touches q (nq = 1: u ∉ q) or no longer p (np = 0: u ∉ p).
        if (nq === 1) this.add(u, q, w);
        if (np === 0) this.add(u, p, -w);
        const pu = part[u]!;
        if (nq === 2 && pu === q) this.benefit[u]! -= w;
        else if (np === 1 && pu === p) this.benefit[u]! += w;
      }
      return;
    }
    // Only the benefit of one pin or two changes: u was q's last pin of e and is not any more,
    // or u is now p's last pin of e.
    let left = (nq === 2 ? 1 : 0) + (np === 1 ? 1 : 0);
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
      const u = pins[i]!;
      const pu = part[u]!;
      if (u === v || (pu !== q && pu !== p)) continue;
      if (pu === q ? nq !== 2 : np !== 1) continue;
      if (this.valid[u] === 1) this.benefit[u]! += pu === q ? -w : w;
      if (--left === 0) return;
    }
  }

  private add(u: number, q: number, dw: number): void {
    const s = this.start[u]!;
    const end = s + this.len[u]!;
    for (let i = s; i < end; i++) {
      if (this.poolPart[i] !== q) continue;
      const x = (this.poolScore[i]! += dw);
      if (x === 0) {
        this.poolPart[i] = this.poolPart[end - 1]!;
        this.poolScore[i] = this.poolScore[end - 1]!;
        this.len[u]!--;
      }
      return;
    }
    if (this.len[u] === this.cap[u]) this.grow(u, Math.max(4, 2 * this.cap[u]!));
    const at = this.start[u]! + this.len[u]!++;
    this.poolPart[at] = q;
    this.poolScore[at] = dw;
  }

  /** Gives u a fresh slice of `cap` entries at the pool's end (the old one is left unused). */
  private grow(u: number, cap: number): void {
    if (this.poolTop + cap > this.poolPart.length) {
      const n = Math.max(2 * this.poolPart.length, this.poolTop + cap);
      const a = new Int32Array(n);
      a.set(this.poolPart.subarray(0, this.poolTop));
      const b = new Float64Array(n);
      b.set(this.poolScore.subarray(0, this.poolTop));
      this.poolPart = a;
      this.poolScore = b;
    }
    const s = this.start[u]!;
    this.poolPart.copyWithin(this.poolTop, s, s + this.len[u]!);
    this.poolScore.copyWithin(this.poolTop, s, s + this.len[u]!);
    this.start[u] = this.poolTop;
    this.cap[u] = cap;
    this.poolTop += cap;
  }

  /**
   * Adds the nets of u above maxNetSize pins (large) or up to it to the scratch scores, touched
   * parts from this.nq on, as PartState.bestMove sums them (β = 0); returns their benefit.
   */
  private sumNets(u: number, large: boolean): number {
    const { vptr, vnets, ewgt, eptr } = this.h;
    const { net, conn } = this.st;
    const p = this.st.part[u]!;
    const score = this.score;
    const touched = this.touched;
    let nq = this.nq;
    let b = 0;
    for (let k = vptr[u]!; k < vptr[u + 1]!; k++) {
      const e = vnets[k]!;
      if ((eptr[e + 1]! - eptr[e]! > this.maxNetSize) !== large) continue;
      const we = ewgt[e]!;
      const s = 2 * net[2 * e]!;
      const end = s + 2 * net[2 * e + 1]!;
      for (let i = s; i < end; i += 2) {
        const q = conn[i]!;
        if (q === p) {
          if (conn[i + 1] === 1) b += we;
        } else {
          if (score[q] === 0) touched[nq++] = q;
          score[q]! += we;
        }
      }
    }
    this.nq = nq;
    return b;
  }

  /** PartState.bestMove's sums for u over its nets up to maxNetSize pins, kept from now on. */
  private compute(u: number): void {
    const { vptr, vnets, ewgt, eptr } = this.h;
    const score = this.score;
    const touched = this.touched;
    this.nq = 0;
    const b = this.sumNets(u, false);
    const nq = this.nq;
    let large = 0;
    let W = 0;
    for (let k = vptr[u]!; k < vptr[u + 1]!; k++) {
      const e = vnets[k]!;
      W += ewgt[e]!;
      if (eptr[e + 1]! - eptr[e]! > this.maxNetSize) large = 1;
      else this.cachedPins[e]!++;
    }
    this.valid[u] = 1;
    this.hasLarge[u] = large;
    this.benefit[u] = b;
    this.netWeight[u] = W;
    this.len[u] = 0;
    if (this.cap[u]! < nq) this.grow(u, Math.max(4, 2 * nq));
    const s = this.start[u]!;
    for (let t = 0; t < nq; t++) {
      const q = touched[t]!;
      this.poolPart[s + t] = q;
      this.poolScore[s + t] = score[q]!;
      score[q] = 0;
    }
    this.len[u] = nq;
  }
}

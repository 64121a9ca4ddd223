/**
 * A k-way partition of an EngineHypergraph with everything refinement needs in O(λ) per net:
 * part loads, and for every net its connectivity set with pin counts Φ(e, q). The set of a net
 * lives in that net's own slice of the pin range (a net cannot touch more parts than it has
 * pins), so the memory is O(pins) whatever k is — k reaches thousands of cores.
 *
 * Gain of moving v from p to q under (λ−1): the nets where v is p's last pin stop touching p,
 * the nets that do not touch q yet start to: gain = b(v) − Σ_e w(e) + Σ_{e: Φ(e,q)>0} w(e).
 *
 * Layout: the hot loops (bestMove, move) visit one net after another in a random order, so every
 * array they read per net is a cache miss. Each net's start and connectivity size sit side by
 * side (`net`), and so do each connectivity entry's part and pin count (`conn`): with the
 * weight, three misses per net instead of five (start, size, parts, counts and weight apart).
 */
import type { EngineHypergraph } from './engine-hypergraph.ts';

/** Told of every move as it happens (the k-way FM's gain cache, gain-cache.ts). */
export interface MoveListener {
  /** v is about to move. */
  drop(v: number): void;
  /** v moves from p to q; net e's pin counts are now Φ(e, p) = np, Φ(e, q) = nq. */
  netMoved(e: number, v: number, p: number, q: number, np: number, nq: number): void;
}

export class PartState {
  readonly part: Int32Array;
  /** k × d part loads. */
  readonly load: Float64Array;
  /**
   * Per net e: net[2e] = its first pin's index (eptr[e]), net[2e + 1] = λ(e), the size of its
   * connectivity set.
   */
  readonly net: Int32Array;
  /**
   * Connectivity sets: for the pin index i of net e's slice, conn[2i] is a part the net touches
   * and conn[2i + 1] its pin count Φ(e, part); the first λ(e) entries of the slice are used.
   */
  readonly conn: Int32Array;
  objective = 0;
  /**
   * Weight of the synapse cut (targets outside their source's part) added to (λ−1) gains. A
   * small β gives single moves a slope where (λ−1) is flat — most moves on large nets change no
   * connectivity — and keeps parts spatially coherent; 0 optimises (λ−1) alone.
   */
  beta = 0;
  /** Gain of the last bestMove / gainTo answer. */
  lastGain = 0;
  listener: MoveListener | null = null;
  private readonly score: Float64Array;
  private readonly touched: Int32Array;

  constructor(
    readonly h: EngineHypergraph,
    readonly k: number,
    /** k × d limits. */
    readonly limit: Float64Array,
    part: Int32Array,
  ) {
    const { nv, ne, d, eptr, pins, ewgt, w } = h;
    this.part = part;
    this.load = new Float64Array(k * d);
    for (let v = 0; v < nv; v++) {
      const p = part[v]!;
      for (let j = 0; j < d; j++) this.load[p * d + j]! += w[v * d + j]!;
    }
    const np = eptr[ne]!;
    this.conn = new Int32Array(2 * np);
    this.net = new Int32Array(2 * ne);
    const net = this.net;
    const conn = this.conn;
    let obj = 0;
    // incr() inlined: on the input level this loop visits every pin (30 M on dvs-1m). Neighbouring
    // pins mostly share a part, so the last part seen is tried first; the set's order (first
    // appearance) is the same either way.
    for (let e = 0; e < ne; e++) {
      const s = eptr[e]!;
      const end = eptr[e + 1]!;
      const base = 2 * s;
      let top = base;
      let lastQ = -1;
      let lastAt = 0;
      for (let i = s; i < end; i++) {
        const q = part[pins[i]!]!;
        if (q === lastQ) {
          conn[lastAt + 1]!++;
          continue;
        }
        let at = base;
        while (at < top && conn[at] !== q) at += 2;
        if (at === top) {
          conn[top] = q;
          conn[top + 1] = 1;
          top += 2;
        } else conn[at + 1]!++;
        lastQ = q;
        lastAt = at;
      }
      net[2 * e] = s;
      net[2 * e + 1] = (top - base) >> 1;
      obj += ewgt[e]! * ((top - base) / 2 - 1);
    }
    this.objective = obj;
    this.score = new Float64Array(k);
    this.touched = new Int32Array(k);
  }

  /** Adds a pin of part q to net e; returns the new Φ(e, q). */
  private incr(e: number, q: number): number {
    const nt = this.net;
    const c = this.conn;
    const s = 2 * nt[2 * e]!;
    const end = s + 2 * nt[2 * e + 1]!;
    for (let i = s; i < end; i += 2) if (c[i] === q) return ++c[i + 1]!;
    c[end] = q;
    c[end + 1] = 1;
    nt[2 * e + 1]!++;
    return 1;
  }

  /** Removes a pin of part p from net e; returns the new Φ(e, p). */
  private decr(e: number, p: number): number {
    const nt = this.net;
    const c = this.conn;
    const s = 2 * nt[2 * e]!;
    const end = s + 2 * nt[2 * e + 1]!;
    for (let i = s; i < end; i += 2) {
      if (c[i] !== p) continue;
      const n = --c[i + 1]!;
      if (n === 0) {
        c[i] = c[end - 2]!;
        c[i + 1] = c[end - 1]!;
        nt[2 * e + 1]!--;
      }
      return n;
    }
    return -1;
  }

  /** λ(e), the number of parts net e touches. */
  size(e: number): number {
    return this.net[2 * e + 1]!;
  }

  pinCount(e: number, q: number): number {
    const c = this.conn;
    const s = 2 * this.net[2 * e]!;
    const end = s + 2 * this.net[2 * e + 1]!;
    for (let i = s; i < end; i += 2) if (c[i] === q) return c[i + 1]!;
    return 0;
  }

  /** True when v fits into part q without exceeding any limit. */
  fits(v: number, q: number): boolean {
    const d = this.h.d;
    const w = this.h.w;
    for (let j = 0; j < d; j++) if (this.load[q * d + j]! + w[v * d + j]! > this.limit[q * d + j]!) return false;
    return true;
  }

  /** Moves v to q; returns the decrease of the objective (the realised gain). */
  move(v: number, q: number): number {
    const { d, w, vptr, vnets, ewgt } = this.h;
    const p = this.part[v]!;
    if (p === q) return 0;
    const listener = this.listener;
    if (listener !== null) listener.drop(v);
    let gain = 0;
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      const np = this.decr(e, p);
      const nq = this.incr(e, q);
      if (np === 0) gain += ewgt[e]!;
      if (nq === 1) gain -= ewgt[e]!;
      if (listener !== null) listener.netMoved(e, v, p, q, np, nq);
    }
    for (let j = 0; j < d; j++) {
      this.load[p * d + j]! -= w[v * d + j]!;
      this.load[q * d + j]! += w[v * d + j]!;
    }
    this.part[v] = q;
    this.objective -= gain;
    return gain;
  }

  /**
   * The feasible adjacent part with the highest gain for v (ties to the lighter part), or −1
   * when v touches no other part or none has room. The gain is left in lastGain.
   */
  bestMove(v: number): number {
    const { vptr, vnets, vpos, ewgt, pins, headed, d } = this.h;
    const p = this.part[v]!;
    const part = this.part;
    const nt = this.net;
    const c = this.conn;
    const score = this.score;
    const touched = this.touched;
    const beta = this.beta;
    let W = 0;
    let b = 0;
    let nq = 0;
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      const we = ewgt[e]!;
      W += we;
      const s = 2 * nt[2 * e]!;
      const end = s + 2 * nt[2 * e + 1]!;
      if (beta > 0 && headed[e]) {
        if (vpos[k] === 0) {
          // v is the source: its synapses to part q stop being cut, those to p start.
          for (let i = s; i < end; i += 2) {
            const q = c[i]!;
            if (q === p) b -= beta * we * (c[i + 1]! - 1);
            else {
              if (score[q] === 0) touched[nq++] = q;
              score[q]! += beta * we * c[i + 1]!;
            }
          }
        } else {
          const hp = part[pins[s >> 1]!]!;
          if (hp === p) b -= beta * we;
          else {
            if (score[hp] === 0) touched[nq++] = hp;
            score[hp]! += beta * we;
          }
        }
      }
      for (let i = s; i < end; i += 2) {
        const q = c[i]!;
        if (q === p) {
          if (c[i + 1] === 1) b += we;
        } else {
          if (score[q] === 0) touched[nq++] = q;
          score[q]! += we;
        }
      }
    }
    let best = -1;
    let bestG = -Infinity;
    let bestLoad = Infinity;
    for (let t = 0; t < nq; t++) {
      const q = touched[t]!;
      const g = b - W + score[q]!;
      score[q] = 0;
      if (g < bestG) continue;
      const l = this.load[q * d]! / this.limit[q * d]!;
      // First visited wins a tie of gain and load: gain-cache.ts detects such ties and asks here.
      if (g === bestG && l >= bestLoad) continue;
      if (!this.fits(v, q)) continue;
      best = q;
      bestG = g;
      bestLoad = l;
    }
    this.lastGain = bestG;
    return best;
  }

  /** Gain of moving v to q (any q, adjacent or not). */
  gainTo(v: number, q: number): number {
    const { vptr, vnets, ewgt } = this.h;
    const p = this.part[v]!;
    let g = 0;
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      if (this.pinCount(e, p) === 1) g += ewgt[e]!;
      if (this.pinCount(e, q) === 0) g -= ewgt[e]!;
    }
    return g;
  }

  /** True when some net of v touches another part. */
  isBoundary(v: number): boolean {
    const { vptr, vnets } = this.h;
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) if (this.net[2 * vnets[k]! + 1]! > 1) return true;
    return false;
  }

  /** True when every part is within its limits. */
  feasible(): boolean {
    for (let i = 0; i < this.load.length; i++) if (this.load[i]! > this.limit[i]!) return false;
    return true;
  }
}

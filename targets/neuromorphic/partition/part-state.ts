/**
 * A k-way partition of an EngineHypergraph with everything refinement needs in O(λ) per net:
 * part loads, and for every net its connectivity set with pin counts Φ(e, q). The set of a net
 * lives in that net's own slice of the pin range (a net cannot touch more parts than it has
 * pins), so the memory is O(pins) whatever k is — k reaches thousands of cores.
 *
 * Gain of moving v from p to q under (λ−1): the nets where v is p's last pin stop touching p,
 * the nets that do not touch q yet start to: gain = b(v) − Σ_e w(e) + Σ_{e: Φ(e,q)>0} w(e).
 */
import type { EngineHypergraph } from './engine-hypergraph.ts';

export class PartState {
  readonly part: Int32Array;
  /** k × d part loads. */
  readonly load: Float64Array;
  readonly cPart: Int32Array;
  readonly cCnt: Int32Array;
  readonly cSize: Int32Array;
  objective = 0;
  /**
   * Weight of the synapse cut (targets outside their source's part) added to (λ−1) gains. A
   * small β gives single moves a slope where (λ−1) is flat — most moves on large nets change no
   * connectivity — and keeps parts spatially coherent; 0 optimises (λ−1) alone.
   */
  beta = 0;
  /** Gain of the last bestMove / gainTo answer. */
  lastGain = 0;
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
    this.cPart = new Int32Array(np);
    this.cCnt = new Int32Array(np);
    this.cSize = new Int32Array(ne);
    let obj = 0;
    for (let e = 0; e < ne; e++) {
      for (let i = eptr[e]!; i < eptr[e + 1]!; i++) this.incr(e, part[pins[i]!]!);
      obj += ewgt[e]! * (this.cSize[e]! - 1);
    }
    this.objective = obj;
    this.score = new Float64Array(k);
    this.touched = new Int32Array(k);
  }

  /** Adds a pin of part q to net e; returns the new Φ(e, q). */
  private incr(e: number, q: number): number {
    const s = this.h.eptr[e]!;
    const n = this.cSize[e]!;
    const cp = this.cPart;
    for (let i = s; i < s + n; i++) if (cp[i] === q) return ++this.cCnt[i]!;
    cp[s + n] = q;
    this.cCnt[s + n] = 1;
    this.cSize[e] = n + 1;
    return 1;
  }

  /** Removes a pin of part p from net e; returns the new Φ(e, p). */
  private decr(e: number, p: number): number {
    const s = this.h.eptr[e]!;
    const n = this.cSize[e]!;
    const cp = this.cPart;
    const cc = this.cCnt;
    for (let i = s; i < s + n; i++) {
      if (cp[i] !== p) continue;
      const c = --cc[i]!;
      if (c === 0) {
        const last = s + n - 1;
        cp[i] = cp[last]!;
        cc[i] = cc[last]!;
        this.cSize[e] = n - 1;
      }
      return c;
    }
    return -1;
  }

  pinCount(e: number, q: number): number {
    const s = this.h.eptr[e]!;
    for (let i = s; i < s + this.cSize[e]!; i++) if (this.cPart[i] === q) return this.cCnt[i]!;
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
    let gain = 0;
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      if (this.decr(e, p) === 0) gain += ewgt[e]!;
      if (this.incr(e, q) === 1) gain -= ewgt[e]!;
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
    const { vptr, vnets, vpos, ewgt, eptr, pins, headed, d } = this.h;
    const p = this.part[v]!;
    const part = this.part;
    const cp = this.cPart;
    const cc = this.cCnt;
    const cs = this.cSize;
    const score = this.score;
    const touched = this.touched;
    const beta = this.beta;
    let W = 0;
    let b = 0;
    let nt = 0;
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      const we = ewgt[e]!;
      W += we;
      const s = eptr[e]!;
      const end = s + cs[e]!;
      if (beta > 0 && headed[e]) {
        if (vpos[k] === 0) {
          // v is the source: its synapses to part q stop being cut, those to p start.
          for (let i = s; i < end; i++) {
            const q = cp[i]!;
            if (q === p) b -= beta * we * (cc[i]! - 1);
            else {
              if (score[q] === 0) touched[nt++] = q;
              score[q]! += beta * we * cc[i]!;
            }
          }
        } else {
          const hp = part[pins[s]!]!;
          if (hp === p) b -= beta * we;
          else {
            if (score[hp] === 0) touched[nt++] = hp;
            score[hp]! += beta * we;
          }
        }
      }
      for (let i = s; i < end; i++) {
        const q = cp[i]!;
        if (q === p) {
          if (cc[i] === 1) b += we;
        } else {
          if (score[q] === 0) touched[nt++] = q;
          score[q]! += we;
        }
      }
    }
    let best = -1;
    let bestG = -Infinity;
    let bestLoad = Infinity;
    for (let t = 0; t < nt; t++) {
      const q = touched[t]!;
      const g = b - W + score[q]!;
      score[q] = 0;
      if (g < bestG) continue;
      const l = this.load[q * d]! / this.limit[q * d]!;
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
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) if (this.cSize[vnets[k]!]! > 1) return true;
    return false;
  }

  /** True when every part is within its limits. */
  feasible(): boolean {
    for (let i = 0; i < this.load.length; i++) if (this.load[i]! > this.limit[i]!) return false;
    return true;
  }
}

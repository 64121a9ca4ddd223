/**
 * A k-way partition of an engine graph for refinement: part loads and the edge cut. The gain of
 * moving v from p to q is conn(v, q) − conn(v, p), read off v's CSR row in one pass (one
 * scattered read per neighbour, its part). The surface matches PartState where rebalancing
 * needs it, so the same rebalancer serves both engines.
 *
 * Each vertex's weight towards its own part is kept up to date (a move touches only the mover's
 * row). With the weighted degree it bounds every gain, conn(q) − conn(p) ≤ (degree − 2·internal),
 * in O(1): refinement skips vertices that cannot gain and queues FM candidates under the bound,
 * computing the exact gain only for the vertices that reach the top of the queue.
 */
import type { EngineGraph } from './graph-engine.ts';

export class GraphPartState {
  readonly part: Int32Array;
  /** k × d part loads. */
  readonly load: Float64Array;
  /** The edge cut, each undirected edge once. */
  objective = 0;
  /** Gain of the last bestMove answer. */
  lastGain = 0;
  /** Weight of each vertex's edges into its own part. */
  readonly internal: Float64Array;
  /** Weighted degree of each vertex. */
  readonly wdeg: Float64Array;
  private readonly score: Float64Array;
  private readonly touched: Int32Array;

  constructor(
    readonly h: EngineGraph,
    readonly k: number,
    /** k × d limits. */
    readonly limit: Float64Array,
    part: Int32Array,
  ) {
    const { nv, d, xadj, adj, adjw, w } = h;
    this.part = part;
    this.load = new Float64Array(k * d);
    this.internal = new Float64Array(nv);
    this.wdeg = new Float64Array(nv);
    let cut = 0;
    for (let v = 0; v < nv; v++) {
      const p = part[v]!;
      for (let j = 0; j < d; j++) this.load[p * d + j]! += w[v * d + j]!;
      let all = 0;
      let own = 0;
      for (let j = xadj[v]!; j < xadj[v + 1]!; j++) {
        all += adjw[j]!;
        if (part[adj[j]!] === p) own += adjw[j]!;
      }
      this.wdeg[v] = all;
      this.internal[v] = own;
      cut += all - own;
    }
    this.objective = cut / 2;
    this.score = new Float64Array(k);
    this.touched = new Int32Array(k);
  }

  fits(v: number, q: number): boolean {
    const d = this.h.d;
    const w = this.h.w;
    for (let j = 0; j < d; j++) if (this.load[q * d + j]! + w[v * d + j]! > this.limit[q * d + j]!) return false;
    return true;
  }

  /** Moves v to q; returns the decrease of the cut. */
  move(v: number, q: number): number {
    const { d, w, xadj, adj, adjw } = this.h;
    const part = this.part;
    const p = part[v]!;
    if (p === q) return 0;
    const internal = this.internal;
    let toQ = 0;
    for (let j = xadj[v]!; j < xadj[v + 1]!; j++) {
      const u = adj[j]!;
      const r = part[u]!;
      if (r === q) {
        toQ += adjw[j]!;
        internal[u]! += adjw[j]!;
      } else if (r === p) internal[u]! -= adjw[j]!;
    }
    const gain = toQ - internal[v]!;
    internal[v] = toQ;
    for (let j = 0; j < d; j++) {
      this.load[p * d + j]! -= w[v * d + j]!;
      this.load[q * d + j]! += w[v * d + j]!;
    }
    part[v] = q;
    this.objective -= gain;
    return gain;
  }

  /**
   * The feasible adjacent part with the highest gain for v (ties to the lighter part), or −1
   * when v has no neighbour in another part or none has room. The gain is left in lastGain.
   */
  bestMove(v: number): number {
    const { d, xadj, adj, adjw } = this.h;
    const part = this.part;
    const score = this.score;
    const touched = this.touched;
    const p = part[v]!;
    let internal = 0;
    let nt = 0;
    for (let j = xadj[v]!; j < xadj[v + 1]!; j++) {
      const q = part[adj[j]!]!;
      if (q === p) internal += adjw[j]!;
      else {
        if (score[q] === 0) touched[nt++] = q;
        score[q]! += adjw[j]!;
      }
    }
    let best = -1;
    let bestG = -Infinity;
    let bestLoad = Infinity;
    for (let t = 0; t < nt; t++) {
      const q = touched[t]!;
      const g = score[q]! - internal;
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

  isBoundary(v: number): boolean {
    return this.wdeg[v]! > this.internal[v]!;
  }

  /** An upper bound on v's gain: all its external weight into one part, minus the internal weight. */
  gainBound(v: number): number {
    return this.wdeg[v]! - 2 * this.internal[v]!;
  }

  feasible(): boolean {
    for (let i = 0; i < this.load.length; i++) if (this.load[i]! > this.limit[i]!) return false;
    return true;
  }
}

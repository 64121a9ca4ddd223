/**
 * The partitioner's working form of a graph for `partitionGraph`: CSR adjacency with both
 * directions listed and d-dimensional vertex weights. The hypergraph engine also takes graphs
 * (two-pin nets), but a million-vertex synapse graph has 30 M edges, and per-net arrays (pins,
 * incidence, connectivity sets) cost five scattered reads per edge visit where CSR costs one;
 * so the large levels of a graph run here and only the coarsest goes to the hypergraph engine.
 */
import { withIncidence, type EngineHypergraph } from './engine-hypergraph.ts';
import type { Graph } from './types.ts';

export interface EngineGraph {
  readonly nv: number;
  /** Number of weight dimensions (constraints). */
  readonly d: number;
  /** nv + 1 offsets into adj / adjw. */
  readonly xadj: Int32Array;
  readonly adj: Int32Array;
  readonly adjw: Float64Array;
  /** nv × d vertex weights. */
  readonly w: Float64Array;
  readonly totalW: Float64Array;
}

function totals(nv: number, d: number, w: Float64Array): Float64Array {
  const t = new Float64Array(d);
  for (let v = 0; v < nv; v++) for (let j = 0; j < d; j++) t[j]! += w[v * d + j]!;
  return t;
}

/**
 * The engine graph of `g`, with the semantics of the hypergraph path: each edge {u, v} is taken
 * from u's list (u < v), edges of weight ≤ 0 are dropped, and both directions are listed.
 */
export function engineGraphOf(g: Graph, w: Float64Array, d: number): EngineGraph {
  const { nv, xadj, adjncy, adjwgt } = g;
  const deg = new Int32Array(nv + 1);
  for (let u = 0; u < nv; u++) {
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) {
      const v = adjncy[j]!;
      if (v > u && (adjwgt ? adjwgt[j]! > 0 : true)) deg[u + 1]!++, deg[v + 1]!++;
    }
  }
  for (let v = 0; v < nv; v++) deg[v + 1]! += deg[v]!;
  const fill = deg.slice(0, nv);
  const adj = new Int32Array(deg[nv]!);
  const adjw = new Float64Array(deg[nv]!);
  for (let u = 0; u < nv; u++) {
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) {
      const v = adjncy[j]!;
      const we = adjwgt ? adjwgt[j]! : 1;
      if (v <= u || !(we > 0)) continue;
      let p = fill[u]!++;
      adj[p] = v;
      adjw[p] = we;
      p = fill[v]!++;
      adj[p] = u;
      adjw[p] = we;
    }
  }
  return { nv, d, xadj: deg, adj, adjw, w, totalW: totals(nv, d, w) };
}

/** Merges each cluster into one vertex; parallel edges are summed and internal edges dropped. */
export function contractGraph(g: EngineGraph, clusterOf: Int32Array, nc: number): EngineGraph {
  const { nv, d, xadj, adj, adjw, w } = g;
  const cw = new Float64Array(nc * d);
  // Members of each cluster, contiguous, so every coarse row is built in one go.
  const start = new Int32Array(nc + 1);
  for (let v = 0; v < nv; v++) {
    const c = clusterOf[v]!;
    start[c + 1]!++;
    for (let j = 0; j < d; j++) cw[c * d + j]! += w[v * d + j]!;
  }
  for (let c = 0; c < nc; c++) start[c + 1]! += start[c]!;
  const members = new Int32Array(nv);
  const fill = start.slice(0, nc);
  for (let v = 0; v < nv; v++) members[fill[clusterOf[v]!]!++] = v;
  const cxadj = new Int32Array(nc + 1);
  let cap = Math.max(16, adj.length >> 1);
  let cadj = new Int32Array(cap);
  let cadjw = new Float64Array(cap);
  const at = new Int32Array(nc).fill(-1);
  let m = 0;
  for (let c = 0; c < nc; c++) {
    const rowStart = m;
    for (let i = start[c]!; i < start[c + 1]!; i++) {
      const v = members[i]!;
      for (let j = xadj[v]!; j < xadj[v + 1]!; j++) {
        const t = clusterOf[adj[j]!]!;
        if (t === c) continue;
        const a = at[t]!;
        if (a >= rowStart) {
          cadjw[a]! += adjw[j]!;
          continue;
        }
        if (m === cap) {
          cap *= 2;
          const na = new Int32Array(cap);
          na.set(cadj);
          cadj = na;
          const nw = new Float64Array(cap);
          nw.set(cadjw);
          cadjw = nw;
        }
        at[t] = m;
        cadj[m] = t;
        cadjw[m++] = adjw[j]!;
      }
    }
    cxadj[c + 1] = m;
  }
  return { nv: nc, d, xadj: cxadj, adj: cadj.slice(0, m), adjw: cadjw.slice(0, m), w: cw, totalW: totals(nc, d, cw) };
}

/** The same graph as two-pin nets, for the hypergraph engine's initial partitioning. */
export function graphToHypergraph(g: EngineGraph): EngineHypergraph {
  const { nv, xadj, adj, adjw } = g;
  const m = adj.length >> 1;
  const eptr = new Int32Array(m + 1);
  const pins = new Int32Array(2 * m);
  const ewgt = new Float64Array(m);
  let e = 0;
  for (let u = 0; u < nv; u++) {
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) {
      const v = adj[j]!;
      if (v <= u) continue;
      pins[2 * e] = u;
      pins[2 * e + 1] = v;
      ewgt[e] = adjw[j]!;
      eptr[++e] = 2 * e;
    }
  }
  return withIncidence(nv, e, eptr.subarray(0, e + 1), pins.subarray(0, 2 * e), ewgt.subarray(0, e), g.w, g.d, new Uint8Array(e).fill(1));
}

/**
 * The synapse graph of a spiking hypergraph (nets source-first): one undirected edge per
 * source–target pair weighing the net's weight, parallel edges merged, both directions listed
 * as METIS requires. This is the graph gpmetis and `partitionGraph` see for the same network.
 * Sourceless nets (spikes from the host) are left out: no synapse joins their pins on chip.
 */
import type { Graph, Hypergraph } from './types.ts';

export function synapseGraphOf(h: Hypergraph, opts: { dropWeightless?: boolean } = {}): Graph {
  const { nv, ne, eptr, pins, ewgt, sourceless } = h;
  // Nets of weight 0 carry no spikes; placement leaves them out (`dropWeightless`), METIS keeps them.
  const skip = (e: number) => sourceless?.[e] || eptr[e + 1] === eptr[e] || (opts.dropWeightless === true && ewgt !== undefined && !(ewgt[e]! > 0));
  const deg = new Int32Array(nv + 1);
  for (let e = 0; e < ne; e++) {
    if (skip(e)) continue;
    const s = pins[eptr[e]!]!;
    for (let i = eptr[e]! + 1; i < eptr[e + 1]!; i++) {
      if (pins[i] === s) continue;
      deg[s + 1]!++;
      deg[pins[i]! + 1]!++;
    }
  }
  for (let v = 0; v < nv; v++) deg[v + 1]! += deg[v]!;
  const fill = deg.slice(0, nv);
  const nbr = new Int32Array(deg[nv]!);
  const wt = new Float64Array(deg[nv]!);
  for (let e = 0; e < ne; e++) {
    if (skip(e)) continue;
    const s = pins[eptr[e]!]!;
    const w = ewgt ? ewgt[e]! : 1;
    for (let i = eptr[e]! + 1; i < eptr[e + 1]!; i++) {
      const t = pins[i]!;
      if (t === s) continue;
      let p = fill[s]!++;
      nbr[p] = t;
      wt[p] = w;
      p = fill[t]!++;
      nbr[p] = s;
      wt[p] = w;
    }
  }
  // Merge parallel edges (a recurrent pair, or a target listed by two nets of one source).
  const xadj = new Int32Array(nv + 1);
  const adjncy = new Int32Array(nbr.length);
  const adjwgt = new Float64Array(nbr.length);
  const at = new Int32Array(nv).fill(-1);
  let m = 0;
  for (let v = 0; v < nv; v++) {
    const start = m;
    for (let j = deg[v]!; j < deg[v + 1]!; j++) {
      const u = nbr[j]!;
      if (at[u]! >= start) adjwgt[at[u]!]! += wt[j]!;
      else {
        at[u] = m;
        adjncy[m] = u;
        adjwgt[m++] = wt[j]!;
      }
    }
    xadj[v + 1] = m;
  }
  return { nv, xadj, adjncy: adjncy.slice(0, m), adjwgt: adjwgt.slice(0, m), ncon: 1, vwgt: h.vwgt };
}

/**
 * Heavy-edge clustering of an engine graph: the rule `clusterVertices` applies to two-pin nets
 * (a vertex joins the neighbouring cluster it shares the most edge weight with, within the
 * cluster weight limit; equal ratings prefer a singleton, then a salted hash), run on CSR rows.
 */
import type { Clustering } from './coarsen.ts';
import type { EngineGraph } from './graph-engine.ts';
import { mix32, type Rng } from './rng.ts';

export function clusterGraph(g: EngineGraph, maxW: Float64Array, target: number, rng: Rng): Clustering {
  const { nv, d, xadj, adj, adjw, w } = g;
  const rep = new Int32Array(nv);
  const size = new Int32Array(nv).fill(1);
  const cw = w.slice();
  for (let v = 0; v < nv; v++) rep[v] = v;
  const rating = new Float64Array(nv);
  const touched = new Int32Array(nv);
  const order = rng.permutation(nv);
  let clusters = nv;
  for (let oi = 0; oi < nv && clusters > target; oi++) {
    const v = order[oi]!;
    if (rep[v] !== v || size[v]! > 1) continue;
    let nt = 0;
    for (let j = xadj[v]!; j < xadj[v + 1]!; j++) {
      const c = rep[adj[j]!]!;
      if (rating[c] === 0) touched[nt++] = c;
      rating[c]! += adjw[j]!;
    }
    let best = -1;
    let bestR = 0;
    let bestTie = 0;
    const salt = rng.nextU32();
    for (let t = 0; t < nt; t++) {
      const c = touched[t]!;
      const r = rating[c]!;
      rating[c] = 0;
      if (c === v || r < bestR) continue;
      let fits = true;
      for (let j = 0; j < d; j++) {
        if (cw[c * d + j]! + w[v * d + j]! > maxW[j]!) {
          fits = false;
          break;
        }
      }
      if (!fits) continue;
      const tie = (size[c] === 1 ? 0x80000000 : 0) + (mix32(c ^ salt) >>> 1);
      if (r > bestR || tie > bestTie) {
        best = c;
        bestR = r;
        bestTie = tie;
      }
    }
    if (best < 0) continue;
    rep[v] = best;
    size[best]!++;
    for (let j = 0; j < d; j++) cw[best * d + j]! += w[v * d + j]!;
    clusters--;
  }
  const id = new Int32Array(nv).fill(-1);
  let nc = 0;
  for (let v = 0; v < nv; v++) if (rep[v] === v) id[v] = nc++;
  const clusterOf = new Int32Array(nv);
  for (let v = 0; v < nv; v++) clusterOf[v] = id[rep[v]!]!;
  return { clusterOf, nc };
}

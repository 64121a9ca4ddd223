/**
 * The synapse graph of a hypergraph, contracted to a coarse level: every headed net contributes
 * an edge source–target of weight w(e) per synapse; parallel edges are merged. The initial
 * partition is computed on this graph. (λ−1) bisections are myopic on layered networks — the
 * cheapest first cut often separates layers, which makes every later cut expensive — while the
 * synapse cut keeps parts spatially coherent, and (λ−1) refinement then takes over.
 */
import { withIncidence, type EngineHypergraph } from './engine-hypergraph.ts';

export function contractedStarGraph(fine: EngineHypergraph, map: Int32Array, coarse: EngineHypergraph): EngineHypergraph {
  const nc = coarse.nv;
  const { ne, eptr, pins, ewgt, headed } = fine;
  // Pass 1: count edges per lower endpoint; pass 2: fill; then merge duplicates per row.
  const cnt = new Int32Array(nc + 1);
  const visit = (f: (a: number, b: number, w: number) => void) => {
    for (let e = 0; e < ne; e++) {
      const s = eptr[e]!;
      const end = eptr[e + 1]!;
      const we = ewgt[e]!;
      if (headed[e]) {
        const a = map[pins[s]!]!;
        for (let i = s + 1; i < end; i++) {
          const b = map[pins[i]!]!;
          if (a !== b) f(a < b ? a : b, a < b ? b : a, we);
        }
      } else {
        // No source known: a path through the pins keeps the net connected at linear cost.
        for (let i = s + 1; i < end; i++) {
          const a = map[pins[i - 1]!]!;
          const b = map[pins[i]!]!;
          if (a !== b) f(a < b ? a : b, a < b ? b : a, we);
        }
      }
    }
  };
  visit((a) => cnt[a + 1]!++);
  for (let v = 0; v < nc; v++) cnt[v + 1]! += cnt[v]!;
  const fill = cnt.slice(0, nc);
  const other = new Int32Array(cnt[nc]!);
  const wt = new Float64Array(cnt[nc]!);
  visit((a, b, w) => {
    const p = fill[a]!++;
    other[p] = b;
    wt[p] = w;
  });
  const acc = new Float64Array(nc);
  const seen = new Int32Array(nc).fill(-1);
  const list = new Int32Array(nc);
  let m = 0;
  for (let a = 0; a < nc; a++) {
    for (let j = cnt[a]!; j < cnt[a + 1]!; j++) if (seen[other[j]!] !== a) (seen[other[j]!] = a), m++;
  }
  const eptrG = new Int32Array(m + 1);
  const pinsG = new Int32Array(2 * m);
  const wG = new Float64Array(m);
  seen.fill(-1);
  let e2 = 0;
  for (let a = 0; a < nc; a++) {
    let nl = 0;
    for (let j = cnt[a]!; j < cnt[a + 1]!; j++) {
      const b = other[j]!;
      if (seen[b] !== a) {
        seen[b] = a;
        acc[b] = 0;
        list[nl++] = b;
      }
      acc[b]! += wt[j]!;
    }
    for (let t = 0; t < nl; t++) {
      const b = list[t]!;
      pinsG[2 * e2] = a;
      pinsG[2 * e2 + 1] = b;
      wG[e2] = acc[b]!;
      eptrG[++e2] = 2 * e2;
    }
  }
  return withIncidence(nc, m, eptrG, pinsG, wG, coarse.w, coarse.d, new Uint8Array(m).fill(1), coarse.layer);
}

/**
 * The partitioner's working form of a hypergraph: nets as CSR, the incidence (nets of every
 * vertex, with the position of the vertex inside each net) and d-dimensional vertex weights, one
 * dimension per constraint. Graphs enter as hypergraphs whose nets are their edges (two pins),
 * for which (λ−1) is exactly the edge cut, so one engine serves both objectives.
 */
import type { Graph, Hypergraph } from './types.ts';

export interface EngineHypergraph {
  readonly nv: number;
  readonly ne: number;
  /** Number of weight dimensions (constraints). */
  readonly d: number;
  readonly eptr: Int32Array;
  readonly pins: Int32Array;
  readonly ewgt: Float64Array;
  /** nv × d vertex weights. */
  readonly w: Float64Array;
  /** nv + 1 offsets into vnets / vpos. */
  readonly vptr: Int32Array;
  readonly vnets: Int32Array;
  /** Position of the vertex inside the corresponding net of vnets. */
  readonly vpos: Int32Array;
  /** d totals of w. */
  readonly totalW: Float64Array;
  /**
   * 1 when the net's first pin is its source (the presynaptic neuron). Coarsening rates large
   * nets as stars around the source; a net split away from its source has none.
   */
  readonly headed: Uint8Array;
  /** The network layer of each vertex, when the caller gave it (`Hypergraph.layer`); see clusterVertices. */
  readonly layer?: Int32Array;
}

export function withIncidence(nv: number, ne: number, eptr: Int32Array, pins: Int32Array, ewgt: Float64Array, w: Float64Array, d: number, headed: Uint8Array, layer?: Int32Array): EngineHypergraph {
  const np = eptr[ne]!;
  const vptr = new Int32Array(nv + 1);
  for (let i = 0; i < np; i++) vptr[pins[i]! + 1]!++;
  for (let v = 0; v < nv; v++) vptr[v + 1]! += vptr[v]!;
  const fill = vptr.slice(0, nv);
  const vnets = new Int32Array(np);
  const vpos = new Int32Array(np);
  for (let e = 0; e < ne; e++) {
    const s = eptr[e]!;
    const end = eptr[e + 1]!;
    for (let i = s; i < end; i++) {
      const slot = fill[pins[i]!]!++;
      vnets[slot] = e;
      vpos[slot] = i - s;
    }
  }
  const totalW = new Float64Array(d);
  for (let v = 0; v < nv; v++) for (let j = 0; j < d; j++) totalW[j]! += w[v * d + j]!;
  // `layer` is always a field, so every engine hypergraph has one shape for the hot loops.
  return { nv, ne, d, eptr, pins: np === pins.length ? pins : pins.subarray(0, np), ewgt, w, vptr, vnets, vpos, totalW, headed, layer };
}

/**
 * Nets with fewer than two distinct pins or no weight can never be cut, so they are dropped;
 * repeated pins are merged. `w` is the nv × d weight matrix of the constraints. A net is headed
 * (its first pin is its source) when `firstPinIsSource` holds and the net is not flagged sourceless.
 */
export function fromHypergraph(h: Hypergraph, w: Float64Array, d: number, firstPinIsSource: boolean): EngineHypergraph {
  const { nv, ne, eptr, pins, ewgt, sourceless } = h;
  const neweptr = new Int32Array(ne + 1);
  const head = new Uint8Array(ne);
  const newpins = new Int32Array(eptr[ne]!);
  const neww = new Float64Array(ne);
  const seen = new Int32Array(nv).fill(-1);
  let m = 0;
  let np = 0;
  for (let e = 0; e < ne; e++) {
    const we = ewgt ? ewgt[e]! : 1;
    if (!(we > 0)) continue;
    const start = np;
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
      const v = pins[i]!;
      if (seen[v] === e) continue;
      seen[v] = e;
      newpins[np++] = v;
    }
    if (np - start < 2) {
      np = start;
      continue;
    }
    neww[m] = we;
    head[m] = firstPinIsSource && !sourceless?.[e] ? 1 : 0;
    neweptr[++m] = np;
  }
  // Views, not copies: the pin array is the size of the input (30 M pins on dvs-1m) and loses
  // at most the dropped nets' pins, so a trimmed copy would cost a pass for little memory.
  // `nv | 0`: a count the caller computed in floating point (the neuron graph's) reaches V8 as a
  // heap number, which turns the field's representation to double in every engine hypergraph
  // from then on; the optimised partitioner code then deoptimises and ran ~10× slower while
  // recompiling — most of the first partition call's extra second on spiking_cnn.
  return withIncidence(nv | 0, m, neweptr.subarray(0, m + 1), newpins.subarray(0, np), neww.subarray(0, m), w, d, head.subarray(0, m), h.layer);
}

/** Every undirected edge {u, v} (u < v) becomes a two-pin net of the edge's weight. */
export function fromGraph(g: Graph, w: Float64Array, d: number): EngineHypergraph {
  const { nv, xadj, adjncy, adjwgt } = g;
  let m = 0;
  for (let u = 0; u < nv; u++) for (let j = xadj[u]!; j < xadj[u + 1]!; j++) if (adjncy[j]! > u && (adjwgt ? adjwgt[j]! > 0 : true)) m++;
  const eptr = new Int32Array(m + 1);
  const pins = new Int32Array(2 * m);
  const ewgt = new Float64Array(m);
  let e = 0;
  for (let u = 0; u < nv; u++) {
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) {
      const v = adjncy[j]!;
      const we = adjwgt ? adjwgt[j]! : 1;
      if (v <= u || !(we > 0)) continue;
      pins[2 * e] = u;
      pins[2 * e + 1] = v;
      ewgt[e] = we;
      eptr[++e] = 2 * e;
    }
  }
  return withIncidence(nv, m, eptr, pins, ewgt, w, d, new Uint8Array(m).fill(1));
}

/**
 * The sub-hypergraph induced by the vertices with side[v] === s, with cut nets split (each side
 * keeps its own pins), which keeps (λ−1) additive over recursive bisection.
 */
export function extractSide(h: EngineHypergraph, side: Int32Array, s: number): { sub: EngineHypergraph; ids: Int32Array } {
  const { nv, ne, d, eptr, pins, ewgt, w } = h;
  const local = new Int32Array(nv);
  let n = 0;
  for (let v = 0; v < nv; v++) if (side[v] === s) local[v] = n++;
  const ids = new Int32Array(n);
  const sw = new Float64Array(n * d);
  for (let v = 0; v < nv; v++) {
    if (side[v] !== s) continue;
    const lv = local[v]!;
    ids[lv] = v;
    for (let j = 0; j < d; j++) sw[lv * d + j] = w[v * d + j]!;
  }
  const septr = new Int32Array(ne + 1);
  const spins = new Int32Array(eptr[ne]!);
  const sew = new Float64Array(ne);
  const shead = new Uint8Array(ne);
  let m = 0;
  let np = 0;
  for (let e = 0; e < ne; e++) {
    const start = np;
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) if (side[pins[i]!] === s) spins[np++] = local[pins[i]!]!;
    if (np - start < 2) {
      np = start;
      continue;
    }
    sew[m] = ewgt[e]!;
    shead[m] = h.headed[e]! && side[pins[eptr[e]!]!] === s ? 1 : 0;
    septr[++m] = np;
  }
  // A loop, not Int32Array.from with a closure (see refine-fm.ts).
  let layer: Int32Array | undefined;
  if (h.layer) {
    layer = new Int32Array(n);
    for (let i = 0; i < n; i++) layer[i] = h.layer[ids[i]!]!;
  }
  return { sub: withIncidence(n, m, septr.slice(0, m + 1), spins.slice(0, np), sew.slice(0, m), sw, d, shead.slice(0, m), layer), ids };
}

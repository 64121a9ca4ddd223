/**
 * Coarsening: heavy-connectivity clustering, then contraction. A vertex joins the neighbouring
 * cluster that shares the most net weight with it. Two-pin nets count their full weight. A
 * large net with a source (a presynaptic neuron, the first pin) is rated as a star: each target
 * rates its source with w(e), exactly the synapse graph's heavy-edge rating; rating it as a
 * clique would cost |e|² per net (nets of 9·C_out + 1 pins on convolutions) and measured worse
 * (docs/partitioning.md). A large net without a source — host input (`Hypergraph.sourceless`), a
 * net split from its source by recursive bisection, or `firstPinIsSource: false` — is rated on a
 * uniform sample of its pins: no pin is special, so a star would tie every pin to an arbitrary one.
 */
import type { EngineHypergraph } from './engine-hypergraph.ts';
import { withIncidence } from './engine-hypergraph.ts';
import { mix32, type Rng } from './rng.ts';

export interface ClusterConfig {
  /** Headless nets above samples + 1 pins are rated on this many uniformly sampled pins (0: ignored). */
  readonly samples: number;
  /** Whether a source rates all its targets (else only targets rate their source). */
  readonly headRatesTargets: boolean;
  /** Star edges weigh w(e)/(|e|−1) (the net's weight shared by its synapses) instead of w(e). */
  readonly starNormalized: boolean;
  /** Nets larger than this are ignored when rating (they connect almost everything). */
  readonly maxRatedNetSize: number;
}

export interface Clustering {
  readonly clusterOf: Int32Array;
  readonly nc: number;
}

/**
 * Clusters until at most `target` clusters remain or every vertex was visited. No cluster may
 * exceed `maxW` in any dimension, which keeps the coarse levels balanceable. With `partOf`
 * (a V-cycle) vertices join only clusters of their own part, so the partition survives
 * contraction and the coarse levels can move whole clusters that the first hierarchy split.
 * Without it, clusters stay inside the layers of `h.layer` when the caller gave them. A star
 * rating joins a neuron to its sources and targets, which sit in other layers, so confined to
 * layers the clustering stops near the twin level (U-Net, k = 8: 3,368 vertices instead of
 * 1,280) and the bisections cut there, where heavy-edge clusters would have tied each position's
 * encoder, decoder and lower-resolution neurons together; KaHyPar cuts the lower resolutions into
 * half as many pieces as the full one. Seeds 1–3 sent 9,404 / 9,602 / 8,946 messages instead of
 * 9,857 / 9,709 / 9,790 (docs/partitioning.md, "Ninth pass"). Communities (which the caller
 * passes as `partOf`) take the layers' place.
 */
export function clusterVertices(h: EngineHypergraph, maxW: Float64Array, target: number, rng: Rng, cfg: ClusterConfig, partOf?: Int32Array): Clustering {
  const { nv, d, eptr, pins, ewgt, w, vptr, vnets, vpos, headed } = h;
  const group = partOf ?? h.layer;
  const rep = new Int32Array(nv);
  const size = new Int32Array(nv).fill(1);
  const cw = w.slice();
  for (let v = 0; v < nv; v++) rep[v] = v;
  const rating = new Float64Array(nv);
  const touched = new Int32Array(nv);
  const order = rng.permutation(nv);
  const S = cfg.samples;
  const headRates = cfg.headRatesTargets;
  const norm = cfg.starNormalized;
  let x = (rng.nextU32() | 1) >>> 0;
  let clusters = nv;
  for (let oi = 0; oi < nv && clusters > target; oi++) {
    const v = order[oi]!;
    if (rep[v] !== v || size[v]! > 1) continue;
    let nt = 0;
    // A pure source (an input neuron) has nothing to rate but its targets; it rates them only
    // then, so that sources do not otherwise pull targets apart.
    for (let pass = 0, fallback = false; pass < 2 && nt === 0; pass++, fallback = true)
    for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
      const e = vnets[k]!;
      const s = eptr[e]!;
      const n = eptr[e + 1]! - s;
      if (n > cfg.maxRatedNetSize) continue;
      const we = ewgt[e]!;
      if (n === 2) {
        const c = rep[pins[s] === v ? pins[s + 1]! : pins[s]!]!;
        if (rating[c] === 0) touched[nt++] = c;
        rating[c]! += we;
      } else if (headed[e]) {
        // Star around the source: each synapse is an edge, as in the graph model.
        const sw = norm ? we / (n - 1) : we;
        if (vpos[k] !== 0) {
          const c = rep[pins[s]!]!;
          if (rating[c] === 0) touched[nt++] = c;
          rating[c]! += sw;
        } else if (headRates || fallback) {
          for (let i = s + 1; i < s + n; i++) {
            const c = rep[pins[i]!]!;
            if (rating[c] === 0) touched[nt++] = c;
            rating[c]! += sw;
          }
        }
      } else if (n <= S + 1) {
        const sc = we / (n - 1);
        for (let i = s; i < s + n; i++) {
          const u = pins[i]!;
          if (u === v) continue;
          const c = rep[u]!;
          if (rating[c] === 0) touched[nt++] = c;
          rating[c]! += sc;
        }
      } else if (S > 0) {
        // Uniform sample of S other pins, each worth w/S: the expected rating is the clique's w/(n−1).
        const sc = we / S;
        const pos = vpos[k]!;
        for (let j = 0; j < S; j++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          let i = pos + 1 + ((x >>> 0) % (n - 1));
          if (i >= n) i -= n;
          const c = rep[pins[s + i]!]!;
          if (rating[c] === 0) touched[nt++] = c;
          rating[c]! += sc;
        }
      }
    }
    let best = -1;
    let bestR = 0;
    let bestTie = 0;
    const salt = rng.nextU32();
    for (let t = 0; t < nt; t++) {
      const c = touched[t]!;
      const r = rating[c]!;
      rating[c] = 0;
      if (c === v || r < bestR || (group && group[c] !== group[v])) continue;
      let fits = true;
      for (let j = 0; j < d; j++) {
        if (cw[c * d + j]! + w[v * d + j]! > maxW[j]!) {
          fits = false;
          break;
        }
      }
      if (!fits) continue;
      // Equal ratings prefer a singleton (keeps clusters even), then a salted hash.
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

/** A per-vertex value carried to the clusters (the last member's value; callers keep it constant on clusters). */
export function carry(a: Int32Array, clusterOf: Int32Array, nc: number): Int32Array {
  const coarse = new Int32Array(nc);
  for (let v = 0; v < clusterOf.length; v++) coarse[clusterOf[v]!] = a[v]!;
  return coarse;
}

/** The inverse of `carry`: each vertex of the finer level takes its cluster's value. */
export function projectLevel(coarse: Int32Array, clusterOf: Int32Array): Int32Array {
  const fine = new Int32Array(clusterOf.length);
  for (let v = 0; v < clusterOf.length; v++) fine[v] = coarse[clusterOf[v]!]!;
  return fine;
}

/**
 * Builds the coarse hypergraph: pins mapped to clusters and deduplicated (the first pin keeps
 * its place, so a net's source stays first), nets inside one cluster dropped, and identical nets
 * merged with summed weights — on convolutional layers whole channel stacks collapse this way.
 */
export function contract(h: EngineHypergraph, clusterOf: Int32Array, nc: number): EngineHypergraph {
  const { nv, ne, d, eptr, pins, ewgt, w } = h;
  const cw = new Float64Array(nc * d);
  const layer = h.layer ? new Int32Array(nc) : undefined;
  // A twin group or a V-cycle's cluster may span layers; such a cluster belongs to no one layer,
  // so it gets an id of its own (above every real one) rather than whichever vertex came last.
  const seen = layer ? new Uint8Array(nc) : undefined;
  let mixedBase = 0;
  if (h.layer) for (let v = 0; v < nv; v++) mixedBase = Math.max(mixedBase, h.layer[v]! + 1);
  for (let v = 0; v < nv; v++) {
    const c = clusterOf[v]!;
    for (let j = 0; j < d; j++) cw[c * d + j]! += w[v * d + j]!;
    if (layer) {
      const l = h.layer![v]!;
      if (!seen![c]) { seen![c] = 1; layer[c] = l; } else if (layer[c] !== l && layer[c]! < mixedBase) layer[c] = mixedBase + c;
    }
  }
  const ceptr = new Int32Array(ne + 1);
  const cpins = new Int32Array(eptr[ne]!);
  const cew = new Float64Array(ne);
  const hash = new Uint32Array(ne);
  const chead = new Uint8Array(ne);
  const mark = new Int32Array(nc).fill(-1);
  let m = 0;
  let np = 0;
  for (let e = 0; e < ne; e++) {
    const start = np;
    let hs = 0;
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
      const c = clusterOf[pins[i]!]!;
      if (mark[c] === e) continue;
      mark[c] = e;
      cpins[np++] = c;
      hs = (hs + mix32(c)) | 0;
    }
    if (np - start < 2) {
      np = start;
      continue;
    }
    cew[m] = ewgt[e]!;
    chead[m] = h.headed[e]!;
    hash[m] = mix32(hs ^ Math.imul(np - start, 0x9e3779b1));
    ceptr[++m] = np;
  }
  // Identical nets: open addressing on the pin-set hash, exact comparison on collision.
  let size = 1;
  while (size < 2 * m) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  const keep = new Uint8Array(m);
  const stamp = new Int32Array(nc).fill(-1);
  for (let e = 0; e < m; e++) {
    const hv = hash[e]!;
    const s = ceptr[e]!;
    const n = ceptr[e + 1]! - s;
    let slot = hv & (size - 1);
    let merged = false;
    for (;;) {
      const o = table[slot]!;
      if (o < 0) break;
      if (hash[o] === hv && ceptr[o + 1]! - ceptr[o]! === n) {
        for (let i = ceptr[o]!; i < ceptr[o + 1]!; i++) stamp[cpins[i]!] = e;
        let same = true;
        for (let i = s; i < s + n; i++) {
          if (stamp[cpins[i]!] !== e) {
            same = false;
            break;
          }
        }
        if (same) {
          cew[o]! += cew[e]!;
          merged = true;
          break;
        }
      }
      slot = (slot + 1) & (size - 1);
    }
    if (!merged) {
      table[slot] = e;
      keep[e] = 1;
    }
  }
  const feptr = new Int32Array(m + 1);
  const fpins = new Int32Array(np);
  const few = new Float64Array(m);
  const fhead = new Uint8Array(m);
  let fm = 0;
  let fp = 0;
  for (let e = 0; e < m; e++) {
    if (!keep[e]) continue;
    for (let i = ceptr[e]!; i < ceptr[e + 1]!; i++) fpins[fp++] = cpins[i]!;
    few[fm] = cew[e]!;
    fhead[fm] = chead[e]!;
    feptr[++fm] = fp;
  }
  return withIncidence(nc, fm, feptr.slice(0, fm + 1), fpins.subarray(0, fp), few.slice(0, fm), cw, d, fhead, layer);
}

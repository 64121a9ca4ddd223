/**
 * Twin clustering, the first coarsening step: vertices fed by exactly the same nets (in a
 * spiking network, the channels of a convolution at one position — they all listen to the same
 * presynaptic window) are grouped, in chunks of at most `maxW`. Pairwise ratings cannot see this:
 * twins share many large nets, each worth little per pin, and single-vertex moves cannot gather
 * them later because (λ−1) does not change until a whole window moves. Grouping them first lets
 * every later level move complete channel stacks.
 */
import type { EngineHypergraph } from './engine-hypergraph.ts';
import { mix32 } from './rng.ts';
import type { Clustering } from './coarsen.ts';

/** Nets of v that it receives from (all its nets when the nets have no source). */
function feedHash(h: EngineHypergraph, v: number): number {
  let hs = 0x2545f491;
  let n = 0;
  for (let k = h.vptr[v]!; k < h.vptr[v + 1]!; k++) {
    if (h.headed[h.vnets[k]!] && h.vpos[k] === 0) continue;
    hs = (hs + mix32(h.vnets[k]! + 1)) | 0;
    n++;
  }
  return n === 0 ? 0 : mix32(hs ^ n) | 1;
}

function sameFeed(h: EngineHypergraph, a: number, b: number): boolean {
  const { vptr, vnets, vpos, headed } = h;
  let i = vptr[a]!;
  let j = vptr[b]!;
  const ea = vptr[a + 1]!;
  const eb = vptr[b + 1]!;
  // Incidence lists are sorted by net id (built by a counting sort over nets).
  for (;;) {
    while (i < ea && headed[vnets[i]!] && vpos[i] === 0) i++;
    while (j < eb && headed[vnets[j]!] && vpos[j] === 0) j++;
    if (i === ea || j === eb) return i === ea && j === eb;
    if (vnets[i] !== vnets[j]) return false;
    i++;
    j++;
  }
}

/**
 * The feed class of every vertex (−1: fed by no net). Cached per hypergraph: V-cycles group
 * the input's twins again under each new partition, and the classes are the O(pins) part of
 * the work (on spiking_cnn, 2.7 M pins for 9 k neurons), the chunking only O(nv).
 */
const classCache = new WeakMap<EngineHypergraph, Int32Array>();

function feedClasses(h: EngineHypergraph): Int32Array {
  const cached = classCache.get(h);
  if (cached) return cached;
  const nv = h.nv;
  const hash = new Uint32Array(nv);
  for (let v = 0; v < nv; v++) hash[v] = feedHash(h, v) >>> 0;
  let size = 1;
  while (size < 2 * nv) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  const cls = new Int32Array(nv).fill(-1);
  let n = 0;
  for (let v = 0; v < nv; v++) {
    if (hash[v] === 0) continue;
    let slot = hash[v]! & (size - 1);
    for (;;) {
      const o = table[slot]!;
      if (o < 0) {
        table[slot] = v;
        cls[v] = n++;
        break;
      }
      if (hash[o] === hash[v] && sameFeed(h, o, v)) {
        cls[v] = cls[o]!;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  classCache.set(h, cls);
  return cls;
}

/**
 * Twins are grouped in vertex order, each (feed class, part) filling one chunk at a time: a
 * vertex that does not fit starts the next chunk. With `partOf` (a V-cycle) only twins in the
 * same part are grouped.
 */
export function clusterTwins(h: EngineHypergraph, maxW: Float64Array, partOf?: Int32Array): Clustering {
  const { nv, d, w } = h;
  const cls = feedClasses(h);
  const head = new Int32Array(nv).fill(-1);
  // With parts, (class, part) pairs get a slot each in order of appearance.
  const slotOf = partOf ? new Map<number, number>() : null;
  let parts = 1;
  if (partOf) for (let v = 0; v < nv; v++) parts = Math.max(parts, partOf[v]! + 1);
  const rep = new Int32Array(nv);
  const cw = w.slice();
  for (let v = 0; v < nv; v++) {
    rep[v] = v;
    const c = cls[v]!;
    if (c < 0) continue;
    let key = c;
    if (slotOf) {
      const pair = c * parts + partOf![v]!;
      key = slotOf.get(pair) ?? slotOf.size;
      if (key === slotOf.size) slotOf.set(pair, key);
    }
    const o = head[key]!;
    if (o < 0) {
      head[key] = v;
      continue;
    }
    let fits = true;
    for (let j = 0; j < d; j++) if (cw[o * d + j]! + w[v * d + j]! > maxW[j]!) fits = false;
    if (fits) {
      rep[v] = o;
      for (let j = 0; j < d; j++) cw[o * d + j]! += w[v * d + j]!;
    } else head[key] = v; // the chunk is full: v starts the next one
  }
  const id = new Int32Array(nv).fill(-1);
  let nc = 0;
  for (let v = 0; v < nv; v++) if (rep[v] === v) id[v] = nc++;
  const clusterOf = new Int32Array(nv);
  for (let v = 0; v < nv; v++) clusterOf[v] = id[rep[v]!]!;
  return { clusterOf, nc };
}

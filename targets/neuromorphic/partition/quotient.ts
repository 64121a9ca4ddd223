/**
 * The quotient hypergraph of a partition: one vertex per part, one net per original net that
 * reaches at least two parts. It is what the next level of the mapping sees — cores to be grouped
 * into chips, or placed on a tile mesh — and it is small (k vertices), whereas the neuron-level
 * hypergraph can hold millions of nets, so the construction is a single pass with typed arrays.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { mix32 } from './rng.ts';
import type { Hypergraph } from './types.ts';

function bad(message: string, hint: string): never {
  throw new KilnError(error('partition-options', message, undefined, hint));
}

/**
 * Vertices are the parts 0..k−1 (unit weight: no `vwgt`). Each net keeps its weight, its
 * sourceless flag and, when it has a source, the source's part as its first pin; the other parts
 * follow in ascending order. Nets inside one part are dropped, and nets with the same flag and
 * the same pins (same source part too) are merged with their weights summed, so the messages
 * of the quotient equal those of the partition for every later grouping of its vertices.
 */
export function quotientHypergraph(h: Hypergraph, parts: Int32Array, k: number): Hypergraph {
  const { nv, ne, eptr, pins, ewgt, sourceless } = h;
  if (!Number.isInteger(k) || k < 1) bad(`k must be a positive integer, got ${k}`, 'k is the number of parts');
  if (parts.length !== nv) bad(`the partition has ${parts.length} entries but the hypergraph has ${nv} vertices`, 'pass one part id per vertex');
  for (let v = 0; v < nv; v++) {
    const p = parts[v]!;
    if (!(p >= 0 && p < k)) bad(`vertex ${v} has part ${p}, outside 0..${k - 1}`, 'part ids run from 0 to k-1');
  }
  const qeptr = new Int32Array(ne + 1);
  const qpins = new Int32Array(Math.min(eptr[ne]!, ne * k));
  const qw = new Float64Array(ne);
  const qflag = new Uint8Array(ne);
  const hash = new Uint32Array(ne);
  const seen = new Int32Array(k).fill(-1);
  let m = 0;
  let np = 0;
  for (let e = 0; e < ne; e++) {
    const s = eptr[e]!;
    const end = eptr[e + 1]!;
    if (end === s) continue;
    const flag = sourceless?.[e] ? 1 : 0;
    const start = np;
    for (let i = s; i < end; i++) {
      const p = parts[pins[i]!]!;
      if (seen[p] === e) continue;
      seen[p] = e;
      qpins[np++] = p;
    }
    if (np - start < 2) {
      np = start;
      continue;
    }
    // Canonical order: the source part stays first when there is one, the rest ascend.
    qpins.subarray(flag ? start : start + 1, np).sort();
    let hs = mix32(flag + 0x51ed27);
    for (let i = start; i < np; i++) hs = mix32((hs ^ qpins[i]!) + i - start);
    hash[m] = hs;
    qw[m] = ewgt ? ewgt[e]! : 1;
    qflag[m] = flag;
    qeptr[++m] = np;
  }
  let size = 1;
  while (size < 2 * m) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  const keep = new Uint8Array(m);
  for (let e = 0; e < m; e++) {
    const s = qeptr[e]!;
    const n = qeptr[e + 1]! - s;
    let slot = hash[e]! & (size - 1);
    let merged = false;
    for (let o = table[slot]!; o >= 0; slot = (slot + 1) & (size - 1), o = table[slot]!) {
      if (hash[o] !== hash[e] || qflag[o] !== qflag[e] || qeptr[o + 1]! - qeptr[o]! !== n) continue;
      let same = true;
      for (let i = 0; i < n && same; i++) same = qpins[qeptr[o]! + i] === qpins[s + i];
      if (same) {
        qw[o]! += qw[e]!;
        merged = true;
        break;
      }
    }
    if (!merged) (table[slot] = e), (keep[e] = 1);
  }
  let fm = 0;
  let fp = 0;
  const feptr = new Int32Array(m + 1);
  for (let e = 0; e < m; e++) {
    if (!keep[e]) continue;
    for (let i = qeptr[e]!; i < qeptr[e + 1]!; i++) qpins[fp++] = qpins[i]!;
    qw[fm] = qw[e]!;
    qflag[fm] = qflag[e]!;
    feptr[++fm] = fp;
  }
  return {
    nv: k,
    ne: fm,
    eptr: feptr.slice(0, fm + 1),
    pins: qpins.slice(0, fp),
    ewgt: qw.slice(0, fm),
    ...(sourceless ? { sourceless: qflag.slice(0, fm) } : {}),
  };
}

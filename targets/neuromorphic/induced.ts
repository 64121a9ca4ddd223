/**
 * Sub-hypergraphs induced by a set of vertices: the cores of one over-full core to split, the
 * cores of one chip to place on its tiles. A net keeps the member pins; its source stays first
 * when it is a member, otherwise the net becomes sourceless (its spikes enter from outside).
 */
import type { Hypergraph } from './partition/index.ts';
import type { SynapseNets } from './core-use.ts';

/** Nets of every vertex (the transpose of the pin lists), built once per mapping. */
export interface Incidence {
  vptr: Int32Array;
  vnets: Int32Array;
}

export function incidence(h: SynapseNets): Incidence {
  const vptr = new Int32Array(h.nv + 1);
  for (let i = 0; i < h.pins.length; i++) vptr[h.pins[i]! + 1]!++;
  for (let v = 0; v < h.nv; v++) vptr[v + 1]! += vptr[v]!;
  const fill = vptr.slice(0, h.nv);
  const vnets = new Int32Array(h.pins.length);
  for (let e = 0; e < h.ne; e++) for (let i = h.eptr[e]!; i < h.eptr[e + 1]!; i++) vnets[fill[h.pins[i]!]!++] = e;
  return { vptr, vnets };
}

/** The hypergraph induced by `members` (local ids 0..n-1), keeping nets with at least two member pins. */
export function induced(h: SynapseNets & Pick<Hypergraph, 'ewgt'>, inc: Incidence, members: Int32Array, local: Int32Array): Hypergraph & SynapseNets & { sourceless: Uint8Array } {
  const seen = new Set<number>();
  const eptr: number[] = [0], pins: number[] = [], syn: number[] = [], bits: number[] = [], ewgt: number[] = [], sourceless: number[] = [], mult: number[] = [];
  for (const v of members) {
    for (let j = inc.vptr[v]!; j < inc.vptr[v + 1]!; j++) {
      const e = inc.vnets[j]!;
      if (seen.has(e)) continue;
      seen.add(e);
      const start = pins.length;
      const src = h.sourceless?.[e] ? -1 : h.pins[h.eptr[e]!]!;
      const srcInside = src >= 0 && local[src]! >= 0;
      if (srcInside) { pins.push(local[src]!); syn.push(0); bits.push(0); }
      for (let i = h.eptr[e]! + (src >= 0 ? 1 : 0); i < h.eptr[e + 1]!; i++) {
        if (local[h.pins[i]!]! < 0) continue;
        pins.push(local[h.pins[i]!]!);
        syn.push(h.pinSynapses ? h.pinSynapses[i]! : 1);
        bits.push(h.pinBits ? h.pinBits[i]! : 0);
      }
      if (pins.length - start < 2) { pins.length = start; syn.length = start; bits.length = start; continue; }
      eptr.push(pins.length);
      ewgt.push(h.ewgt ? h.ewgt[e]! : 1);
      sourceless.push(srcInside ? 0 : 1);
      mult.push(h.mult ? h.mult[e]! : 1);
    }
  }
  const vwgt = h.vwgt ? Float64Array.from(members, (v) => h.vwgt![v]!) : undefined;
  return {
    nv: members.length, ne: ewgt.length, eptr: Int32Array.from(eptr), pins: Int32Array.from(pins), ewgt: Float64Array.from(ewgt), sourceless: Uint8Array.from(sourceless),
    mult: Float64Array.from(mult), pinSynapses: Float64Array.from(syn), ...(h.pinBits ? { pinBits: Float64Array.from(bits) } : {}), ...(vwgt ? { vwgt } : {}),
  };
}


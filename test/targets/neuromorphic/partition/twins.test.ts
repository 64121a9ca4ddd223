import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHypergraph } from '../../../../targets/neuromorphic/partition/engine-hypergraph.ts';
import { clusterTwins } from '../../../../targets/neuromorphic/partition/twins.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

/**
 * Layered random networks where many vertices share a feed: each net is a source in one layer
 * and a window of "columns" of the next, every vertex of a column fed alike (the channels of a
 * convolution at one position), vertex weights 1–3.
 */
const arbLayered = fc
  .record({
    columns: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 3, maxLength: 12 }),
    windows: fc.array(fc.tuple(fc.nat(100), fc.array(fc.nat(100), { minLength: 1, maxLength: 3 })), { minLength: 2, maxLength: 30 }),
    weights: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 60, maxLength: 60 }),
  })
  .map(({ columns, windows, weights }) => {
    const members: number[][] = [];
    let nv = 0;
    for (const size of columns) members.push(Array.from({ length: size }, () => nv++));
    const nets = windows.map(([src, cols]) => {
      const s = src % nv;
      const targets = [...new Set(cols.map((c) => c % columns.length))].flatMap((c) => members[c]!).filter((v) => v !== s);
      return [s, ...targets];
    }).filter((p) => p.length >= 2);
    const eptr = new Int32Array(nets.length + 1);
    nets.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
    const h: Hypergraph = { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flat()) };
    return { h, w: Float64Array.from({ length: nv }, (_, v) => weights[v % weights.length]!) };
  });

/** The grouping spelled out: per (exact feed set, part), vertices in order fill one chunk at a time. */
function referenceTwins(h: ReturnType<typeof fromHypergraph>, maxW: number, partOf?: Int32Array): Int32Array {
  const head = new Map<string, number>();
  const rep = Int32Array.from({ length: h.nv }, (_, v) => v);
  const load = Float64Array.from(h.w);
  for (let v = 0; v < h.nv; v++) {
    const feed: number[] = [];
    for (let k = h.vptr[v]!; k < h.vptr[v + 1]!; k++) if (!(h.headed[h.vnets[k]!] && h.vpos[k] === 0)) feed.push(h.vnets[k]!);
    if (feed.length === 0) continue;
    const key = `${feed.sort((a, b) => a - b).join(',')}|${partOf ? partOf[v] : ''}`;
    const o = head.get(key);
    if (o !== undefined && load[o]! + h.w[v]! <= maxW) {
      rep[v] = o;
      load[o]! += h.w[v]!;
    } else head.set(key, v);
  }
  const id = new Int32Array(h.nv).fill(-1);
  let n = 0;
  for (let v = 0; v < h.nv; v++) if (rep[v] === v) id[v] = n++;
  return Int32Array.from(rep, (r) => id[r]!);
}

describe('twin grouping', () => {
  it('groups exactly the vertices with the same feed (and part), in chunks, also when called again under new parts', () => {
    fc.assert(
      fc.property(arbLayered, fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(3), { minLength: 60, maxLength: 60 }), ({ h: hg, w }, maxW, parts) => {
        const h = fromHypergraph(hg, w, 1, true);
        const limit = Float64Array.of(maxW);
        const first = clusterTwins(h, limit);
        expect(Array.from(first.clusterOf)).toEqual(Array.from(referenceTwins(h, maxW)));
        expect(first.nc).toBe(Math.max(-1, ...first.clusterOf) + 1);
        // A V-cycle regroups the same hypergraph (its feed classes are cached) under a partition.
        const partOf = Int32Array.from({ length: h.nv }, (_, v) => parts[v % parts.length]!);
        expect(Array.from(clusterTwins(h, limit, partOf).clusterOf)).toEqual(Array.from(referenceTwins(h, maxW, partOf)));
        expect(Array.from(clusterTwins(h, limit).clusterOf)).toEqual(Array.from(first.clusterOf));
      }),
      { numRuns: 200 },
    );
  });

  it('puts channels of one position together and keeps positions apart', () => {
    // Net 0: source 0 feeds column {1, 2, 3}; net 1: source 4 feeds {1, 2, 3} and {5, 6}.
    const hg: Hypergraph = { nv: 7, ne: 2, eptr: Int32Array.of(0, 4, 10), pins: Int32Array.of(0, 1, 2, 3, 4, 1, 2, 3, 5, 6) };
    const h = fromHypergraph(hg, new Float64Array(7).fill(1), 1, true);
    const { clusterOf } = clusterTwins(h, Float64Array.of(2));
    // 1 and 2 fill a chunk of 2, 3 starts the next; 5 and 6 (fed by net 1 only) are one group.
    expect(clusterOf[1]).toBe(clusterOf[2]);
    expect(clusterOf[3]).not.toBe(clusterOf[1]);
    expect(clusterOf[5]).toBe(clusterOf[6]);
    expect(new Set([clusterOf[0], clusterOf[4], clusterOf[1], clusterOf[3], clusterOf[5]]).size).toBe(5);
  });
});

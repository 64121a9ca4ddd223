import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectCommunities, type CommunityConfig } from '../../../../targets/neuromorphic/partition/community.ts';
import { fromHypergraph } from '../../../../targets/neuromorphic/partition/engine-hypergraph.ts';
import { partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

const cfg: CommunityConfig = { maxNetSize: 1000, minMoveShare: 0.0001, maxPasses: 100 };

function hypergraph(nv: number, nets: number[][], weights?: number[]): Hypergraph {
  const eptr = new Int32Array(nets.length + 1);
  nets.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
  return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flat()), ewgt: Float64Array.from(weights ?? nets.map(() => 1)) };
}

const engine = (h: Hypergraph) => fromHypergraph(h, new Float64Array(h.nv).fill(1), 1, true);

/** `groups` groups of `size` vertices, every triple inside a group a net, one net between consecutive groups. */
function planted(groups: number, size: number, bridge: number[] = []): { h: Hypergraph; group: (v: number) => number } {
  const nets: number[][] = [];
  for (let g = 0; g < groups; g++) {
    const base = g * size;
    for (let a = 0; a < size; a++) for (let b = a + 1; b < size; b++) for (let c = b + 1; c < size; c++) nets.push([base + a, base + b, base + c]);
    if (g + 1 < groups) nets.push([base + size - 1, base + size]);
  }
  if (bridge.length) nets.push(bridge);
  return { h: hypergraph(groups * size, nets), group: (v) => Math.floor(v / size) };
}

describe('Louvain communities on the bipartite graph', () => {
  it('recovers planted groups joined by single nets', () => {
    const { h, group } = planted(5, 6);
    const { community, count } = detectCommunities(engine(h), new Rng(3), cfg);
    expect(count).toBe(5);
    for (let v = 0; v < h.nv; v++) for (let u = 0; u < h.nv; u++) expect(community[u] === community[v]).toBe(group(u) === group(v));
  });

  it('leaves out nets above maxNetSize: a net over every vertex does not merge the groups', () => {
    const all = Array.from({ length: 24 }, (_, v) => v);
    const { h, group } = planted(4, 6, all);
    const { community, count } = detectCommunities(engine(h), new Rng(1), { ...cfg, maxNetSize: 23 });
    expect(count).toBe(4);
    for (let v = 0; v < h.nv; v++) expect(community[v]).toBe(community[group(v) * 6]);
  });

  it('numbers communities densely, is deterministic by seed and never spans two components', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 1000 }), (nv, ne, seed) => {
        const r = new Rng(seed);
        const nets: number[][] = [];
        for (let e = 0; e < ne; e++) nets.push(Array.from({ length: 2 + r.int(4) }, () => r.int(nv)));
        const eh = engine(hypergraph(nv, nets));
        const a = detectCommunities(eh, new Rng(seed), cfg);
        const b = detectCommunities(eh, new Rng(seed), cfg);
        expect([...a.community]).toEqual([...b.community]);
        const used = new Set(a.community);
        expect(used.size).toBe(a.count);
        for (const c of used) expect(c).toBeLessThan(a.count);
        // A node only joins communities of its neighbours, so no community spans two
        // connected components of the hypergraph.
        const root = Int32Array.from({ length: nv }, (_, v) => v);
        const find = (v: number): number => (root[v] === v ? v : (root[v] = find(root[v]!)));
        for (const net of nets) for (const v of net) root[find(v)] = find(net[0]!);
        for (let u = 0; u < nv; u++) for (let v = 0; v < nv; v++) if (a.community[u] === a.community[v]) expect(find(u)).toBe(find(v));
      }),
      { numRuns: 60 },
    );
  });

  it('community-aware coarsening keeps partitions within limits and deterministic', () => {
    const { h } = planted(8, 6);
    const tuning = { main: { communities: cfg }, rb: { communities: cfg } };
    const a = partitionHypergraph(h, { k: 4, seed: 2 }, tuning);
    const b = partitionHypergraph(h, { k: 4, seed: 2 }, tuning);
    expect([...a.parts]).toEqual([...b.parts]);
    for (let p = 0; p < 4; p++) expect(a.partLoads[p]!).toBeLessThanOrEqual(a.limits[p]!);
    // Two whole groups per part cut 3 of the 7 bridges; nothing lower exists with 12 per part.
    expect(a.objective).toBe(3);
  });
});

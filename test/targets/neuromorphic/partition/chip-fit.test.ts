import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { fitChips, fitCoreGroups } from '../../../../targets/neuromorphic/partition/chip-fit.ts';
import { partitionHierarchical } from '../../../../targets/neuromorphic/partition/hierarchy.ts';
import { partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

function hypergraph(nv: number, nets: number[][], w: number[]): Hypergraph {
  const eptr = new Int32Array(nets.length + 1);
  nets.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
  return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flat()), ewgt: Float64Array.from(w) };
}

/** Per-core loads of a hierarchical result, after checking every core lies on its chip. */
function coreLoads(parts: Int32Array, k: number, coresPerChip: number, per: Float64Array, d: number): Float64Array {
  const load = new Float64Array(k * d);
  parts.forEach((p, v) => {
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(k);
    for (let j = 0; j < d; j++) load[p * d + j]! += per[v * d + j]!;
  });
  expect(Math.max(...parts.map((p) => Math.floor(p / coresPerChip)))).toBeLessThan(Math.ceil(k / coresPerChip));
  return load;
}

/**
 * Three heavy vertices (6 axons each, one net of weight 100 between them) and six light ones (1
 * each, three nets of weight 1, one of them to heavy vertex 2). Cores hold 10 axons, chips 2
 * cores: by the summed limit a chip takes all three heavy ones (18 ≤ 20), which the message cut
 * wants, but two cores hold only two of them. Before the repair this threw "could not keep part 1
 * within its axons limit (12 > 10)", naming a core of an unnamed chip.
 */
const heavy = hypergraph(9, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [2, 3]], [100, 1, 1, 1]);
const heavyLoads = Float64Array.from([6, 6, 6, 1, 1, 1, 1, 1, 1]);
const axons = (per: Float64Array, limit = 10) => ({ names: ['axons'], perVertex: per, limits: [limit] });

/** The real per-core split: the partitioner under the capacity, or undefined when it refuses. */
function coreSplit(per: Float64Array, limit: number) {
  return (_c: number, vs: Int32Array, n: number): Int32Array | undefined => {
    const sub = hypergraph(vs.length, [], []);
    const loads = Float64Array.from(vs, (v) => per[v]!);
    if (n === 1) return loads.reduce((a, b) => a + b, 0) <= limit ? new Int32Array(vs.length) : undefined;
    try {
      return partitionHypergraph(sub, { k: Math.min(n, vs.length), capacity: axons(loads, limit) }).parts;
    } catch (e) {
      if (e instanceof KilnError) return undefined;
      throw e;
    }
  };
}

describe('chips-first: every chip group fits its cores', () => {
  it('moves the cheapest vertex off a chip whose group fits the summed limit but not its cores', () => {
    const chipOf = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const fit = fitChips({ h: heavy, chipOf, chips: 3, coresOf: () => 2, perVertex: heavyLoads, limits: Float64Array.from([18, 18, 18]), names: ['axons'], split: coreSplit(heavyLoads, 10) });
    // Vertex 2 leaves (its net to 3 makes chip 1 the cheaper side: 100 − 1 messages added).
    expect(Array.from(chipOf)).toEqual([0, 0, 1, 1, 1, 1, 2, 2, 2]);
    fit.members.forEach((vs, c) => {
      const load = new Float64Array(2);
      vs.forEach((v, i) => (load[fit.cores[c]![i]!]! += heavyLoads[v]!));
      expect(Math.max(...load), `chip ${c}`).toBeLessThanOrEqual(10);
    });
  });

  it('keeps every core of partitionHierarchical within its limit on the same network', () => {
    const r = partitionHierarchical(heavy, { k: 6, coresPerChip: 2, capacity: axons(heavyLoads) });
    expect(Math.max(...coreLoads(r.parts, 6, 2, heavyLoads, 1))).toBeLessThanOrEqual(10);
    // The weight-100 net now spans two chips (two of its three vertices per chip at most).
    const s = scorePartition({ hypergraph: heavy }, r.parts, { k: 6, chipOf: r.chipOf });
    expect(s.interChipMessages).toBeGreaterThanOrEqual(100);
  });

  it('refuses, naming the chip and the cores it needs and has, when no chip has room', () => {
    // Five vertices of 6 on two chips of two 10-unit cores: the sums allow 3 + 2, the cores 2 + 2.
    const five = hypergraph(5, [[0, 1, 2, 3, 4]], [1]);
    const per = Float64Array.from([6, 6, 6, 6, 6]);
    let err: unknown;
    try {
      partitionHierarchical(five, { k: 4, coresPerChip: 2, capacity: axons(per) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KilnError);
    const diag = (err as KilnError).diagnostics[0]!;
    expect(diag.code).toBe('partition-infeasible');
    expect(diag.message).toMatch(/^chip \d's 3 vertices need 3 cores to keep every core within its axons limits, but the chip has 2/);
    expect(diag.hint).toMatch(/more chips or more cores per chip/);
  });

  it('either keeps every per-core limit with each core on its chip, or refuses naming a chip or the load (random hypergraphs)', () => {
    const arb = fc.record({
      nv: fc.integer({ min: 4, max: 30 }),
      nets: fc.array(fc.array(fc.nat(29), { minLength: 2, maxLength: 6 }), { minLength: 1, maxLength: 40 }),
      d: fc.integer({ min: 1, max: 3 }),
      coresPerChip: fc.integer({ min: 1, max: 4 }),
      chips: fc.integer({ min: 2, max: 5 }),
      limit: fc.integer({ min: 4, max: 20 }),
      // Loads up to 60% of a core's limit: about one draw in ten needs the repair (one in seventy is refused).
      loads: fc.array(fc.double({ min: 0, max: 0.6, noNaN: true }), { minLength: 90, maxLength: 90 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(fc.property(arb, (a) => {
      const nets = a.nets.map((p) => [...new Set(p.map((v) => v % a.nv))]).filter((p) => p.length >= 2);
      const h = hypergraph(a.nv, nets, nets.map((_, e) => 1 + (e % 3)));
      const per = Float64Array.from({ length: a.nv * a.d }, (_, i) => Math.round(a.limit * a.loads[i]!));
      const k = Math.min(a.nv, a.chips * a.coresPerChip);
      let r;
      try {
        r = partitionHierarchical(h, { k, coresPerChip: a.coresPerChip, seed: a.seed, capacity: { names: ['a', 'b', 'c'].slice(0, a.d), perVertex: per, limits: Array(a.d).fill(a.limit) } });
      } catch (e) {
        expect(e).toBeInstanceOf(KilnError);
        expect((e as KilnError).diagnostics[0]!.message).toMatch(/^chip \d+'s|^the vertices do not split over|in total|needs .* more than any part/);
        return;
      }
      const load = coreLoads(r.parts, k, a.coresPerChip, per, a.d);
      for (let i = 0; i < load.length; i++) expect(load[i]).toBeLessThanOrEqual(a.limit);
    }), { numRuns: 150, seed: 7 });
  });

  it('moves whole cores out of a group larger than a chip, the least connected first', () => {
    // Seven neurons, one a core. Cores 0–4 in group 0 (chips hold 3), cores 5–6 in group 1. Core
    // 4 talks only to core 5 (weight 5), core 3 to nobody; cores 0–2 share a net of weight 10.
    const h = hypergraph(7, [[0, 1, 2], [4, 5], [5, 6]], [10, 5, 1]);
    const group = Int32Array.from([0, 0, 0, 0, 0, 1, 1]);
    fitCoreGroups(h, Int32Array.from({ length: 7 }, (_, v) => v), 7, group, 3, 3);
    // Core 4 joins its partner's group; core 3, connected to nothing, takes the empty chip 2 (group 1 is full).
    expect(Array.from(group)).toEqual([0, 0, 0, 2, 1, 1, 1]);
  });
});

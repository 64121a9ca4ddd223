import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { coresNeeded, fitChips, fitCoreGroups, refusalError, refused, type ChipFit, type ChipRefusal } from '../../../../targets/neuromorphic/partition/chip-fit.ts';
import { partitionHierarchical } from '../../../../targets/neuromorphic/partition/hierarchy.ts';
import { partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import type { CapacitySpec, Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

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

/** Random hypergraphs of up to `nv` vertices on 2 to `chips` chips of 1–4 cores. */
const shape = (nv: number, pins: number, nets: number, chips: number) => ({
  nv: fc.integer({ min: 4, max: nv }),
  nets: fc.array(fc.array(fc.nat(nv - 1), { minLength: 2, maxLength: pins }), { minLength: 1, maxLength: nets }),
  coresPerChip: fc.integer({ min: 1, max: 4 }),
  chips: fc.integer({ min: 2, max: chips }),
  seed: fc.integer({ min: 1, max: 1000 }),
});

/** The hypergraph and core count of a random draw. */
function drawn(a: { nv: number; nets: number[][]; chips: number; coresPerChip: number }): { h: Hypergraph; k: number } {
  const nets = a.nets.map((p) => [...new Set(p.map((v) => v % a.nv))]).filter((p) => p.length >= 2);
  return { h: hypergraph(a.nv, nets, nets.map((_, e) => 1 + (e % 3))), k: Math.min(a.nv, a.chips * a.coresPerChip) };
}

/** partitionHierarchical's result, or undefined after checking that a refusal is one the flat partition with the same k makes too. */
function mappedUnlessFlatFails(h: Hypergraph, k: number, coresPerChip: number, seed: number, capacity: CapacitySpec) {
  try {
    return partitionHierarchical(h, { k, coresPerChip, seed, capacity });
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    expect((e as KilnError).diagnostics[0]!.message).toMatch(/^chip \d+'s|^the vertices do not split over|in total|needs .* more than any part/);
    expect(() => partitionHypergraph(h, { k, seed, capacity })).toThrow(KilnError);
    return undefined;
  }
}

describe('chips-first: every chip group fits its cores', () => {
  it('moves the cheapest vertex off a chip whose group fits the summed limit but not its cores', () => {
    const chipOf = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const r = fitChips({ h: heavy, chipOf, chips: 3, coresOf: () => 2, perVertex: heavyLoads, limits: Float64Array.from([18, 18, 18]), names: ['axons'], split: coreSplit(heavyLoads, 10) });
    expect(refused(r)).toBe(false);
    const fit = r as ChipFit;
    expect(fit.moved).toBe(true);
    // Vertex 2 leaves (its net to 3 makes chip 1 the cheaper side: 100 − 1 messages added).
    expect(Array.from(chipOf)).toEqual([0, 0, 1, 1, 1, 1, 2, 2, 2]);
    fit.members.forEach((vs, c) => {
      const load = new Float64Array(2);
      vs.forEach((v, i) => (load[fit.cores[c]![i]!]! += heavyLoads[v]!));
      expect(Math.max(...load), `chip ${c}`).toBeLessThanOrEqual(10);
    });
  });

  it('sheds again on the next try when the last vertex moved overshot that try\'s target', () => {
    // Chip 0 (two cores) holds one vertex of 10 and six of 1, chip 1 has room for all. A stand-in
    // split fits chip 0 once it keeps at most four vertices. The first try (down to 3/4 of 16)
    // sheds the heavy vertex, leaving 6, already under the second try's 1/2 of 16: that try used to
    // move nothing and refuse the chip.
    const h = hypergraph(8, [], []);
    const per = Float64Array.from([10, 1, 1, 1, 1, 1, 1, 0]);
    const chipOf = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1]);
    const split = (c: number, vs: Int32Array) => (c === 1 || vs.length <= 4 ? new Int32Array(vs.length) : undefined);
    const r = fitChips({ h, chipOf, chips: 2, coresOf: () => 2, perVertex: per, limits: Float64Array.from([20, 100]), names: ['axons'], split });
    expect(refused(r)).toBe(false);
    expect((r as ChipFit).members[0]!.length).toBeLessThanOrEqual(4);
    expect(Array.from(chipOf.subarray(0, 3))).toEqual([1, 1, 1]);
  });

  it('keeps every core of partitionHierarchical within its limit on the same network', () => {
    const r = partitionHierarchical(heavy, { k: 6, coresPerChip: 2, capacity: axons(heavyLoads) });
    expect(Math.max(...coreLoads(r.parts, 6, 2, heavyLoads, 1))).toBeLessThanOrEqual(10);
    // The weight-100 net now spans two chips (two of its three vertices per chip at most).
    const s = scorePartition({ hypergraph: heavy }, r.parts, { k: 6, chipOf: r.chipOf });
    expect(s.interChipMessages).toBeGreaterThanOrEqual(100);
  });

  it('refuses, naming the chip and the cores it needs and has, when no mapping fits', () => {
    // Five vertices of 6 on two chips of two 10-unit cores: the sums allow 3 + 2, the cores 2 + 2.
    // The chip that gave one keeps room, so the message must not say no chip has (it once did).
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
    expect(diag.message).toMatch(/^chip \d's 3 vertices need 3 cores to keep every core within its axons limits, but the chip has 2, and moving vertices to the chips with room did not make every chip fit; nor do the vertices pack into 4 cores when partitioned flat$/);
    expect(diag.hint).toMatch(/more chips or more cores per chip/);
    // The mapper retries with more cores on any refusal, so it asks for the error without the count.
    expect(() => partitionHierarchical(five, { k: 4, coresPerChip: 2, capacity: axons(per), countOnRefusal: false })).toThrow(/^chip \d's 3 vertices need more cores to keep/);
  });

  it('says no other chip has room when only a chip that never gave could take a vertex', () => {
    // Chip 0 never fits (stand-in split); chip 1 holds 6 of its 10 and can take none of chip 0's
    // 6-unit vertices, only its unloaded one. Counting chip 1 as room once chose the other wording.
    const h = hypergraph(5, [], []);
    const per = Float64Array.from([0, 6, 6, 6, 6]);
    const inp = {
      h, chipOf: Int32Array.from([0, 0, 0, 0, 1]), chips: 2, coresOf: () => 2, perVertex: per, limits: Float64Array.from([20, 10]), names: ['axons'],
      split: (c: number, vs: Int32Array) => (c === 1 ? new Int32Array(vs.length) : undefined),
    };
    const r = fitChips(inp);
    expect(refused(r)).toBe(true);
    expect(refusalError(inp, r as ChipRefusal, false).diagnostics[0]!.message).toBe("chip 0's 4 vertices need more cores to keep every core within its axons limits, but the chip has 2, and no other chip has room for the excess");
  });

  it('either keeps every per-core limit with each core on its chip, or refuses naming a chip or the load (random hypergraphs)', () => {
    const arb = fc.record({
      ...shape(30, 6, 40, 5),
      d: fc.integer({ min: 1, max: 3 }),
      limit: fc.integer({ min: 4, max: 20 }),
      // Loads up to 60% of a core's limit: about one draw in ten needs the repair (one in seventy is refused).
      loads: fc.array(fc.double({ min: 0, max: 0.6, noNaN: true }), { minLength: 90, maxLength: 90 }),
    });
    fc.assert(fc.property(arb, (a) => {
      const { h, k } = drawn(a);
      const per = Float64Array.from({ length: a.nv * a.d }, (_, i) => Math.round(a.limit * a.loads[i]!));
      const r = mappedUnlessFlatFails(h, k, a.coresPerChip, a.seed, { names: ['a', 'b', 'c'].slice(0, a.d), perVertex: per, limits: Array(a.d).fill(a.limit) });
      if (!r) return;
      const load = coreLoads(r.parts, k, a.coresPerChip, per, a.d);
      for (let i = 0; i < load.length; i++) expect(load[i]).toBeLessThanOrEqual(a.limit);
    }), { numRuns: 150, seed: 7 });
  });

  // A reviewer's probe of this shape (core loads 1–6, limit 10) found the repair refusing 39 of
  // 3,000 draws that the flat partition with the same k mapped: a chip that gave keeps room no
  // one may use. The flat partition grouped onto chips is now the fallback (7 of 1,000 draws here).
  it('maps every small input the flat partition maps, through the repair or the flat fallback', () => {
    const arb = fc.record({ ...shape(24, 5, 30, 4), loads: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 24, maxLength: 24 }) });
    const how = { moved: 0, flat: 0 };
    fc.assert(fc.property(arb, (a) => {
      const { h, k } = drawn(a);
      const per = Float64Array.from(a.loads.slice(0, a.nv));
      const r = mappedUnlessFlatFails(h, k, a.coresPerChip, a.seed, axons(per));
      if (!r) return;
      if (r.fit) how[r.fit]++;
      expect(Math.max(...coreLoads(r.parts, k, a.coresPerChip, per, 1))).toBeLessThanOrEqual(10);
    }), { numRuns: 1000, seed: 11 });
    expect(how.moved).toBeGreaterThan(0);
    expect(how.flat).toBeGreaterThan(0);
  });

  it('finds the cores a refused chip needs in at most 2·⌈log₂ 4n⌉ splits (18 at n = 128), not one split per extra core', () => {
    // A chip of 128 cores whose 600 vertices need 437 (a stand-in split that packs into 437 or more).
    let calls = 0;
    const split = (_c: number, vs: Int32Array, n: number) => (calls++, n >= 437 ? new Int32Array(vs.length) : undefined);
    expect(coresNeeded(split, 0, new Int32Array(600), 128)).toBe(437);
    expect(calls).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(4 * 128)));
    calls = 0;
    expect(coresNeeded(split, 0, new Int32Array(600), 100)).toBeUndefined(); // past 4× the chip's cores
    expect(calls).toBeLessThanOrEqual(Math.ceil(Math.log2(4 * 100)) + 1);
  });

  it('regroups cores when the repair stops with room only on chips that gave', () => {
    // Ten unconnected cores, groups of 7 and 3, five chips of 2: group 0 gives two cores a try
    // (7 → 5 → 3 → 1) and fills chips 2–4, so group 1's third core may only go to the donor.
    const group = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    fitCoreGroups(hypergraph(10, [], []), Int32Array.from({ length: 10 }, (_, v) => v), 10, group, 2, 5);
    const size = new Int32Array(5);
    group.forEach((g) => size[g]!++);
    expect(Array.from(size).every((n) => n <= 2)).toBe(true);
  });

  // The mapper refuses more cores than its chips hold before it regroups (chips-first.test.ts,
  // "refuses more cores after splitting than the chips hold"), so more here is a Kiln bug.
  it('treats more cores than the chips hold as an internal error, not a user\'s', () => {
    const group = Int32Array.from([0, 0, 0, 1, 1, 1, 1]);
    let err: unknown;
    try {
      fitCoreGroups(hypergraph(7, [], []), Int32Array.from({ length: 7 }, (_, v) => v), 7, group, 3, 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(KilnError);
    expect((err as Error).message).toBe('internal: fitCoreGroups was given 7 cores, more than 2 chips of 3 hold');
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

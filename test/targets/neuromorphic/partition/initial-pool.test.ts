import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHypergraph } from '../../../../targets/neuromorphic/partition/engine-hypergraph.ts';
import { flatBisect } from '../../../../targets/neuromorphic/partition/initial.ts';
import { poolGrow, type PoolAlgorithm } from '../../../../targets/neuromorphic/partition/initial-pool.ts';
import { PartState } from '../../../../targets/neuromorphic/partition/part-state.ts';
import { fmBisection } from '../../../../targets/neuromorphic/partition/refine-fm2.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

const ALGORITHMS = ['bfs', 'max-net', 'max-pin', 'random', 'lp'] as const;

/** Random hypergraphs with nets of 2–10 pins and weights 1–20. */
const arbHypergraph = fc
  .record({
    nv: fc.integer({ min: 2, max: 40 }),
    nets: fc.array(fc.tuple(fc.array(fc.nat(39), { minLength: 2, maxLength: 10 }), fc.integer({ min: 1, max: 20 })), { minLength: 1, maxLength: 60 }),
  })
  .map(({ nv, nets }): Hypergraph => {
    const eptr = new Int32Array(nets.length + 1);
    nets.forEach(([p], e) => (eptr[e + 1] = eptr[e]! + p.length));
    return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flatMap(([p]) => p.map((v) => v % nv))), ewgt: Float64Array.from(nets.map(([, w]) => w)) };
  });

const engine = (h: Hypergraph) => fromHypergraph(h, new Float64Array(h.nv).fill(1), 1, true);

function connectivity(h: ReturnType<typeof engine>, part: Int32Array): number {
  let obj = 0;
  for (let e = 0; e < h.ne; e++) {
    const parts = new Set<number>();
    for (let i = h.eptr[e]!; i < h.eptr[e + 1]!; i++) parts.add(part[h.pins[i]!]!);
    obj += h.ewgt[e]! * (parts.size - 1);
  }
  return obj;
}

/** Unit weights: side 0 aims at half, each side may hold one more than half. */
function halves(nv: number) {
  const limits = Float64Array.of(Math.ceil(nv / 2) + 1, Math.ceil(nv / 2) + 1);
  return { limits, target0: Float64Array.of(Math.floor(nv / 2)) };
}

describe('the initial-partitioning pool', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: a bisection within both sides' limits, which two-way FM never worsens`, () => {
      fc.assert(
        fc.property(arbHypergraph, fc.nat(1000), (hg, seed) => {
          const h = engine(hg);
          const { limits, target0 } = halves(h.nv);
          const part = poolGrow(algorithm, h, target0, limits, new Rng(seed));
          expect(part.every((p) => p === 0 || p === 1)).toBe(true);
          const on0 = part.filter((p) => p === 0).length;
          expect(on0).toBeLessThanOrEqual(limits[0]!);
          expect(h.nv - on0).toBeLessThanOrEqual(limits[1]!);
          // Growth stops at its target; label propagation may move vertices on from there.
          if (algorithm !== 'lp') expect(on0).toBe(target0[0]!);
          const st = new PartState(h, 2, limits, part);
          const before = connectivity(h, part);
          expect(st.objective).toBe(before);
          fmBisection(st, new Rng(seed), { passes: 2, maxFruitless: 20 });
          expect(st.objective).toBeLessThanOrEqual(before);
          expect(st.objective).toBe(connectivity(h, st.part));
          expect(st.feasible()).toBe(true);
        }),
        { numRuns: 100 },
      );
    });
  }

  // A path of 40 vertices (two-pin nets i–i+1): a grown side that stays connected is one
  // interval, cutting at most two nets; a random half cuts about half of them.
  it('grows connected sides: BFS, max-net and max-pin cut a path in at most two places, random in many', () => {
    const nv = 40;
    const eptr = Int32Array.from({ length: nv }, (_, e) => 2 * e);
    const path = fromHypergraph({ nv, ne: nv - 1, eptr, pins: Int32Array.from({ length: 2 * (nv - 1) }, (_, i) => (i >> 1) + (i & 1)) }, new Float64Array(nv).fill(1), 1, true);
    const { limits, target0 } = halves(nv);
    for (let seed = 1; seed <= 5; seed++) {
      for (const algorithm of ['bfs', 'max-net', 'max-pin'] as const) expect(connectivity(path, poolGrow(algorithm, path, target0, limits, new Rng(seed))), `${algorithm}, seed ${seed}`).toBeLessThanOrEqual(2);
      expect(connectivity(path, poolGrow('random', path, target0, limits, new Rng(seed)))).toBeGreaterThan(8);
    }
  });

  it('label propagation pulls each vertex to the side holding most of its nets', () => {
    const nv = 40;
    const eptr = Int32Array.from({ length: nv }, (_, e) => 2 * e);
    const path = fromHypergraph({ nv, ne: nv - 1, eptr, pins: Int32Array.from({ length: 2 * (nv - 1) }, (_, i) => (i >> 1) + (i & 1)) }, new Float64Array(nv).fill(1), 1, true);
    const { limits, target0 } = halves(nv);
    for (let seed = 1; seed <= 5; seed++) {
      expect(connectivity(path, poolGrow('lp', path, target0, limits, new Rng(seed)))).toBeLessThan(connectivity(path, poolGrow('random', path, target0, limits, new Rng(seed))));
    }
  });

  it('flatBisect over the whole pool, cheap FM on each try and full FM on the best: feasible and deterministic by seed', () => {
    fc.assert(
      fc.property(arbHypergraph, fc.nat(1000), (hg, seed) => {
        const h = engine(hg);
        const { limits, target0 } = halves(h.nv);
        const cfg = { tries: 12, fm: { passes: 4, maxFruitless: 50 }, tryFm: { passes: 1, maxFruitless: 10 }, pool: ['fm', ...ALGORITHMS] as PoolAlgorithm[] };
        const a = flatBisect(h, limits, target0, new Rng(seed), cfg);
        const b = flatBisect(h, limits, target0, new Rng(seed), cfg);
        expect(Array.from(a)).toEqual(Array.from(b));
        expect(a.every((p) => p === 0 || p === 1)).toBe(true);
        expect(new PartState(h, 2, limits, a).feasible()).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flatBisect } from '../../../../targets/neuromorphic/partition/initial.ts';
import { poolGrow, type PoolAlgorithm } from '../../../../targets/neuromorphic/partition/initial-pool.ts';
import { PartState } from '../../../../targets/neuromorphic/partition/part-state.ts';
import { fmBisection } from '../../../../targets/neuromorphic/partition/refine-fm2.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import { arbHypergraph, connectivity, engine } from './random-hypergraphs.ts';

const ALGORITHMS = ['bfs', 'max-net', 'max-pin', 'random', 'lp'] as const;

/** A path of 40 vertices, two-pin nets i–i+1. */
function path40() {
  const nv = 40;
  const eptr = Int32Array.from({ length: nv }, (_, e) => 2 * e);
  const pins = Int32Array.from({ length: 2 * (nv - 1) }, (_, i) => (i >> 1) + (i & 1));
  return { path: engine({ nv, ne: nv - 1, eptr, pins }), ...halves(nv) };
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
    const { path, limits, target0 } = path40();
    for (let seed = 1; seed <= 5; seed++) {
      for (const algorithm of ['bfs', 'max-net', 'max-pin'] as const) expect(connectivity(path, poolGrow(algorithm, path, target0, limits, new Rng(seed))), `${algorithm}, seed ${seed}`).toBeLessThanOrEqual(2);
      expect(connectivity(path, poolGrow('random', path, target0, limits, new Rng(seed)))).toBeGreaterThan(8);
    }
  });

  it('label propagation pulls each vertex to the side holding most of its nets', () => {
    const { path, limits, target0 } = path40();
    for (let seed = 1; seed <= 5; seed++) {
      expect(connectivity(path, poolGrow('lp', path, target0, limits, new Rng(seed)))).toBeLessThan(connectivity(path, poolGrow('random', path, target0, limits, new Rng(seed))));
    }
  });

  it('flatBisect over the whole pool: feasible and deterministic by seed', () => {
    fc.assert(
      fc.property(arbHypergraph, fc.nat(1000), (hg, seed) => {
        const h = engine(hg);
        const { limits, target0 } = halves(h.nv);
        const cfg = { tries: 12, fm: { passes: 4, maxFruitless: 50 }, pool: ['fm', ...ALGORITHMS] as PoolAlgorithm[] };
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

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GainCache, gainCacheApplies } from '../../../../targets/neuromorphic/partition/gain-cache.ts';
import { PartState } from '../../../../targets/neuromorphic/partition/part-state.ts';
import { fmRefine } from '../../../../targets/neuromorphic/partition/refine-fm.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import { arbHypergraph, connectivity, engine } from './random-hypergraphs.ts';

/** Limits that differ per part, so load ratios rarely tie and the cache answers by itself. */
function unevenLimits(nv: number, k: number): Float64Array {
  return Float64Array.from({ length: k }, (_, q) => Math.ceil(nv / k) + 2 + q);
}

describe('k-way FM gain cache', () => {
  it.each([Infinity, 4])('gives PartState.bestMove\'s answer and gain for every vertex after any sequence of moves (nets above %s pins summed afresh)', (maxNetSize) => {
    let asked = 0;
    let ties = 0;
    fc.assert(
      fc.property(arbHypergraph, fc.integer({ min: 2, max: 9 }), fc.nat(1000), (hg, k, seed) => {
        const rng = new Rng(seed);
        const h = engine(hg);
        const st = new PartState(h, k, unevenLimits(h.nv, k), Int32Array.from({ length: h.nv }, (_, v) => (v * 5 + seed) % k));
        const cache = new GainCache(st, maxNetSize);
        st.listener = cache;
        for (let step = 0; step < 30; step++) {
          // Every vertex is cached from the first step on, so later answers come from deltas.
          for (let u = 0; u < h.nv; u++) {
            const t = cache.bestMove(u);
            const g = st.lastGain;
            expect([t, g]).toEqual([st.bestMove(u), st.lastGain]);
            asked++;
          }
          st.move(rng.int(h.nv), rng.int(k));
        }
        expect(st.objective).toBe(connectivity(h, st.part));
        ties += cache.ties;
      }),
      { numRuns: 80 },
    );
    // The answers must mostly be the cache's own, not its fall-back on ties.
    expect(ties).toBeLessThan(asked / 4);
  });

  it('leaves every k-way FM partition unchanged (cached against recomputed gains)', () => {
    fc.assert(
      fc.property(arbHypergraph, fc.integer({ min: 2, max: 9 }), fc.nat(1000), fc.integer({ min: 2, max: 64 }), (hg, k, seed, maxFruitless) => {
        const h = engine(hg);
        const start = Int32Array.from({ length: h.nv }, (_, v) => (v * 3 + seed) % k);
        const limits = unevenLimits(h.nv, k);
        const cfg = { rounds: 3, seeds: 2, maxFruitless, maxActivationNetSize: 8 };
        const a = new PartState(h, k, limits, start.slice());
        const b = new PartState(h, k, limits, start.slice());
        // Both runs would agree trivially if the cache were off; it must be on for the first.
        expect(gainCacheApplies(a)).toBe(true);
        const ga = fmRefine(a, new Rng(seed), cfg);
        const gb = fmRefine(b, new Rng(seed), { ...cfg, gainCache: false });
        expect(Array.from(a.part)).toEqual(Array.from(b.part));
        expect(ga).toBe(gb);
        expect(a.objective).toBe(connectivity(h, a.part));
        expect(a.listener).toBeNull();
      }),
      { numRuns: 400 },
    );
  });

  it('is used only where deltas are exact: integer net weights and no synapse-cut term', () => {
    const h = engine({ nv: 3, ne: 2, eptr: Int32Array.from([0, 2, 4]), pins: Int32Array.from([0, 1, 1, 2]), ewgt: Float64Array.from([2, 3]) });
    const st = new PartState(h, 2, new Float64Array(2).fill(Infinity), Int32Array.from([0, 1, 1]));
    expect(gainCacheApplies(st)).toBe(true);
    st.beta = 0.01;
    expect(gainCacheApplies(st)).toBe(false);
    const frac = engine({ nv: 3, ne: 2, eptr: Int32Array.from([0, 2, 4]), pins: Int32Array.from([0, 1, 1, 2]), ewgt: Float64Array.from([0.1, 0.2]) });
    expect(gainCacheApplies(new PartState(frac, 2, new Float64Array(2).fill(Infinity), Int32Array.from([0, 1, 1])))).toBe(false);
    // Whole weights stay exact up to 2^53 in total, not beyond.
    const big = (w: number) => engine({ nv: 3, ne: 2, eptr: Int32Array.from([0, 2, 4]), pins: Int32Array.from([0, 1, 1, 2]), ewgt: Float64Array.from([w, w]) });
    expect(gainCacheApplies(new PartState(big(2 ** 40), 2, new Float64Array(2).fill(Infinity), Int32Array.from([0, 1, 1])))).toBe(true);
    expect(gainCacheApplies(new PartState(big(2 ** 52), 2, new Float64Array(2).fill(Infinity), Int32Array.from([0, 1, 1])))).toBe(false);
  });

  // Vertices the FM never asked hold no entry; moves must skip them and still keep the asked
  // ones right, so here only a random few are asked between moves.
  it('answers as PartState does when only some vertices are asked between moves', () => {
    fc.assert(
      fc.property(arbHypergraph, fc.integer({ min: 2, max: 9 }), fc.nat(1000), (hg, k, seed) => {
        const rng = new Rng(seed);
        const h = engine(hg);
        const st = new PartState(h, k, unevenLimits(h.nv, k), Int32Array.from({ length: h.nv }, (_, v) => (v * 7 + seed) % k));
        const cache = new GainCache(st, 4);
        st.listener = cache;
        for (let step = 0; step < 40; step++) {
          for (let i = rng.int(4); i >= 0; i--) {
            const u = rng.int(h.nv);
            const t = cache.bestMove(u);
            const g = st.lastGain;
            expect([t, g]).toEqual([st.bestMove(u), st.lastGain]);
          }
          st.move(rng.int(h.nv), rng.int(k));
        }
      }),
      { numRuns: 150 },
    );
  });
});

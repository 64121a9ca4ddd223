import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { carryDown, intersectionKey, projectUp } from '../../../../targets/neuromorphic/partition/combine.ts';
import { resolveConstraints } from '../../../../targets/neuromorphic/partition/constraints.ts';
import { combineRuns } from '../../../../targets/neuromorphic/partition/multilevel.ts';
import { engineConfig, partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';
import { connectivity, engine } from './random-hypergraphs.ts';
import { unet } from './unet.ts';

const arbParts = (nv: number, n: number, k: number) => fc.array(fc.array(fc.nat(k - 1), { minLength: nv, maxLength: nv }).map((a) => Int32Array.from(a)), { minLength: n, maxLength: n });

/** Random hypergraphs of 120–300 vertices, nets of nearby pins: large enough to coarsen to k·1. */
const arbLocal = fc.record({ nv: fc.integer({ min: 120, max: 300 }), seed: fc.integer({ min: 1, max: 1 << 20 }) }).map(({ nv, seed }): Hypergraph => {
  const r = new Rng(seed);
  const eptr = [0];
  const pins: number[] = [];
  for (let e = 0; e < 2 * nv; e++) {
    const s = r.int(nv);
    pins.push(s);
    for (let i = 1 + r.int(5); i > 0; i--) pins.push((s + 1 + r.int(12)) % nv);
    eptr.push(pins.length);
  }
  return { nv, ne: 2 * nv, eptr: Int32Array.from(eptr), pins: Int32Array.from(pins) };
});

describe('recombining partitions (KaHyPar-E combine)', () => {
  it('gives two vertices one key exactly when every partition puts them in the same part', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }).chain((nv) => fc.tuple(fc.constant(nv), arbParts(nv, 3, 5))), ([nv, parts]) => {
        const { key, classes } = intersectionKey(parts);
        const tuples = new Set(Array.from({ length: nv }, (_, v) => parts.map((p) => p[v]).join(',')));
        expect(classes).toBe(tuples.size);
        for (let u = 0; u < nv; u++) {
          expect(key[u]).toBeLessThan(classes);
          for (let v = 0; v < nv; v++) expect(key[u] === key[v]).toBe(parts.every((p) => p[u] === p[v]));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses negative part labels, which the key arithmetic cannot tell apart', () => {
    // With labels below 0, key · (maxP + 1) + label could name two pairs alike: 1·2 − 1 = 0·2 + 1.
    expect(() => intersectionKey([Int32Array.of(0, 1), Int32Array.of(-1, 0)])).toThrow(/vertex 0 in part -1/);
  });

  it('carries a partition that is constant on clusters down the maps and back unchanged', () => {
    // 6 vertices → 3 clusters → 2; the partition is constant on the final clusters {0,1,2,3} and {4,5}.
    const maps = [Int32Array.of(0, 0, 1, 1, 2, 2), Int32Array.of(0, 0, 1)];
    const part = Int32Array.of(3, 3, 3, 3, 1, 1);
    expect([...carryDown(part, maps, [3, 2])]).toEqual([3, 1]);
    expect([...projectUp(carryDown(part, maps, [3, 2]), maps)]).toEqual([...part]);
    // A coarse vertex that no fine vertex maps to (sizes from the hierarchy, not the map's maximum) stays.
    expect(carryDown(part, maps, [3, 3]).length).toBe(3);
  });

  // Coarsening to vcycleContraction · k = k vertices, so the combinations have levels to work on.
  it('combines runs of random hypergraphs on coarse levels whose clusters both runs keep whole, within the limits, never above the best run', () => {
    let accepted = 0;
    fc.assert(
      fc.property(arbLocal, fc.integer({ min: 3, max: 6 }), fc.integer({ min: 1, max: 1000 }), (h, k, seed) => {
        const runs = [seed, seed + 1, seed + 2].map((s) => partitionHypergraph(h, { k, seed: s }, { main: { initialRuns: 1, vcycles: 0 } }));
        const eh = engine(h);
        const { limits } = resolveConstraints(h.nv, { k }, undefined, 1);
        const cfg = { ...engineConfig('default', false, k, h.nv).main, vcycleContraction: 1, combine: { sweeps: 2 } };
        const scored = runs.map((r) => ({ part: r.parts, score: r.objective }));
        // The spectral rule's cheaper refinement (FM on one level, 8 fruitless moves) keeps the same guarantees.
        const fruitless = seed % 2 === 0 ? 8 : undefined;
        const { best, combinations } = combineRuns(eh, k, limits, new Rng(seed), cfg, scored, true, fruitless);
        expect(combinations).toBeGreaterThan(0);
        if (!best) return;
        accepted++;
        const part = best.st.part;
        const loads = new Float64Array(k);
        for (let v = 0; v < h.nv; v++) loads[part[v]!]! += 1;
        for (let p = 0; p < k; p++) expect(loads[p]).toBeLessThanOrEqual(limits[p]!);
        expect(best.st.objective).toBeCloseTo(connectivity(eh, part), 6);
        expect(best.st.objective).toBeLessThanOrEqual(Math.min(...scored.map((r) => r.score)));
      }),
      { numRuns: 25 },
    );
    // Most random cases accept a combination; the checks above must have run.
    expect(accepted).toBeGreaterThan(5);
  });

  // What a combination does that another pass over the best alone (a V-cycle) cannot: its coarse
  // levels keep apart what the other run separates, so they can move groups the best run split.
  it('coarsens within the intersection of the two runs, not within the best run alone', () => {
    let checked = 0;
    fc.assert(
      fc.property(arbLocal, fc.integer({ min: 1, max: 1000 }), (h, seed) => {
        const k = 4;
        const [a, b] = [seed, seed + 7].map((s) => partitionHypergraph(h, { k, seed: s }, { main: { initialRuns: 1, vcycles: 0 } }));
        const { limits } = resolveConstraints(h.nv, { k }, undefined, 1);
        const cfg = { ...engineConfig('default', false, k, h.nv).main, vcycleContraction: 1, combine: { sweeps: 1 } };
        const { best } = combineRuns(engine(h), k, limits, new Rng(seed), cfg, [{ part: a!.parts, score: a!.objective }, { part: b!.parts, score: b!.objective }], true);
        if (!best) return;
        checked++;
        // One input vertex of each coarsest cluster (vertex ids carried down), then back to its members.
        const { maps, levels } = best.hy;
        const ids = Int32Array.from({ length: h.nv }, (_, v) => v);
        const rep = projectUp(carryDown(ids, maps, levels.slice(1).map((l) => l.nv)), maps);
        for (let v = 0; v < h.nv; v++) {
          const u = rep[v]!;
          expect([a!.parts[v], b!.parts[v]]).toEqual([a!.parts[u], b!.parts[u]]);
        }
      }),
      { numRuns: 20 },
    );
    expect(checked).toBeGreaterThan(10);
  });

  // Through the defaults on a U-Net small enough for a unit test (3,888 neurons, the layer hint
  // given, three runs as the full-size U-Net makes them). This shows the pass pays as a whole, not
  // that the dropped runs' cuts are why: combining the best with itself alone also passes (10,736).
  it('sends fewer messages on a small U-Net, k = 8, than keeping the best of three runs', () => {
    const h = unet(12);
    const sum = (combine: boolean) => [1, 2, 3, 4].reduce((s, seed) => s + partitionHypergraph(h, { k: 8, seed }, { main: { initialRuns: 3, combine: combine ? { sweeps: 1 } : undefined } }).objective, 0);
    expect(sum(true)).toBeLessThan(sum(false));
  });

  it('is on by default where the hypergraph carries the layer hint and several initial runs are made', () => {
    const combine = (...a: Parameters<typeof engineConfig>) => engineConfig(...a).main.combine;
    // The U-Net's 21,168 neurons, 59 pins each, at k = 8: hinted, unhinted, strong effort, edge cut, k = 512 (one run).
    expect(combine('default', false, 8, 21_168, 59, true)).toEqual({ sweeps: 1 });
    expect(combine('default', false, 8, 21_168, 59, false)).toBeUndefined();
    expect(combine('strong', false, 8, 21_168, 59, true)).toBeUndefined();
    expect(combine('default', true, 8, 21_168, 59, true)).toBeUndefined();
    expect(combine('default', false, 512, 21_168, 59, true)).toBeUndefined();
    const hinted = unet(12);
    // Capacity mode (the mapper, chips first) and k = 64 were not measured: off there.
    expect(combine('default', false, 8, 21_168, Infinity, true)).toBeUndefined();
    expect(combine('default', false, 64, 21_168, 59, true)).toBeUndefined();
    const { layer: _, ...bare } = hinted;
    const parts = (h: Hypergraph, tuning?: Parameters<typeof partitionHypergraph>[2]) => Array.from(partitionHypergraph(h, { k: 8, seed: 1 }, tuning).parts);
    // At 3,888 neurons the communities rule leaves one run, where the combine has nothing to do;
    // three runs asked for (as the full-size U-Net makes them) keep the rule's choice of combine.
    const three = { main: { initialRuns: 3 } };
    const on = { main: { initialRuns: 3, combine: { sweeps: 1 } } };
    const off = { main: { initialRuns: 3, combine: undefined } };
    expect(parts(hinted, three)).toEqual(parts(hinted, on));
    expect(parts(hinted, three)).not.toEqual(parts(hinted, off));
    // The same graph without the hint: the combine stays off, though it would move the parts.
    expect(parts(bare, three)).toEqual(parts(bare, off));
    expect(parts(bare, three)).not.toEqual(parts(bare, on));
  });

  // Where the spectral rule applies (a clustered first hierarchy: the U-Net at 20 × 20), its two
  // runs are recombined by default.
  it('recombines the spectral rule\'s runs by default', () => {
    const h = unet(20);
    const parts = (tuning?: Parameters<typeof partitionHypergraph>[2]) => Array.from(partitionHypergraph(h, { k: 8, seed: 1 }, tuning).parts);
    expect(engineConfig('default', false, 8, h.nv, h.pins.length / h.nv, true).main.spectral).toBeDefined();
    const byDefault = parts();
    expect(byDefault).toEqual(parts({ main: { combine: { sweeps: 1 } } }));
    expect(byDefault).not.toEqual(parts({ main: { combine: undefined } }));
  });
});

/**
 * The V-cycles' own k-way FM stop (`vcycleFruitless`): FM runs on the finest level above the
 * input only, with `fm`'s other settings, and the deep-V-cycle rule (k ≥ 64, more than 50 pins a
 * vertex) sets it, with a cap on the bisections' Louvain passes. Every fmRefine and
 * detectCommunities call is recorded through a wrapper around the real one.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ list: [] as { nv: number; k: number; maxFruitless: number; rounds: number }[], louvain: [] as number[] }));

vi.mock('../../../../targets/neuromorphic/partition/refine-fm.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../../targets/neuromorphic/partition/refine-fm.ts')>();
  return { ...real, fmRefine: (...a: Parameters<typeof real.fmRefine>) => { calls.list.push({ nv: a[0].h.nv, k: a[0].k, maxFruitless: a[2].maxFruitless, rounds: a[2].rounds }); return real.fmRefine(...a); } };
});

vi.mock('../../../../targets/neuromorphic/partition/community.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../../targets/neuromorphic/partition/community.ts')>();
  return { ...real, detectCommunities: (...a: Parameters<typeof real.detectCommunities>) => { calls.louvain.push(a[2].maxPasses); return real.detectCommunities(...a); } };
});

const { engineConfig, partitionHypergraph } = await import('../../../../targets/neuromorphic/partition/partitioner.ts');
const { scorePartition } = await import('../../../../targets/neuromorphic/partition/score.ts');
const { smallSnn, denseSnn } = await import('./small-snns.ts');

beforeEach(() => { calls.list = []; calls.louvain = []; });

/** 1,130 neurons, over 50 pins each: a balance call at k = 64 falls under the deep-V-cycle rule. */
const dense = denseSnn();
const small = smallSnn();

/** Vertex counts of the levels the k-way FM refined (k > 2: not the bisections'). */
const kwayLevels = () => calls.list.filter((c) => c.k > 2);

describe('the V-cycles\' k-way FM (vcycleFruitless)', () => {
  const k = 16;
  const h = small.hypergraph;
  const cycles = { vcycles: 2, vcycleContraction: 4, vcycleMinGain: 0 };

  it('runs on every level above the input without it, on the finest of them only with it, with its settings', () => {
    partitionHypergraph(h, { k, seed: 3 }, { main: cycles });
    const without = kwayLevels();
    // The check below needs V-cycles with more than one level above the input.
    expect(new Set(without.map((c) => c.nv)).size).toBeGreaterThan(1);
    expect(without.every((c) => c.maxFruitless !== 5)).toBe(true);
    calls.list = [];
    partitionHypergraph(h, { k, seed: 3 }, { main: { ...cycles, vcycleFruitless: 5 } });
    const withFm = kwayLevels();
    // Once per cycle, on one level: the largest that the cycles refined before, below the input.
    expect(withFm).toHaveLength(cycles.vcycles);
    expect(withFm.every((c) => c.maxFruitless === 5)).toBe(true);
    const finest = Math.max(...without.map((c) => c.nv));
    expect(finest).toBeLessThan(h.nv);
    expect(withFm.every((c) => c.nv === finest)).toBe(true);
  });

  it('leaves the FM of the first uncoarsening as it was', () => {
    // FM on every level of the first uncoarsening, the input's included, and no V-cycle.
    const first = { vcycles: 0, fmMaxPins: Infinity };
    const a = partitionHypergraph(h, { k, seed: 3 }, { main: first }).parts;
    const levels = kwayLevels().map((c) => `${c.nv}/${c.maxFruitless}`);
    expect(new Set(levels).size).toBeGreaterThan(1);
    calls.list = [];
    const b = partitionHypergraph(h, { k, seed: 3 }, { main: { ...first, vcycleFruitless: 5 } }).parts;
    expect(kwayLevels().map((c) => `${c.nv}/${c.maxFruitless}`)).toEqual(levels);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('the deep-V-cycle rule', () => {
  it('gives the V-cycles 16 fruitless moves a search and the bisections\' Louvain 8 passes a level, only where it applies', () => {
    const rule = engineConfig('default', false, 64, 21_168, 59).main;
    expect(rule.vcycleFruitless).toBe(16);
    expect(rule.unclustered?.communities.maxPasses).toBe(8);
    const sparse = engineConfig('default', false, 64, 32_778, 44).main;
    expect(sparse.vcycleFruitless).toBeUndefined();
    expect(sparse.unclustered?.communities.maxPasses).toBe(100);
    expect(engineConfig('default', false, 8, 21_168, 59).main.vcycleFruitless).toBeUndefined();
    // Below UNCLUSTERED_MIN_VERTICES there is no communities rule for the cap to change.
    expect(engineConfig('default', false, 64, 999, 59).main.unclustered).toBeUndefined();
  });

  // (`dense` has one level above the input a cycle, so where FM runs is tested on `small` above.)
  it('partitions a hypergraph under it within the limits, the objective its spike messages', () => {
    const h = dense.hypergraph;
    expect(h.pins.length / h.nv).toBeGreaterThan(50);
    const r = partitionHypergraph(h, { k: 64, seed: 1 });
    for (let p = 0; p < 64; p++) expect(r.partLoads[p]!).toBeLessThanOrEqual(r.limits[p]!);
    expect(r.objective).toBe(scorePartition({ hypergraph: h }, r.parts).spikeMessages);
    const kway = kwayLevels();
    expect(kway.length).toBeGreaterThan(0);
    expect(kway.every((c) => c.maxFruitless === 16)).toBe(true);
  });

  it('caps Louvain at 8 passes in the bisections', () => {
    partitionHypergraph(dense.hypergraph, { k: 64, seed: 1 });
    expect(calls.louvain.length).toBeGreaterThan(0);
    expect(calls.louvain.every((p) => p === 8)).toBe(true);
  });

  // The rule sets only the stop, so a caller's own FM settings reach the V-cycles.
  it('keeps a caller\'s FM settings in the V-cycles, with the rule\'s stop', () => {
    const h = dense.hypergraph;
    const fm = { ...engineConfig('default', false, 64, h.nv, h.pins.length / h.nv).main.fm, rounds: 1 };
    expect(fm.rounds).not.toBe(engineConfig().main.fm.rounds);
    partitionHypergraph(h, { k: 64, seed: 1 }, { main: { fm } });
    const kway = kwayLevels();
    expect(kway.length).toBeGreaterThan(0);
    expect(kway.every((c) => c.rounds === 1 && c.maxFruitless === 16)).toBe(true);
  });
});

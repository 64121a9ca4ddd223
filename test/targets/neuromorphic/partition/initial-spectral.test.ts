import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fromHypergraph, type EngineHypergraph } from '../../../../targets/neuromorphic/partition/engine-hypergraph.ts';
import { flatBisect } from '../../../../targets/neuromorphic/partition/initial.ts';
import { fiedlerVectors, MAX_LANCZOS_DOUBLES, spectralBisect, sweepCut } from '../../../../targets/neuromorphic/partition/initial-spectral.ts';
import { poolGrow } from '../../../../targets/neuromorphic/partition/initial-pool.ts';
import { PartState } from '../../../../targets/neuromorphic/partition/part-state.ts';
import { engineConfig } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';
import { arbHypergraph, connectivity, engine } from './random-hypergraphs.ts';

/** Every growth try (FM-gain growth and the pool's rules alike) starts with side0; counted here. */
const grown = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../../targets/neuromorphic/partition/initial-pool.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../../targets/neuromorphic/partition/initial-pool.ts')>();
  return { ...real, side0: (...a: Parameters<typeof real.side0>) => { grown.count++; return real.side0(...a); } };
});
beforeEach(() => { grown.count = 0; });

/** A w × h grid of unit vertices, a two-pin net per grid edge. */
function grid(w: number, h: number) {
  const pins: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x + 1 < w) pins.push(y * w + x, y * w + x + 1);
      if (y + 1 < h) pins.push(y * w + x, (y + 1) * w + x);
    }
  }
  const ne = pins.length / 2;
  return engine({ nv: w * h, ne, eptr: Int32Array.from({ length: ne + 1 }, (_, e) => 2 * e), pins: Int32Array.from(pins) });
}

/** Limits of the rule's bisections on total weight W: side 0 aims at W/2, each side may hold W/2 · (1 + eps). */
function split(h: EngineHypergraph, eps: number) {
  const half = h.totalW[0]! / 2;
  return { limits: Float64Array.of(half * (1 + eps), half * (1 + eps)), target0: Float64Array.of(half) };
}

describe('spectral bisection', () => {
  // A 24 × 8 grid's Fiedler vector varies along the long side only, so its sweep cuts across the
  // short side: 8 nets, the minimum bisection; a grown half of the same grid cuts more.
  it('cuts a grid straight across its short side, where greedy growth from a random seed does not', () => {
    const h = grid(24, 8);
    const { limits, target0 } = split(h, 0.03);
    for (let seed = 1; seed <= 3; seed++) {
      const [x] = fiedlerVectors(h, new Rng(seed), { steps: 40 });
      const cut = sweepCut(h, x!, limits, target0)!;
      expect(cut.cut).toBe(8);
      expect(connectivity(h, cut.part)).toBe(8);
    }
    const grown = [1, 2, 3].map((seed) => connectivity(h, poolGrow('bfs', h, target0, limits, new Rng(seed))));
    expect(Math.min(...grown)).toBeGreaterThan(8);
  });

  it('returns sides within both limits, whose cut the sweep counts right', () => {
    fc.assert(
      fc.property(arbHypergraph, fc.nat(1000), (hg, seed) => {
        const h = engine(hg);
        const { limits, target0 } = split(h, 0.03);
        limits[0] = limits[1] = Math.ceil(h.nv / 2) + 1;
        const candidates = spectralBisect(h, limits, target0, new Rng(seed), { steps: 10, vectors: 2 });
        // Unit weights and a limit above half: some prefix of any order fits.
        if (h.nv >= 4 && h.ne > 0) expect(candidates.length).toBeGreaterThan(0);
        for (const part of candidates) {
          const on0 = part.filter((p) => p === 0).length;
          expect(on0).toBeLessThanOrEqual(limits[0]!);
          expect(h.nv - on0).toBeLessThanOrEqual(limits[1]!);
        }
        const [x] = fiedlerVectors(h, new Rng(seed), { steps: 10 });
        if (!x) return;
        const cut = sweepCut(h, x, limits, target0);
        if (cut) expect(cut.cut).toBe(connectivity(h, cut.part));
      }),
      { numRuns: 100 },
    );
  });

  it('gives the same candidates for the same seed', () => {
    const h = grid(10, 6);
    const { limits, target0 } = split(h, 0.03);
    const a = spectralBisect(h, limits, target0, new Rng(5), { steps: 8 });
    const b = spectralBisect(h, limits, target0, new Rng(5), { steps: 8 });
    expect(a.length).toBe(1);
    expect([...a[0]!]).toEqual([...b[0]!]);
  });

  // Net weights of 1e-12 would stop an absolute breakdown test at the first step,
  // leaving the random start as the "eigenvector".
  it('finds the same grid cut whatever the scale of the net weights', () => {
    const h = grid(24, 8);
    const tiny = { ...h, ewgt: h.ewgt.map((x) => x * 1e-12) };
    const { limits, target0 } = split(h, 0.03);
    const [x] = fiedlerVectors(tiny, new Rng(1), { steps: 40 });
    expect(connectivity(h, sweepCut(tiny, x!, limits, target0)!.part)).toBe(8);
  });
});

/** The engine hypergraph of `nets` over nv vertices with the given vertex and net weights. */
function weighted(nv: number, nets: number[][], vw: number[], ew = nets.map(() => 1)): EngineHypergraph {
  const eptr = new Int32Array(nets.length + 1);
  nets.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
  const hg: Hypergraph = { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flat()), ewgt: Float64Array.from(ew) };
  return fromHypergraph(hg, Float64Array.from(vw), 1, true);
}

describe('flatBisect under the spectral rule\'s settings', () => {
  const { main, rb } = engineConfig('default', false, 8, 21_168, 59, true);
  // As multilevelPartition lays the rule over the bisections' settings.
  const rule = { ...rb.bisect, fallbackTries: rb.bisect.tries, ...main.spectral!.bisect };
  const feasible = (h: EngineHypergraph, limits: Float64Array, part: Int32Array) => new PartState(h, 2, limits, part).feasible();

  it('has no growth tries of its own', () => {
    expect(rule.tries).toBe(0);
    expect(rule.spectral).toBeDefined();
  });

  // 5% of the vertices weigh 20–49: along the Fiedler order no prefix may come within 1% of half.
  it('grows where heavy vertices leave no spectral candidate, and ends feasible', () => {
    let without = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = new Rng(seed);
      const nv = 100 + r.int(200);
      const nets = Array.from({ length: 2 * nv }, () => Array.from({ length: 2 + r.int(4) }, () => r.int(nv)));
      const h = weighted(nv, nets, Array.from({ length: nv }, () => (r.float() < 0.05 ? 20 + r.int(30) : 1)));
      const { limits, target0 } = split(h, 0.01);
      if (spectralBisect(h, limits, target0, new Rng(seed), rule.spectral!).length > 0) continue;
      without++;
      grown.count = 0;
      expect(feasible(h, limits, flatBisect(h, limits, target0, new Rng(seed), rule))).toBe(true);
      expect(grown.count).toBeGreaterThanOrEqual(2);
    }
    expect(without).toBeGreaterThan(0);
  });

  // The engine drops nets of weight zero, so nets all weightless are no nets.
  it('grows on fewer than four vertices, without nets, and on weightless nets', () => {
    const cases = [weighted(3, [[0, 1], [1, 2]], [1, 1, 1]), weighted(10, [], Array(10).fill(1)), weighted(12, [[0, 1, 2], [3, 4], [5, 6, 7, 8], [9, 10, 11]], Array(12).fill(1), [0, 0, 0, 0])];
    for (const h of cases) {
      const { limits, target0 } = split(h, 0.4);
      expect(spectralBisect(h, limits, target0, new Rng(1), rule.spectral!)).toEqual([]);
      grown.count = 0;
      expect(feasible(h, limits, flatBisect(h, limits, target0, new Rng(1), rule))).toBe(true);
      expect(grown.count).toBeGreaterThanOrEqual(2);
    }
  });

  it('grows where the Lanczos basis would exceed its memory bound', () => {
    const nv = 3000;
    const h = weighted(nv, Array.from({ length: nv - 1 }, (_, v) => [v, v + 1]), Array(nv).fill(1));
    const steps = nv;
    expect((nv - 1) * nv).toBeGreaterThan(MAX_LANCZOS_DOUBLES);
    const { limits, target0 } = split(h, 0.01);
    expect(spectralBisect(h, limits, target0, new Rng(1), { steps })).toEqual([]);
    grown.count = 0;
    expect(feasible(h, limits, flatBisect(h, limits, target0, new Rng(1), { ...rule, spectral: { steps } }))).toBe(true);
    // The 8 growth tries the rule replaced, not the 2 of a bisection where no prefix fits.
    expect(rule.fallbackTries).toBe(8);
    expect(grown.count).toBe(rule.fallbackTries);
  });

  // One net over every vertex: on unit weights the operator is a multiple of the identity off the
  // constant vector, so the second Lanczos vector vanishes. Weightless vertices take mass 1.
  it('gives a feasible bisection after a Lanczos breakdown, and with weightless vertices', () => {
    const all = Array.from({ length: 12 }, (_, v) => v);
    const cases = [
      weighted(12, [all], Array(12).fill(1)),
      weighted(12, [[0, 1, 2], [2, 3, 4], [5, 6, 7, 8], [8, 9, 10, 11]], all.map((v) => (v % 2 ? 0 : 2))),
    ];
    for (const h of cases) {
      const { limits, target0 } = split(h, 0.01);
      const candidates = spectralBisect(h, limits, target0, new Rng(2), rule.spectral!);
      expect(candidates.length).toBeGreaterThan(0);
      for (const part of candidates) expect(feasible(h, limits, part)).toBe(true);
      expect(feasible(h, limits, flatBisect(h, limits, target0, new Rng(2), rule))).toBe(true);
    }
  });

  // Net weights of zero never reach the engine; given directly they make the operator zero, and
  // the first Lanczos step breaks down at once.
  it('still gives a fitting sweep cut from a zero operator', () => {
    const h = grid(6, 4);
    const zero = { ...h, ewgt: new Float64Array(h.ne) };
    const { limits, target0 } = split(h, 0.03);
    const [x] = fiedlerVectors(zero, new Rng(3), { steps: 20 });
    expect(x!.every(Number.isFinite)).toBe(true);
    const cut = sweepCut(zero, x!, limits, target0)!;
    expect(cut.cut).toBe(0);
    expect(feasible(h, limits, cut.part)).toBe(true);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fiedlerVectors, spectralBisect, sweepCut, tridiagonalEigen } from '../../../../targets/neuromorphic/partition/initial-spectral.ts';
import { poolGrow } from '../../../../targets/neuromorphic/partition/initial-pool.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import { arbHypergraph, connectivity, engine } from './random-hypergraphs.ts';

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

/** Unit weights: side 0 aims at half, each side may hold 3% more. */
function halves(nv: number) {
  const lim = Math.floor((nv / 2) * 1.03);
  return { limits: Float64Array.of(lim, lim), target0: Float64Array.of(nv / 2) };
}

describe('spectral bisection', () => {
  // The path's Laplacian (tridiagonal 1, 2, …, 2, 1 and −1 off the diagonal) has eigenvalues
  // 2 − 2 cos(πj/n), j = 0 … n − 1 (its eigenvectors are cosines).
  it('finds the eigenvalues of a tridiagonal matrix', () => {
    const n = 12;
    const a = Float64Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 1 : 2));
    const b = new Float64Array(n - 1).fill(-1);
    const { values, vectors } = tridiagonalEigen(a, b);
    const sorted = [...values].sort((x, y) => x - y);
    sorted.forEach((v, j) => expect(v).toBeCloseTo(2 - 2 * Math.cos((Math.PI * j) / n), 10));
    // Each column is an eigenvector: T z = λ z.
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < n; i++) {
        const tz = a[i]! * vectors[i * n + c]! + (i > 0 ? b[i - 1]! * vectors[(i - 1) * n + c]! : 0) + (i < n - 1 ? b[i]! * vectors[(i + 1) * n + c]! : 0);
        expect(tz).toBeCloseTo(values[c]! * vectors[i * n + c]!, 9);
      }
    }
  });

  // A 24 × 8 grid's Fiedler vector varies along the long side only, so its sweep cuts across the
  // short side: 8 nets, the minimum bisection; a grown half of the same grid cuts more.
  it('cuts a grid straight across its short side, where greedy growth from a random seed does not', () => {
    const h = grid(24, 8);
    const { limits, target0 } = halves(h.nv);
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
        const { limits, target0 } = halves(h.nv);
        limits[0] = limits[1] = Math.ceil(h.nv / 2) + 1;
        for (const part of spectralBisect(h, limits, target0, new Rng(seed), { steps: 10, vectors: 2 })) {
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
    const { limits, target0 } = halves(h.nv);
    const a = spectralBisect(h, limits, target0, new Rng(5), { steps: 8 });
    const b = spectralBisect(h, limits, target0, new Rng(5), { steps: 8 });
    expect(a.length).toBe(1);
    expect([...a[0]!]).toEqual([...b[0]!]);
  });
});

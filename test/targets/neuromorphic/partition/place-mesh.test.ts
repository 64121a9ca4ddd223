import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { placeOnMesh, placementHops } from '../../../../targets/neuromorphic/partition/place-mesh.ts';
import { quotientHypergraph } from '../../../../targets/neuromorphic/partition/quotient.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import { scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

function hypergraph(nv: number, nets: number[][], w?: number[], extra: Partial<Hypergraph> = {}): Hypergraph {
  const eptr = new Int32Array(nets.length + 1);
  nets.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
  return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flat()), ewgt: w && Float64Array.from(w), ...extra };
}

const nets = (h: Hypergraph) => Array.from({ length: h.ne }, (_, e) => Array.from(h.pins.subarray(h.eptr[e]!, h.eptr[e + 1]!)));

/** A w × h grid graph as source-first nets: every vertex feeds its right and lower neighbours. */
function gridGraph(w: number, hgt: number): Hypergraph {
  const out: number[][] = [];
  for (let y = 0; y < hgt; y++) {
    for (let x = 0; x < w; x++) {
      const t = [];
      if (x + 1 < w) t.push(y * w + x + 1);
      if (y + 1 < hgt) t.push((y + 1) * w + x);
      if (t.length) out.push([y * w + x, ...t]);
    }
  }
  // Shuffled ids, so that the identity (row-major) placement is not already the grid.
  const perm = new Rng(99).permutation(w * hgt);
  return hypergraph(w * hgt, out.map((n) => n.map((v) => perm[v]!)), out.map(() => 1));
}

function slotLoads(h: Hypergraph, slotOf: Int32Array, slots: number): Float64Array {
  const load = new Float64Array(slots);
  for (let v = 0; v < h.nv; v++) load[slotOf[v]!]! += h.vwgt ? h.vwgt[v]! : 1;
  return load;
}

describe('quotientHypergraph', () => {
  it('keeps the source part first, drops internal nets, merges identical ones and keeps the flag', () => {
    const h = hypergraph(6, [[0, 1, 2], [1, 0, 3], [2, 4, 5], [3, 4], [4, 0, 5], [0, 2, 3]], [1, 2, 4, 8, 16, 32], { sourceless: Uint8Array.of(0, 0, 0, 1, 0, 1) });
    const parts = Int32Array.of(0, 0, 1, 1, 2, 2);
    const q = quotientHypergraph(h, parts, 3);
    expect(q.nv).toBe(3);
    // [0,1,2] and [1,0,3] → parts {0 | 1}, same source part: merged (1 + 2). [2,4,5] → [1, 2].
    // [3,4] sourceless → {1, 2}: not merged with the net from part 1. [4,0,5] → [2, 0].
    // [0,2,3] sourceless → {0, 1}.
    expect(nets(q)).toEqual([[0, 1], [1, 2], [1, 2], [2, 0], [0, 1]]);
    expect(Array.from(q.ewgt!)).toEqual([3, 4, 8, 16, 32]);
    expect(Array.from(q.sourceless!)).toEqual([0, 0, 1, 0, 1]);
  });

  it('has the messages of the partition for every grouping of its vertices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 30 }),
        fc.array(fc.tuple(fc.uniqueArray(fc.nat(29), { minLength: 1, maxLength: 7 }), fc.integer({ min: 1, max: 9 }), fc.boolean()), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(1000),
        (nv, raw, k, seed) => {
          const pins = raw.map(([p]) => [...new Set(p.map((x) => x % nv))]);
          const h = hypergraph(nv, pins, raw.map(([, w]) => w), { sourceless: Uint8Array.from(raw.map(([, , s]) => (s ? 1 : 0))) });
          const rng = new Rng(seed);
          const parts = Int32Array.from({ length: nv }, () => rng.int(k));
          const q = quotientHypergraph(h, parts, k);
          const chips = Int32Array.from({ length: k }, () => rng.int(3));
          const viaParts = scorePartition({ hypergraph: h }, parts, { k, chipOf: chips, coresPerChip: 1 });
          const viaQuotient = scorePartition({ hypergraph: q }, Int32Array.from({ length: k }, (_, p) => p), { k, chipOf: chips });
          // Nets inside one part are gone from the quotient; they send host messages only.
          let internalHost = 0;
          pins.forEach((p, e) => (internalHost += h.sourceless![e] && new Set(p.map((v) => parts[v])).size === 1 ? h.ewgt![e]! : 0));
          expect(viaQuotient.spikeMessages! + internalHost).toBe(viaParts.spikeMessages);
          expect(viaQuotient.interChipMessages).toBe(viaParts.interChipMessages);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects part ids outside 0..k-1 with a KilnError', () => {
    expect(() => quotientHypergraph(hypergraph(2, [[0, 1]]), Int32Array.of(0, 3), 2)).toThrow(KilnError);
  });
});

describe('placeOnMesh', () => {
  it('never puts more than the slot capacity into a slot, for any grid shape', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.uniqueArray(fc.nat(80), { minLength: 2, maxLength: 6 }), fc.integer({ min: 1, max: 50 })), { maxLength: 80 }),
        fc.option(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 81, maxLength: 81 }), { nil: undefined }),
        fc.double({ min: 0.2, max: 1, noNaN: true }),
        fc.nat(1000),
        (columns, rows, cap, raw, weights, fill, seed) => {
          const slots = columns * rows;
          // Up to `fill` of the mesh's capacity; weights 0..2 (never above a slot's capacity).
          let nv = Math.max(1, Math.floor(fill * slots * cap));
          if (weights) nv = Math.min(nv, 81);
          const vwgt = weights ? Float64Array.from(weights.slice(0, nv), (w) => Math.min(w, cap)) : undefined;
          const h = hypergraph(nv, raw.map(([p]) => [...new Set(p.map((x) => x % nv))]).filter((p) => p.length > 1), undefined, vwgt ? { vwgt } : {});
          const total = vwgt ? vwgt.reduce((a, b) => a + b, 0) : nv;
          let slotOf: Int32Array;
          try {
            slotOf = placeOnMesh(h, [columns, rows], cap, { seed });
          } catch (e) {
            // Weights of 2 into slots of 3 may not pack; that must be a KilnError, not a bad placement.
            expect(e).toBeInstanceOf(KilnError);
            expect(vwgt && total > 0).toBeTruthy();
            return;
          }
          expect(slotOf.length).toBe(nv);
          for (const s of slotOf) expect(s >= 0 && s < slots).toBe(true);
          for (const l of slotLoads(h, slotOf, slots)) expect(l).toBeLessThanOrEqual(cap);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('places unit vertices whenever they fit, including 1 × n meshes and a full mesh', () => {
    for (const [c, r, cap, nv] of [[1, 7, 1, 7], [9, 1, 2, 18], [5, 3, 1, 15], [3, 3, 4, 35]] as const) {
      const h = gridGraph(nv, 1);
      const slotOf = placeOnMesh(h, [c, r], cap, { seed: 2 });
      for (const l of slotLoads(h, slotOf, c * r)) expect(l).toBeLessThanOrEqual(cap);
    }
    const err = (() => {
      try {
        placeOnMesh(gridGraph(10, 1), [3, 3], 1);
      } catch (e) {
        return e as KilnError;
      }
    })();
    expect(err).toBeInstanceOf(KilnError);
    expect(err!.diagnostics[0]!.message).toMatch(/weigh 10 but 9 slots hold at most 9/);
    expect(err!.diagnostics[0]!.hint).toMatch(/at least 10 slots/);
    expect(() => placeOnMesh(hypergraph(2, [[0, 1]], undefined, { vwgt: Float64Array.of(1, 5) }), [4, 4], 4)).toThrow(/vertex 1 weighs 5/);
  });

  it('needs fewer hops than random and row-major placements on a chain and a 2-D grid', () => {
    const cases: [Hypergraph, [number, number], number][] = [
      [gridGraph(64, 1), [8, 8], 1], // a shuffled chain on a square mesh
      [gridGraph(12, 12), [6, 6], 4], // a 12 × 12 grid onto 6 × 6 slots of 4
      [gridGraph(10, 7), [9, 4], 2], // odd sizes with spare room
    ];
    for (const [h, mesh, cap] of cases) {
      const slots = mesh[0] * mesh[1];
      const placed = placementHops(h, placeOnMesh(h, mesh, cap, { seed: 1 }), mesh[0]);
      const rowMajor = placementHops(h, Int32Array.from({ length: h.nv }, (_, v) => Math.floor(v / cap)), mesh[0]);
      const rng = new Rng(7);
      let random = 0;
      for (let t = 0; t < 5; t++) {
        const order = rng.permutation(slots * cap);
        random += placementHops(h, Int32Array.from({ length: h.nv }, (_, v) => Math.floor(order[v]! / cap)), mesh[0]) / 5;
      }
      // The lower bound for a chain is nv − 1 hops (or fewer with cap > 1): far below both.
      expect(placed).toBeLessThan(0.5 * Math.min(rowMajor, random));
    }
    // A chain on a 1-wide column: the optimum is the chain order, one hop per link.
    for (const seed of [1, 2, 3, 4]) {
      const chain = gridGraph(9, 1);
      expect(placementHops(chain, placeOnMesh(chain, [1, 9], 1, { seed }), 1)).toBe(chain.ne);
    }
  });

  it('is deterministic by seed', () => {
    const h = gridGraph(9, 9);
    const a = placeOnMesh(h, [6, 4], 4, { seed: 3 });
    expect(Array.from(placeOnMesh(h, [6, 4], 4, { seed: 3 }))).toEqual(Array.from(a));
    expect(Array.from(placeOnMesh(h, [6, 4], 4, { seed: 4 }))).not.toEqual(Array.from(a));
  });
});

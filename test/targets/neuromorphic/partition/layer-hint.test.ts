import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { clusterVertices, contract } from '../../../../targets/neuromorphic/partition/coarsen.ts';
import { extractSide, fromHypergraph } from '../../../../targets/neuromorphic/partition/engine-hypergraph.ts';
import { partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import { scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';
import { unet } from './unet.ts';

const cluster = { samples: 8, headRatesTargets: false, starNormalized: false, maxRatedNetSize: 4096 };

function random(seed: number, nv: number, ne: number, layers: number): Hypergraph {
  const r = new Rng(seed);
  const eptr = [0];
  const pins: number[] = [];
  for (let e = 0; e < ne; e++) {
    for (let i = 2 + r.int(4); i > 0; i--) pins.push(r.int(nv));
    eptr.push(pins.length);
  }
  return { nv, ne, eptr: Int32Array.from(eptr), pins: Int32Array.from(pins), layer: Int32Array.from({ length: nv }, () => r.int(layers)) };
}

describe('the layer hint', () => {
  // A twin group or V-cycle cluster can join vertices of two layers; it then belongs to neither,
  // so a later layer-confined clustering must not treat it as one of them.
  it('gives a cluster that spans layers an id of its own, above every real layer', () => {
    const h = random(7, 6, 12, 3);
    const layer = Int32Array.of(0, 0, 1, 2, 2, 1);
    const eh = fromHypergraph({ ...h, layer }, new Float64Array(6).fill(1), 1, true);
    const coarse = contract(eh, Int32Array.of(0, 0, 1, 1, 2, 3), 4);
    expect(coarse.layer![0]).toBe(0);
    expect(coarse.layer![2]).toBe(2);
    expect(coarse.layer![3]).toBe(1);
    expect(coarse.layer![1]).toBeGreaterThan(2);
    expect([0, 2, 3].map((c) => coarse.layer![c])).not.toContain(coarse.layer![1]);
  });

  it('keeps every cluster inside one layer, and the coarse level and bisection sides carry the layers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 4, max: 60 }), fc.integer({ min: 1, max: 4 }), (seed, nv, layers) => {
        const h = random(seed, nv, 3 * nv, layers);
        const eh = fromHypergraph(h, new Float64Array(nv).fill(1), 1, true);
        const { clusterOf, nc } = clusterVertices(eh, Float64Array.of(nv), 1, new Rng(seed), cluster);
        for (let u = 0; u < nv; u++) for (let v = 0; v < nv; v++) if (clusterOf[u] === clusterOf[v]) expect(h.layer![u]).toBe(h.layer![v]);
        const coarse = contract(eh, clusterOf, nc);
        for (let v = 0; v < nv; v++) expect(coarse.layer![clusterOf[v]!]).toBe(h.layer![v]);
        const side = Int32Array.from({ length: nv }, (_, v) => v % 2);
        const { sub, ids } = extractSide(eh, side, 1);
        expect([...sub.layer!]).toEqual(Array.from(ids, (v) => h.layer![v]));
      }),
      { numRuns: 60 },
    );
  });

  it('gives way to parts (V-cycles) and communities passed as partOf', () => {
    const h = random(7, 40, 160, 8);
    const eh = fromHypergraph(h, new Float64Array(40).fill(1), 1, true);
    const partOf = Int32Array.from({ length: 40 }, (_, v) => (v < 20 ? 0 : 1));
    const { clusterOf, nc } = clusterVertices(eh, Float64Array.of(40), 1, new Rng(7), cluster, partOf);
    let acrossLayers = false;
    for (let u = 0; u < 40; u++) {
      for (let v = 0; v < 40; v++) {
        if (clusterOf[u] !== clusterOf[v]) continue;
        expect(partOf[u]).toBe(partOf[v]);
        if (h.layer![u] !== h.layer![v]) acrossLayers = true;
      }
    }
    expect(nc).toBeLessThan(40);
    expect(acrossLayers).toBe(true);
  });

  it('must give one layer per vertex', () => {
    const h = { ...random(1, 10, 20, 2), layer: new Int32Array(9) };
    expect(() => partitionHypergraph(h, { k: 2 })).toThrow(KilnError);
    expect(() => partitionHypergraph(h, { k: 2 })).toThrow(/layer of 9 vertices, but has 10/);
  });

  it('refuses a layer id that leaves no room for the ids of clusters spanning layers', () => {
    const h = random(1, 10, 20, 2);
    for (const bad of [-1, 2 ** 30]) {
      const layer = new Int32Array(10);
      layer[3] = bad;
      expect(() => partitionHypergraph({ ...h, layer }, { k: 2 })).toThrow(new RegExp(`vertex 3 has layer id ${bad}, outside`));
    }
    expect(partitionHypergraph({ ...h, layer: new Int32Array(10).fill(2 ** 30 - 1) }, { k: 2 }).parts.length).toBe(10);
  });

  // A grid-shaped layered network: the U-Net at 20 × 20 pixels (10,800 neurons), k = 8. Measured
  // when the hint was added: seeds 1–3 sent 5,836 / 5,721 / 6,074 messages with it against
  // 6,160 / 6,460 / 6,458 without (docs/partitioning.md, "Ninth pass").
  it('on the U-Net, k = 8, gives a valid partition that sends fewer messages than without the hint', () => {
    const h = unet(20);
    const { layer: _, ...plain } = h;
    const withHint = partitionHypergraph(h, { k: 8, seed: 1 });
    const without = partitionHypergraph(plain, { k: 8, seed: 1 });
    const s = scorePartition({ hypergraph: h }, withHint.parts, { k: 8 });
    expect(s.emptyParts).toBe(0);
    expect(s.imbalance).toBeLessThanOrEqual(0.03);
    expect(withHint.objective).toBe(s.spikeMessages);
    expect(withHint.objective).toBeLessThan(without.objective);
  });
});

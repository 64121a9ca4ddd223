import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { clusterVertices } from '../../../../targets/neuromorphic/partition/coarsen.ts';
import { fromHypergraph } from '../../../../targets/neuromorphic/partition/engine-hypergraph.ts';
import { partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import { scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import { synapseGraphOf } from '../../../../targets/neuromorphic/partition/synapse-graph.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

function hypergraph(nv: number, nets: number[][], w: number[], sourceless?: number[]): Hypergraph {
  const eptr = new Int32Array(nets.length + 1);
  nets.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
  return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flat()), ewgt: Float64Array.from(w), ...(sourceless ? { sourceless: Uint8Array.from(sourceless) } : {}) };
}

describe('sourceless nets (spikes from the host)', () => {
  it('coarsening rates a flagged net on sampled pins, a net with a source as a star', () => {
    // One 30-pin net and clusters of at most 3 vertices. As a star every target rates only pin 0,
    // so one cluster forms around it and the other targets have nothing left to join; without a
    // source the targets rate each other and pair up.
    const pins = Array.from({ length: 30 }, (_, i) => i);
    const cfg = { samples: 8, headRatesTargets: false, starNormalized: false, maxRatedNetSize: 4096 };
    const clusters = (flag: number) => {
      const eh = fromHypergraph(hypergraph(30, [pins], [1], [flag]), new Float64Array(30).fill(1), 1, true);
      expect(eh.headed[0]).toBe(flag ? 0 : 1);
      return clusterVertices(eh, Float64Array.of(3), 1, new Rng(3), cfg).nc;
    };
    expect(clusters(0)).toBe(28);
    expect(clusters(1)).toBeLessThanOrEqual(15);
  });

  it('are scored as λ messages from the host, with no inter-chip source and no synapse cut', () => {
    // Net 0 (host, weight 5) reaches parts 0, 1 and 3 — three cores, two chips of two cores.
    // Net 1 (source 0, weight 2) reaches parts 0 and 2: one message, inter-chip, one synapse cut.
    // Net 2 (host, weight 7) reaches part 2 only: still one message.
    const h = hypergraph(5, [[0, 1, 4], [0, 2], [3]], [5, 2, 7], [1, 0, 1]);
    const parts = Int32Array.of(0, 1, 2, 2, 3);
    const s = scorePartition({ hypergraph: h }, parts, { k: 4, coresPerChip: 2 });
    expect(s.hostMessages).toBe(5 * 3 + 7 * 1);
    expect(s.spikeMessages).toBe(5 * 3 + 7 + 2 * 1);
    expect(s.interChipMessages).toBe(2);
    expect(s.synapseCut).toBe(2);
    expect(s.chipConnectivity).toBe(5 * 2 + 7 * 1 + 2 * 1);
    // Unflagged, the same pins are nets with sources: (λ−1) each, no host messages.
    const plain = scorePartition({ hypergraph: { ...h, sourceless: undefined } }, parts, { k: 4, coresPerChip: 2 });
    expect(plain.spikeMessages).toBe(5 * 2 + 2 * 1);
    expect(plain.hostMessages).toBe(0);
    expect(() => scorePartition({ hypergraph: { ...h, sourceless: Uint8Array.of(1) } }, parts)).toThrow(KilnError);
  });

  it('add no synapses to the synapse graph', () => {
    const h = hypergraph(4, [[0, 1, 2], [3, 0]], [4, 1], [1, 0]);
    const g = synapseGraphOf(h);
    expect(g.adjncy.length).toBe(2);
    expect(Array.from(g.adjncy.subarray(g.xadj[3]!, g.xadj[4]!))).toEqual([0]);
  });

  it('partitionHypergraph reports the scorer’s spike messages, host messages included', () => {
    const arb = fc
      .record({
        nv: fc.integer({ min: 2, max: 40 }),
        nets: fc.array(fc.tuple(fc.uniqueArray(fc.nat(39), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 300 }), fc.boolean()), { maxLength: 60 }),
      })
      .map(({ nv, nets }) => {
        const pins = nets.map(([p]) => [...new Set(p.map((x) => x % nv))]);
        return hypergraph(nv, pins, nets.map(([, w]) => w), nets.map(([, , s]) => (s ? 1 : 0)));
      });
    fc.assert(
      fc.property(arb, fc.integer({ min: 2, max: 6 }), fc.nat(50), (h, k, seed) => {
        const r = partitionHypergraph(h, { k, seed });
        const s = scorePartition({ hypergraph: h }, r.parts, { k });
        expect(r.objective).toBe(s.spikeMessages);
        let sourcelessWeight = 0;
        h.sourceless!.forEach((f, e) => (sourcelessWeight += f ? h.ewgt![e]! : 0));
        expect(s.hostMessages!).toBeGreaterThanOrEqual(sourcelessWeight);
      }),
      { numRuns: 80 },
    );
  });

  it('a flag array of the wrong length is a KilnError', () => {
    const h = hypergraph(3, [[0, 1], [1, 2]], [1, 1], [1]);
    expect(() => partitionHypergraph(h, { k: 2 })).toThrow(/one sourceless flag per net|2 nets/);
  });
});

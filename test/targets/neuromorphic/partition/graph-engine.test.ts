import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runGpmetis } from '../../../../targets/neuromorphic/partition/gpmetis.ts';
import { describeWithGpmetis } from '../../../helpers/gpmetis.ts';
import { contractGraph, engineGraphOf } from '../../../../targets/neuromorphic/partition/graph-engine.ts';
import { GraphPartState } from '../../../../targets/neuromorphic/partition/graph-state.ts';
import { partitionGraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import { graphEdgeCut, scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import { BENCH_SNNS, generateSnn } from '../../../../targets/neuromorphic/partition/snn-generator.ts';
import { synapseGraphOf } from '../../../../targets/neuromorphic/partition/synapse-graph.ts';
import type { Graph } from '../../../../targets/neuromorphic/partition/types.ts';

/** Random symmetric graphs with weights 1..9 (parallel edges and self loops merged away by METIS rules). */
const arbGraph = fc
  .record({ nv: fc.integer({ min: 2, max: 40 }), edges: fc.array(fc.tuple(fc.nat(39), fc.nat(39), fc.integer({ min: 1, max: 9 })), { maxLength: 120 }) })
  .map(({ nv, edges }): Graph => {
    const w = new Map<string, number>();
    for (const [a0, b0, x] of edges) {
      const a = a0 % nv;
      const b = b0 % nv;
      if (a === b) continue;
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      w.set(key, (w.get(key) ?? 0) + x);
    }
    const rows: [number, number][][] = Array.from({ length: nv }, () => []);
    for (const [key, x] of w) {
      const [a, b] = key.split(',').map(Number) as [number, number];
      rows[a]!.push([b, x]);
      rows[b]!.push([a, x]);
    }
    const xadj = new Int32Array(nv + 1);
    rows.forEach((r, v) => (xadj[v + 1] = xadj[v]! + r.length));
    return { nv, ncon: 1, xadj, adjncy: Int32Array.from(rows.flat().map(([u]) => u)), adjwgt: Float64Array.from(rows.flat().map(([, x]) => x)) };
  });

describe('CSR graph engine', () => {
  it('contraction keeps every cut: a coarse partition cuts what its projection cuts', () => {
    fc.assert(
      fc.property(arbGraph, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 5 }), fc.nat(1000), (g, nc0, k, seed) => {
        const rng = new Rng(seed);
        const eg = engineGraphOf(g, new Float64Array(g.nv).fill(1), 1);
        const nc = Math.min(nc0, g.nv);
        const clusterOf = Int32Array.from({ length: g.nv }, (_, v) => (v < nc ? v : rng.int(nc)));
        const coarse = contractGraph(eg, clusterOf, nc);
        const coarseParts = Int32Array.from({ length: nc }, () => rng.int(k));
        const fineParts = Int32Array.from(clusterOf, (c) => coarseParts[c]!);
        expect(new GraphPartState(coarse, k, new Float64Array(k).fill(Infinity), coarseParts).objective).toBe(graphEdgeCut(g, fineParts));
        expect(Array.from(coarse.totalW)).toEqual([g.nv]);
        for (let c = 0; c < nc; c++) for (let j = coarse.xadj[c]!; j < coarse.xadj[c + 1]!; j++) expect(coarse.adj[j]).not.toBe(c);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps the cut and the internal weights exact under moves, and the O(1) gain bound is a bound', () => {
    fc.assert(
      fc.property(arbGraph, fc.integer({ min: 2, max: 6 }), fc.nat(1000), (g, k, seed) => {
        const rng = new Rng(seed);
        const eg = engineGraphOf(g, new Float64Array(g.nv).fill(1), 1);
        const st = new GraphPartState(eg, k, new Float64Array(k).fill(Infinity), Int32Array.from({ length: g.nv }, () => rng.int(k)));
        for (let step = 0; step < 30; step++) {
          const v = rng.int(g.nv);
          const t = st.bestMove(v);
          if (t >= 0) {
            expect(st.lastGain).toBeLessThanOrEqual(st.gainBound(v));
            const before = st.objective;
            expect(st.move(v, t)).toBe(st.lastGain);
            expect(st.objective).toBe(before - st.lastGain);
          } else st.move(v, rng.int(k));
          expect(st.objective).toBe(graphEdgeCut(g, st.part));
        }
        const fresh = new GraphPartState(eg, k, new Float64Array(k).fill(Infinity), st.part.slice());
        expect(Array.from(st.internal)).toEqual(Array.from(fresh.internal));
      }),
      { numRuns: 150 },
    );
  });

  it('partitionGraph on a network large enough for the CSR levels: balanced, with the true edge cut', () => {
    const net = generateSnn(BENCH_SNNS[0]!);
    for (const k of [8, 48]) {
      const r = partitionGraph(net.graph, { k, seed: 2 });
      expect(r.levels).toBeGreaterThan(2);
      const s = scorePartition({ graph: net.graph }, r.parts, { k });
      expect(r.objective).toBe(s.edgeCut);
      expect(s.imbalance).toBeLessThanOrEqual(0.03 + 1e-9);
    }
  });
});

describeWithGpmetis('partitionGraph against gpmetis', () => {
  it('cuts at most 1.1× the edges gpmetis cuts at k = 64 (docs/partitioning.md has the full table)', () => {
    const net = generateSnn(BENCH_SNNS[0]!);
    const m = runGpmetis(net.graph, 64, { seed: 1 });
    const r = partitionGraph(net.graph, { k: 64, seed: 1 });
    expect(r.objective).toBeLessThanOrEqual(1.1 * m.edgecut);
    // The synapse graph of the same network, built from its nets, is the graph gpmetis saw.
    expect(graphEdgeCut(synapseGraphOf(net.hypergraph), r.parts)).toBe(r.objective);
  });
});

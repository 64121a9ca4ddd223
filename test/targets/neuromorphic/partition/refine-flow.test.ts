import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHypergraph } from '../../../../targets/neuromorphic/partition/engine-hypergraph.ts';
import { FlowNetwork } from '../../../../targets/neuromorphic/partition/max-flow.ts';
import { PartState } from '../../../../targets/neuromorphic/partition/part-state.ts';
import { fmRefine } from '../../../../targets/neuromorphic/partition/refine-fm.ts';
import { flowRefine, type FlowConfig } from '../../../../targets/neuromorphic/partition/refine-flow.ts';
import { labelPropagation } from '../../../../targets/neuromorphic/partition/refine-lp.ts';
import { partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import { scorePartition } from '../../../../targets/neuromorphic/partition/score.ts';
import { generateSnn } from '../../../../targets/neuromorphic/partition/snn-generator.ts';
import { Rng } from '../../../../targets/neuromorphic/partition/rng.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

const flowCfg: FlowConfig = { maxPairs: 8, rounds: 4, regionShare: 0.75, maxNetSize: 1000 };

function hypergraph(nv: number, nets: Array<[number[], number]>): Hypergraph {
  const eptr = new Int32Array(nets.length + 1);
  nets.forEach(([p], e) => (eptr[e + 1] = eptr[e]! + p.length));
  return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flatMap(([p]) => p)), ewgt: Float64Array.from(nets.map(([, w]) => w)) };
}

const engine = (h: Hypergraph) => fromHypergraph(h, new Float64Array(h.nv).fill(1), 1, true);

/** (λ−1) recounted from the pins. */
function connectivity(h: Hypergraph, part: ArrayLike<number>): number {
  let obj = 0;
  for (let e = 0; e < h.ne; e++) {
    const parts = new Set<number>();
    for (let i = h.eptr[e]!; i < h.eptr[e + 1]!; i++) parts.add(part[h.pins[i]!]!);
    obj += (h.ewgt?.[e] ?? 1) * (parts.size - 1);
  }
  return obj;
}

/** The least (λ−1) over every assignment of the vertices to k parts of at most `limit` unit-weight vertices. */
function bruteForce(h: Hypergraph, k: number, limit: number): number {
  let best = Infinity;
  const part = new Int32Array(h.nv);
  const load = new Int32Array(k);
  const rec = (v: number) => {
    if (v === h.nv) {
      best = Math.min(best, connectivity(h, part));
      return;
    }
    for (let p = 0; p < k; p++) {
      if (load[p]! >= limit) continue;
      part[v] = p;
      load[p]!++;
      rec(v + 1);
      load[p]!--;
    }
  };
  rec(0);
  return best;
}

describe('flow refinement', () => {
  it('swaps two groups where every single move breaks a limit, so label propagation and FM are stuck; the result is the brute-force optimum', () => {
    // Parts {0,1,2,3} and {4,5,6,7} of 4 vertices each, both at their limit of 4. Vertices 2, 3
    // belong with 7 (nets of weight 3) and 4, 5 with 0; the cut is 12, the best 2. The corridors
    // (3 vertices each) leave out 1 and 6, which stay as the source and the sink; the
    // nets of weight 2 keep either from being cut off alone, which would be as cheap but unbalanced.
    const h = hypergraph(8, [
      [[2, 7], 3], [[3, 7], 3], [[4, 0], 3], [[5, 0], 3],
      [[0, 1], 2], [[6, 7], 2], [[1, 2], 1], [[5, 6], 1],
    ]);
    const limits = Float64Array.of(4, 4);
    const start = Int32Array.of(0, 0, 0, 0, 1, 1, 1, 1);
    const eh = engine(h);
    const st = new PartState(eh, 2, limits, start.slice());
    const before = st.objective;
    expect(before).toBe(12);
    labelPropagation(st, new Rng(1), 5, 0);
    fmRefine(st, new Rng(1), { rounds: 4, seeds: 4, maxFruitless: 128, maxActivationNetSize: 256 });
    expect(st.objective).toBe(before);
    const gain = flowRefine(st, flowCfg);
    expect(gain).toBe(10);
    expect(st.objective).toBe(bruteForce(h, 2, 4));
    expect(st.objective).toBe(connectivity(h, st.part));
    expect(st.feasible()).toBe(true);
  });

  it('never raises the objective, keeps every limit and leaves an exact state (random hypergraphs, 3 parts)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: 30 }),
        fc.array(fc.tuple(fc.array(fc.nat(29), { minLength: 2, maxLength: 6 }), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 1000 }),
        (nv, nets, seed) => {
          const h = hypergraph(nv, nets.map(([p, w]) => [p.map((v) => v % nv), w]));
          const rng = new Rng(seed);
          const part = Int32Array.from({ length: nv }, (_, v) => v % 3);
          rng.shuffle(part);
          const limit = Math.ceil(nv / 3) + 1;
          const st = new PartState(engine(h), 3, Float64Array.of(limit, limit, limit), part);
          const before = st.objective;
          const gain = flowRefine(st, flowCfg);
          expect(gain).toBeGreaterThanOrEqual(0);
          expect(st.objective).toBe(before - gain);
          expect(st.objective).toBe(connectivity(h, st.part));
          expect(st.feasible()).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
  it("runs inside the multilevel partitioner with effort 'strong': parts within their limits, the objective the scorer's", () => {
    const net = generateSnn({ name: 'small', layers: [{ kind: 'input', channels: 2, height: 16, width: 16 }, { kind: 'conv', channels: 8, stride: 2 }, { kind: 'dense', units: 10 }] });
    for (const k of [4, 8]) {
      const r = partitionHypergraph(net.hypergraph, { k, seed: 3, effort: 'strong' });
      const s = scorePartition({ hypergraph: net.hypergraph }, r.parts, { k });
      expect(r.objective).toBeCloseTo(s.spikeMessages!, 6);
      for (let p = 0; p < k; p++) expect(r.partLoads[p]!).toBeLessThanOrEqual(r.limits[p]!);
    }
  });
});

describe('max flow', () => {
  it('equals the brute-force minimum s–t cut on random small networks, also on one network reset for each', () => {
    const shared = new FlowNetwork();
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.array(fc.tuple(fc.nat(7), fc.nat(7), fc.integer({ min: 0, max: 9 })), { maxLength: 30 }),
        (n, edges) => {
          const es = edges.map(([u, v, c]) => [u % n, v % n, c] as const).filter(([u, v]) => u !== v);
          const g = new FlowNetwork(n, es.length);
          shared.reset(n, es.length);
          for (const [u, v, c] of es) (g.addEdge(u, v, c), shared.addEdge(u, v, c));
          const flow = g.maxFlow(0, n - 1);
          // Left over from a larger or smaller network, a reused one must not differ.
          expect(shared.maxFlow(0, n - 1)).toBe(flow);
          let best = Infinity;
          for (let mask = 0; mask < 1 << n; mask++) {
            if (!(mask & 1) || mask & (1 << (n - 1))) continue;
            let cut = 0;
            for (const [u, v, c] of es) if (mask & (1 << u) && !(mask & (1 << v))) cut += c;
            best = Math.min(best, cut);
          }
          expect(flow).toBe(best);
          // Both extreme cuts are minimum cuts: their capacity equals the flow.
          for (const near of [true, false]) {
            const side = g.sourceSide(0, n - 1, near);
            expect(shared.sourceSide(0, n - 1, near)).toEqual(side);
            expect(side[0]).toBe(1);
            expect(side[n - 1]).toBe(0);
            let cut = 0;
            for (const [u, v, c] of es) if (side[u] && !side[v]) cut += c;
            expect(cut).toBe(flow);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

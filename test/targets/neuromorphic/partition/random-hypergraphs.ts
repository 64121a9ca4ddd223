/** Random hypergraphs and a recount of (λ−1), shared by the engine's property tests. */
import fc from 'fast-check';
import { fromHypergraph } from '../../../../targets/neuromorphic/partition/engine-hypergraph.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';

/** Random hypergraphs with nets of 2–12 pins (some repeated, which the engine merges) and weights 1–50. */
export const arbHypergraph = fc
  .record({
    nv: fc.integer({ min: 2, max: 50 }),
    nets: fc.array(fc.tuple(fc.array(fc.nat(49), { minLength: 2, maxLength: 12 }), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: 80 }),
  })
  .map(({ nv, nets }): Hypergraph => {
    const eptr = new Int32Array(nets.length + 1);
    nets.forEach(([p], e) => (eptr[e + 1] = eptr[e]! + p.length));
    return { nv, ne: nets.length, eptr, pins: Int32Array.from(nets.flatMap(([p]) => p.map((v) => v % nv))), ewgt: Float64Array.from(nets.map(([, w]) => w)) };
  });

/** Unit vertex weights, first pin the source. */
export const engine = (h: Hypergraph) => fromHypergraph(h, new Float64Array(h.nv).fill(1), 1, true);

/** (λ−1) recounted from the pins. */
export function connectivity(h: ReturnType<typeof engine>, part: Int32Array): number {
  let obj = 0;
  for (let e = 0; e < h.ne; e++) {
    const parts = new Set<number>();
    for (let i = h.eptr[e]!; i < h.eptr[e + 1]!; i++) parts.add(part[h.pins[i]!]!);
    obj += h.ewgt[e]! * (parts.size - 1);
  }
  return obj;
}

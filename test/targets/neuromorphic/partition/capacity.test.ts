import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../../compiler/lang/diagnostics.ts';
import { isInfeasible } from '../../../../targets/neuromorphic/partition/constraints.ts';
import { partitionHypergraph } from '../../../../targets/neuromorphic/partition/partitioner.ts';
import type { Hypergraph } from '../../../../targets/neuromorphic/partition/types.ts';
import { repoRoot } from '../../../helpers/paths.ts';

const NAMES = ['neurons', 'input axons', 'output axons', 'synapse words'];

/** Random hypergraph, k, d resources per vertex and limits either per dimension or k × d. */
const arbInstance = fc
  .record({
    nv: fc.integer({ min: 1, max: 50 }),
    nets: fc.array(fc.tuple(fc.uniqueArray(fc.nat(49), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 100 }), fc.boolean()), { maxLength: 70 }),
    k: fc.integer({ min: 1, max: 9 }),
    d: fc.integer({ min: 1, max: 4 }),
    per: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 200, maxLength: 200 }),
    // Slack over an even share: below 1 is infeasible by the totals, near 1 often as a packing.
    slack: fc.array(fc.double({ min: 0.5, max: 3, noNaN: true }), { minLength: 36, maxLength: 36 }),
    partSpecific: fc.boolean(),
    balance: fc.boolean(),
    seed: fc.nat(1000),
  })
  .map(({ nv, nets, k, d, per, slack, partSpecific, balance, seed }) => {
    const pins = nets.map(([p]) => [...new Set(p.map((x) => x % nv))]);
    const eptr = new Int32Array(pins.length + 1);
    pins.forEach((p, e) => (eptr[e + 1] = eptr[e]! + p.length));
    const h: Hypergraph = { nv, ne: pins.length, eptr, pins: Int32Array.from(pins.flat()), ewgt: Float64Array.from(nets, ([, w]) => w), sourceless: Uint8Array.from(nets, ([, , s]) => (s ? 1 : 0)) };
    const perVertex = Float64Array.from({ length: nv * d }, (_, i) => per[i % per.length]!);
    const totals = Array.from({ length: d }, (_, j) => perVertex.filter((_, i) => i % d === j).reduce((a, b) => a + b, 0));
    const limits = partSpecific
      ? Array.from({ length: k * d }, (_, i) => Math.floor((slack[i % slack.length]! * totals[i % d]!) / k))
      : Array.from({ length: d }, (_, j) => Math.floor((slack[j]! * totals[j]!) / k));
    return { h, k, names: NAMES.slice(0, d), perVertex, limits, balance, seed };
  });

describe('capacity mode', () => {
  it('never returns a part over a limit: it returns a partition within every limit or throws a KilnError naming the resource', () => {
    let ok = 0;
    let refused = 0;
    fc.assert(
      fc.property(arbInstance, ({ h, k, names, perVertex, limits, balance, seed }) => {
        const d = names.length;
        let r;
        try {
          r = partitionHypergraph(h, { k, seed, balance, capacity: { names, perVertex, limits } });
        } catch (e) {
          expect(e).toBeInstanceOf(KilnError);
          const diag = (e as KilnError).diagnostics[0]!;
          expect(diag.code).toBe('partition-infeasible');
          expect(names.some((n) => diag.message.includes(n)) || (balance && diag.message.includes('weight'))).toBe(true);
          refused++;
          return;
        }
        ok++;
        const load = new Float64Array(k * d);
        for (let v = 0; v < h.nv; v++) {
          expect(r.parts[v]! >= 0 && r.parts[v]! < k).toBe(true);
          for (let j = 0; j < d; j++) load[r.parts[v]! * d + j]! += perVertex[v * d + j]!;
        }
        for (let p = 0; p < k; p++) for (let j = 0; j < d; j++) expect(load[p * d + j]!).toBeLessThanOrEqual(limits.length === d ? limits[j]! : limits[p * d + j]!);
        if (balance) {
          const count = new Float64Array(k);
          for (const p of r.parts) count[p]!++;
          for (const c of count) expect(c).toBeLessThanOrEqual(1.03 * Math.ceil(h.nv / k) + 1e-9);
        }
      }),
      { numRuns: 400 },
    );
    // Both outcomes occur, so the property is exercised on each side.
    expect(ok).toBeGreaterThan(40);
    expect(refused).toBeGreaterThan(40);
  });

  it('isInfeasible tells a refusal to fit the limits from bad options and from other errors', () => {
    const h: Hypergraph = { nv: 3, ne: 1, eptr: Int32Array.from([0, 3]), pins: Int32Array.from([0, 1, 2]), ewgt: Float64Array.from([1]) };
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('expected a throw');
    };
    // Vertex 2 needs 12 neurons, one core holds 10: the limits refuse.
    const heavy = thrown(() => partitionHypergraph(h, { k: 2, capacity: { names: ['neurons'], perVertex: Float64Array.from([1, 1, 12]), limits: [10] } }));
    expect(isInfeasible(heavy)).toBe(true);
    expect((heavy as KilnError).diagnostics[0]!.message).toMatch(/vertex 2 needs 12 neurons, more than any part's limit of 10/);
    // A malformed capacity spec is the caller's mistake, not a fit to try another way.
    const malformed = thrown(() => partitionHypergraph(h, { k: 2, capacity: { names: ['neurons'], perVertex: Float64Array.from([1, 1]), limits: [10] } }));
    expect(malformed).toBeInstanceOf(KilnError);
    expect(isInfeasible(malformed)).toBe(false);
    expect(isInfeasible(new Error('partition-infeasible'))).toBe(false);
  });

  it('only constraints.ts writes the refusal code: every other refusal to fit goes through infeasible()', () => {
    // A code written by hand can drift from the one isInfeasible recognises, and the fallbacks would miss it.
    const root = path.join(repoRoot, 'targets');
    const own = path.join('neuromorphic', 'partition', 'constraints.ts');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain(own);
    expect(readFileSync(path.join(root, own), 'utf8')).toContain("'partition-infeasible'");
    expect(files.filter((f) => f !== own && readFileSync(path.join(root, f), 'utf8').includes('partition-infeasible'))).toEqual([]);
  });
});

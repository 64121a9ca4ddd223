/**
 * The fast USER-mode model (targets/systolic/scalesim-user*.ts) against the slow reference it
 * replaced (user-reference/, which matched every SCALE-Sim row it was checked on): identical
 * total and stall cycles, stalls per interface and DRAM reads/writes per operand on random
 * small conv and GEMM layers, every dataflow, random arrays, buffer sizes and bandwidths.
 * Buffers are drawn small enough that most layers refill, many stall, and some wrap the ring.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convFromGemm, foldPlan, gemmFromConv, type ConvShape, type Dataflow } from '../../../targets/systolic/gemm-model.ts';
import { simulateUserMode, type UserBuffers } from '../../../targets/systolic/scalesim-user.ts';
import { simulateUserModeReference } from './user-reference/scalesim-user.ts';

const dataflow = fc.constantFrom<Dataflow>('os', 'ws', 'is');
const array = fc.record({ rows: fc.integer({ min: 1, max: 12 }), cols: fc.integer({ min: 1, max: 12 }) });

// Filters no larger than the ifmap (SCALE-Sim asserts it); strides past the filter size and
// sizes that leave partial windows are both drawn.
const conv: fc.Arbitrary<ConvShape> = fc
  .record({
    ifmapH: fc.integer({ min: 1, max: 14 }),
    ifmapW: fc.integer({ min: 1, max: 14 }),
    fh: fc.integer({ min: 1, max: 5 }),
    fw: fc.integer({ min: 1, max: 5 }),
    channels: fc.integer({ min: 1, max: 6 }),
    numFilters: fc.integer({ min: 1, max: 30 }),
    strideH: fc.integer({ min: 1, max: 4 }),
    strideW: fc.integer({ min: 1, max: 4 }),
  })
  .map((c) => ({
    ifmapH: c.ifmapH, ifmapW: c.ifmapW, filterH: Math.min(c.fh, c.ifmapH), filterW: Math.min(c.fw, c.ifmapW),
    channels: c.channels, numFilters: c.numFilters, strideH: c.strideH, strideW: c.strideW,
  }));
const gemm = fc
  .record({ M: fc.integer({ min: 1, max: 60 }), N: fc.integer({ min: 1, max: 40 }), K: fc.integer({ min: 1, max: 60 }) })
  .map(convFromGemm);
const buffers: fc.Arbitrary<UserBuffers> = fc.record({
  ifmapWords: fc.integer({ min: 2, max: 600 }),
  filterWords: fc.integer({ min: 2, max: 600 }),
  ofmapWords: fc.integer({ min: 2, max: 600 }),
  bandwidth: fc.integer({ min: 1, max: 24 }),
});

const seen = { stalled: 0, refetched: 0, runs: 0 };

function same(c: ConvShape, a: { rows: number; cols: number }, df: Dataflow, buf: UserBuffers): void {
  const g = gemmFromConv(c);
  const plan = foldPlan({ M: g.M, N: g.N, K: g.K }, a, df);
  const fast = simulateUserMode(c, plan, buf);
  const ref = simulateUserModeReference(c, plan, buf);
  expect(fast).toEqual(ref);
  seen.runs++;
  if (ref.stallCycles > 0) seen.stalled++;
  // More filter words read than SRAM would ever ask for twice over means the ring went round.
  if (ref.dramFilterReads > 2 * (g.K * g.N + buf.filterWords) || ref.dramIfmapReads > 2 * (g.M * g.K + buf.ifmapWords)) seen.refetched++;
}

describe('fast USER-mode model = the slow reference', () => {
  it('on random conv layers (overlapping and partial windows)', () => {
    fc.assert(fc.property(conv, array, dataflow, buffers, (c, a, df, buf) => same(c, a, df, buf)), { numRuns: 300 });
  });

  it('on random GEMM layers', () => {
    fc.assert(fc.property(gemm, array, dataflow, buffers, (c, a, df, buf) => same(c, a, df, buf)), { numRuns: 200 });
  });

  it('on layers several times the buffers, where the ring wraps and refetches', () => {
    const big = fc.record({ rows: fc.integer({ min: 2, max: 8 }), cols: fc.integer({ min: 2, max: 8 }) });
    const small: fc.Arbitrary<UserBuffers> = fc.record({
      ifmapWords: fc.integer({ min: 4, max: 120 }),
      filterWords: fc.integer({ min: 4, max: 120 }),
      ofmapWords: fc.integer({ min: 4, max: 120 }),
      bandwidth: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(fc.property(conv, big, dataflow, small, (c, a, df, buf) => same(c, a, df, buf)), { numRuns: 200 });
  });

  it('the draws exercised stalls and ring refetches', () => {
    expect(seen.runs).toBe(700);
    expect(seen.stalled).toBeGreaterThan(seen.runs / 10);
    expect(seen.refetched).toBeGreaterThan(seen.runs / 20);
  });
});

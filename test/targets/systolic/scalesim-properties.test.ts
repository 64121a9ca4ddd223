import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { convFromGemm, type Dataflow } from '../../../targets/systolic/gemm-model.ts';
import { scaleSimConfig } from '../../../targets/systolic/scalesim-config.ts';
import { FoldWalker } from '../../../targets/systolic/scalesim-fold-walk.ts';
import { simulateLayer } from '../../../targets/systolic/scalesim.ts';
import { naiveScaleSim } from './scalesim-naive.ts';

const dataflow = fc.constantFrom<Dataflow>('os', 'ws', 'is');
const array = fc.record({ rows: fc.integer({ min: 1, max: 64 }), cols: fc.integer({ min: 1, max: 64 }) });
// At most 2000 × 2000 folds on a 1 × 1 array (is: M·K), under Kiln's 4,194,304-fold limit (scalesim-limits.ts).
const gemm = fc.record({ M: fc.integer({ min: 1, max: 2000 }), N: fc.integer({ min: 1, max: 300 }), K: fc.integer({ min: 1, max: 2000 }) });

function sim(a: { rows: number; cols: number }, df: Dataflow, g: { M: number; N: number; K: number }, kb = 64) {
  return simulateLayer(scaleSimConfig({ arrayRows: a.rows, arrayCols: a.cols, dataflow: df, ifmapSramKb: kb, filterSramKb: kb, ofmapSramKb: kb }), g);
}

describe('SCALE-Sim model properties', () => {
  it('mapping efficiency and compute utilisation are percentages; overall too once R + C >= 3', () => {
    fc.assert(
      fc.property(array, dataflow, gemm, (a, df, g) => {
        const s = sim(a, df, g);
        expect(s.mappingEfficiencyPct).toBeGreaterThan(0);
        expect(s.mappingEfficiencyPct).toBeLessThanOrEqual(100 + 1e-9);
        expect(s.computeUtilPct).toBeLessThanOrEqual(s.mappingEfficiencyPct + 1e-9);
        // Overall util = MACs / (cycles * R * C); cycles = F * L - 1 >= F * T once L >= T + 1.
        if (a.rows + a.cols >= 3) expect(s.overallUtilPct).toBeLessThanOrEqual(100 + 1e-9);
        expect(s.stallCycles).toBe(0);
        expect(s.totalCycles).toBe(s.folds * s.cyclesPerFold - 1);
      }),
      { numRuns: 200 },
    );
  });

  it('cycles never decrease when K grows', () => {
    fc.assert(
      fc.property(array, dataflow, gemm, fc.integer({ min: 1, max: 500 }), (a, df, g, dk) => {
        expect(sim(a, df, { ...g, K: g.K + dk }).totalCycles).toBeGreaterThanOrEqual(sim(a, df, g).totalCycles);
      }),
      { numRuns: 100 },
    );
  });

  it('DRAM traffic lies between the distinct words and the SRAM traffic', () => {
    fc.assert(
      fc.property(fc.record({ rows: fc.integer({ min: 2, max: 16 }), cols: fc.integer({ min: 2, max: 16 }) }), dataflow, fc.record({ M: fc.integer({ min: 1, max: 300 }), N: fc.integer({ min: 1, max: 80 }), K: fc.integer({ min: 1, max: 300 }) }), fc.constantFrom(1, 2, 4, 64), (a, df, g, kb) => {
        const s = sim(a, df, g, kb);
        expect(s.dramIfmapReads).toBeGreaterThanOrEqual(g.M * g.K);
        expect(s.dramIfmapReads).toBeLessThanOrEqual(s.sramIfmapReads);
        expect(s.dramFilterReads).toBeGreaterThanOrEqual(g.K * g.N);
        expect(s.dramFilterReads).toBeLessThanOrEqual(s.sramFilterReads);
        // Every ofmap word written reaches DRAM; partial lines may be over-counted by < C each.
        const written = df === 'os' ? g.M * g.N : s.sramOfmapWrites;
        expect(s.dramOfmapWrites).toBeGreaterThanOrEqual(written);
      }),
      { numRuns: 150 },
    );
  });

  it('a conv layer and the same GEMM agree wherever addresses cannot alias (1x1 filters)', () => {
    fc.assert(
      fc.property(array, dataflow, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (a, df, h, w, c, n) => {
        const conv = { ifmapH: h, ifmapW: w, filterH: 1, filterW: 1, channels: c, numFilters: n, strideH: 1, strideW: 1 };
        const asGemm = sim(a, df, { M: h * w, N: n, K: c });
        const asConv = simulateLayer(scaleSimConfig({ arrayRows: a.rows, arrayCols: a.cols, dataflow: df }), conv);
        expect(asConv).toEqual(asGemm);
        // SCALE-Sim's own GEMM-as-conv form is also the same layer.
        expect(simulateLayer(scaleSimConfig({ arrayRows: a.rows, arrayCols: a.cols, dataflow: df }), convFromGemm({ M: h * w, N: n, K: c }))).toEqual(asGemm);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects layers and configs SCALE-Sim cannot run', () => {
    const cfg = scaleSimConfig();
    expect(() => simulateLayer(cfg, { M: 0, N: 1, K: 1 })).toThrow(KilnError);
    expect(() => simulateLayer(cfg, { ifmapH: 3, ifmapW: 3, filterH: 5, filterW: 1, channels: 1, numFilters: 1, strideH: 1, strideW: 1 })).toThrow(/larger than the ifmap/);
    expect(() => simulateLayer(scaleSimConfig({ arrayRows: 0 }), { M: 1, N: 1, K: 1 })).toThrow(KilnError);
    expect(() => simulateLayer(scaleSimConfig({ interfaceBandwidth: 'USER', bandwidth: [0] }), { M: 1, N: 1, K: 1 })).toThrow(/at least 1 word per cycle/);
  });
});

describe('epoch-boundary search strategies give the same counts', () => {
  const saved = FoldWalker.walkCells;
  afterEach(() => {
    FoldWalker.walkCells = saved;
  });
  // walkCells 0: always narrow by probing bands down to one line; huge: always walk cells.
  for (const walkCells of [0, 1e9]) {
    it(`walkCells = ${walkCells}`, () => {
      FoldWalker.walkCells = walkCells;
      const shape = { ifmapH: 14, ifmapW: 13, filterH: 3, filterW: 4, channels: 12, numFilters: 20, strideH: 1, strideW: 2 };
      for (const df of ['os', 'ws', 'is'] as const) {
        const cfg = scaleSimConfig({ arrayRows: 8, arrayCols: 6, dataflow: df, ifmapSramKb: 1, filterSramKb: 1, ofmapSramKb: 1 });
        const slow = naiveScaleSim({ rows: 8, cols: 6, dataflow: df, ifmapKb: 1, filterKb: 1, ofmapKb: 1 }, shape);
        expect(simulateLayer(cfg, shape).dramIfmapReads, df).toBe(slow.dramIfmapReads);
      }
    });
  }
});

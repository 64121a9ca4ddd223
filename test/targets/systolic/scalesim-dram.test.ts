/**
 * The fast DRAM model against a literal element-by-element replay of SCALE-Sim's buffers
 * (scalesim-naive.ts) on random small layers, arrays and SRAM sizes. Small SRAMs (1-8 kB) make
 * read epochs end mid-fold and force early ofmap drains, which is where the fast paths could
 * go wrong.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convFromGemm, type ConvShape, type Dataflow } from '../../../targets/systolic/gemm-model.ts';
import { scaleSimConfig } from '../../../targets/systolic/scalesim-config.ts';
import { simulateLayer } from '../../../targets/systolic/scalesim.ts';
import { naiveScaleSim } from './scalesim-naive.ts';

const dataflow = fc.constantFrom<Dataflow>('os', 'ws', 'is');

const conv = fc
  .record({
    filterH: fc.integer({ min: 1, max: 5 }),
    filterW: fc.integer({ min: 1, max: 5 }),
    extraH: fc.integer({ min: 0, max: 14 }),
    extraW: fc.integer({ min: 0, max: 14 }),
    channels: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 7, max: 48 })),
    numFilters: fc.integer({ min: 1, max: 40 }),
    strideH: fc.integer({ min: 1, max: 4 }),
    strideW: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ extraH, extraW, ...c }): ConvShape => ({ ...c, ifmapH: c.filterH + extraH, ifmapW: c.filterW + extraW }));

const gemm = fc.record({ M: fc.integer({ min: 1, max: 120 }), N: fc.integer({ min: 1, max: 40 }), K: fc.integer({ min: 1, max: 120 }) });

const setup = fc.record({
  rows: fc.integer({ min: 1, max: 12 }),
  cols: fc.integer({ min: 1, max: 12 }),
  dataflow,
  ifmapKb: fc.constantFrom(1, 1, 2, 3, 8),
  filterKb: fc.constantFrom(1, 2, 5),
  ofmapKb: fc.constantFrom(1, 1, 2),
});

interface Setup {
  rows: number;
  cols: number;
  dataflow: Dataflow;
  ifmapKb: number;
  filterKb: number;
  ofmapKb: number;
}

function compare(shape: ConvShape, s: Setup): void {
  const cfg = scaleSimConfig({
    arrayRows: s.rows,
    arrayCols: s.cols,
    dataflow: s.dataflow,
    ifmapSramKb: s.ifmapKb,
    filterSramKb: s.filterKb,
    ofmapSramKb: s.ofmapKb,
  });
  const fast = simulateLayer(cfg, shape);
  const slow = naiveScaleSim(s, shape);
  expect({
    totalCycles: fast.totalCycles,
    sramIfmapReads: fast.sramIfmapReads,
    sramFilterReads: fast.sramFilterReads,
    sramOfmapWrites: fast.sramOfmapWrites,
    dramIfmapReads: fast.dramIfmapReads,
    dramFilterReads: fast.dramFilterReads,
    dramOfmapWrites: fast.dramOfmapWrites,
  }).toEqual(slow);
}

describe('fast DRAM model = literal replay of SCALE-Sim\'s buffers', () => {
  it('random conv layers (overlapping and disjoint windows, ceil-size partial windows)', () => {
    fc.assert(fc.property(conv, setup, compare), { numRuns: 250, seed: 20250225 });
  });

  it('random GEMM layers', () => {
    fc.assert(
      fc.property(gemm, setup, (g, s) => compare(convFromGemm(g), s)),
      { numRuns: 100, seed: 22 },
    );
  });

  it('tiny buffers on wide arrays: several epochs end within one line, and drains are short', () => {
    // 0.1 kB: epochs of 50 words (fewer than a line of a 64-wide array), drains of 3-6 lines.
    const tiny = fc.record({
      rows: fc.integer({ min: 1, max: 64 }),
      cols: fc.integer({ min: 1, max: 64 }),
      dataflow,
      ifmapKb: fc.constantFrom(0.1, 0.2, 0.5),
      filterKb: fc.constantFrom(0.1, 0.3),
      ofmapKb: fc.constantFrom(0.05, 0.1, 0.3),
    });
    const small = conv.filter((c) => c.ifmapH * c.ifmapW * c.channels <= 600);
    fc.assert(fc.property(small, tiny, compare), { numRuns: 80, seed: 7 });
  });

  it('a mid-size conv on a 32x32 array whose epochs end inside folds in every dataflow', () => {
    // 20x20x40 ifmap (16000 words) against 1-2 kB buffers: many epochs per fold.
    const shape = { ifmapH: 20, ifmapW: 20, filterH: 3, filterW: 3, channels: 40, numFilters: 40, strideH: 1, strideW: 1 };
    for (const df of ['os', 'ws', 'is'] as const) {
      compare(shape, { rows: 32, cols: 32, dataflow: df, ifmapKb: 2, filterKb: 1, ofmapKb: 1 });
    }
  });
});

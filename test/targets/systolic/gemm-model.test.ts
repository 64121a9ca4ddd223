/**
 * Small cases worked out by hand from SCALE-Sim v2's demand-matrix construction
 * (compute/systolic_compute_{os,ws,is}.py) and buffer models (memory/*.py); each test names the
 * reasoning. The formulas are in docs/scalesim-semantics.md.
 */
import { describe, expect, it } from 'vitest';
import { computeStats, convFromGemm, convOutputDims, foldPlan, gemmFromConv } from '../../../targets/systolic/gemm-model.ts';
import { scaleSimConfig } from '../../../targets/systolic/scalesim-config.ts';
import { simulateLayer } from '../../../targets/systolic/scalesim.ts';

const array4 = { rows: 4, cols: 4 };
const gemm8 = { M: 8, N: 8, K: 8 };

describe('conv -> GEMM (topology_utils.topo_calc_hyperparams)', () => {
  it('uses ceil((H - F + S) / S) for the output size, not floor((H - F) / S) + 1', () => {
    // AlexNet Conv1: (224 - 11 + 4) / 4 = 54.25 -> 55 (floor formula: 54).
    const conv1 = { ifmapH: 224, ifmapW: 224, filterH: 11, filterW: 11, channels: 3, numFilters: 96, strideH: 4, strideW: 4 };
    expect(convOutputDims(conv1)).toEqual({ eh: 55, ew: 55 });
    expect(gemmFromConv(conv1)).toEqual({ M: 3025, N: 96, K: 363, macs: 3025 * 96 * 363 });
    // Divisible case agrees with the usual formula: 56x56, 3x3, stride 1 -> 54x54 (no padding).
    expect(convOutputDims({ ...conv1, ifmapH: 56, ifmapW: 56, filterH: 3, filterW: 3, strideH: 1, strideW: 1 })).toEqual({ eh: 54, ew: 54 });
  });

  it('a GEMM row is the 1 x K conv SCALE-Sim builds, and maps back to the same (M, N, K)', () => {
    const conv = convFromGemm({ M: 128, N: 64, K: 256 });
    expect(conv).toEqual({ ifmapH: 128, ifmapW: 256, filterH: 1, filterW: 256, channels: 1, numFilters: 64, strideH: 1, strideW: 1 });
    expect(gemmFromConv(conv)).toMatchObject({ M: 128, N: 64, K: 256 });
  });
});

describe('4x4 array, GEMM 8x8x8 (2 x 2 folds in every dataflow)', () => {
  it('OS: each fold is T + R + C - 2 = 8 + 4 + 4 - 2 = 14 lines; 4 folds -> 4 * 14 - 1 = 55 cycles', () => {
    const plan = foldPlan(gemm8, array4, 'os');
    expect([plan.sr, plan.sc, plan.t, plan.rowFolds, plan.colFolds]).toEqual([8, 8, 8, 2, 2]);
    const s = computeStats(plan);
    expect(s.computeCycles).toBe(55);
    // Every fold fills the array: mapping 100%; compute util = T / L = 8 / 14.
    expect(s.mappingEfficiencyPct).toBeCloseTo(100, 12);
    expect(s.computeUtilPct).toBeCloseTo((100 * 8) / 14, 12);
    expect(s.overallUtilPct).toBeCloseTo((100 * 512) / (55 * 16), 12);
    // ifmap re-read per column fold, filter per row fold; ofmap adds R + C per fold.
    expect([s.sramIfmapReads, s.sramFilterReads, s.sramOfmapWrites]).toEqual([2 * 64, 2 * 64, 64 + 4 * 8]);
  });

  it('WS: 2R + C + T - 2 = 18 lines per fold -> 71 cycles; utilisation divides by 2R + 2C + T - 3 = 21', () => {
    const s = computeStats(foldPlan(gemm8, array4, 'ws'));
    expect(s.computeCycles).toBe(71);
    expect(s.computeUtilPct).toBeCloseTo((100 * 8) / 21, 12);
    // Filter read once; ifmap once per column fold; ofmap partial sums once per row fold.
    expect([s.sramIfmapReads, s.sramFilterReads, s.sramOfmapWrites]).toEqual([128, 64, 128]);
  });

  it('IS: same fold shape as WS with Sr = K, Sc = M, T = N; ifmap read once, filter per column fold', () => {
    const plan = foldPlan(gemm8, array4, 'is');
    expect([plan.sr, plan.sc, plan.t]).toEqual([8, 8, 8]);
    const s = computeStats(plan);
    expect(s.computeCycles).toBe(71);
    expect([s.sramIfmapReads, s.sramFilterReads, s.sramOfmapWrites]).toEqual([64, 128, 128]);
  });

  it('with 64 kB SRAMs nothing is evicted and the 64-word ofmap never triggers an early drain', () => {
    // Read epochs hold 50 * floor(65536 / 100) = 32750 words, so DRAM reads = distinct words.
    // Fewer than half the ofmap buffer's words are ever written, so the only drain is the final
    // one, of full 4-word lines: DRAM writes = ofmap words written.
    for (const dataflow of ['os', 'ws', 'is'] as const) {
      const s = simulateLayer(scaleSimConfig({ arrayRows: 4, arrayCols: 4, dataflow }), gemm8);
      expect([s.dramIfmapReads, s.dramFilterReads], dataflow).toEqual([64, 64]);
      expect(s.dramOfmapWrites, dataflow).toBe(dataflow === 'os' ? 64 : 128);
    }
  });
});

describe('partial folds', () => {
  it('mapping efficiency averages used PEs over folds: 5x3 GEMM on 4x4 OS = 15 / (16 * 2)', () => {
    const s = computeStats(foldPlan({ M: 5, N: 3, K: 10 }, array4, 'os'));
    expect(s.mappingEfficiencyPct).toBeCloseTo((100 * 15) / 32, 12);
    // 2 folds of 10 + 4 + 4 - 2 = 16 lines.
    expect(s.computeCycles).toBe(31);
  });
});

describe('buffer models, worked by hand', () => {
  it('read epochs: an ifmap larger than one epoch is re-fetched in full on every pass', () => {
    // OS, 4x4 array, M=4, N=8, K=200: one row fold, two column folds, each reading all
    // 4 * 200 = 800 ifmap words in the same order. 1 kB buffer: epochs of 50 * 10 = 500 words.
    // Pass 1: 500 new (epoch ends), 300 new. Pass 2: words 0..199 are new (epoch ends at the
    // 200th), then 600 more are new again (epoch ends after 500, 100 left): 1600 DRAM reads.
    const small = simulateLayer(scaleSimConfig({ arrayRows: 4, arrayCols: 4, ifmapSramKb: 1 }), { M: 4, N: 8, K: 200 });
    expect(small.sramIfmapReads).toBe(1600);
    expect(small.dramIfmapReads).toBe(1600);
    // 2 kB: epochs of 1000 words; pass 1 fetches 800 and pass 2 hits in the same epoch.
    const big = simulateLayer(scaleSimConfig({ arrayRows: 4, arrayCols: 4, ifmapSramKb: 2 }), { M: 4, N: 8, K: 200 });
    expect(big.dramIfmapReads).toBe(800);
  });

  it('write buffer: a partial line closed for an early drain is later counted as a full line', () => {
    // WS on a 1x2 array, M=600, N=1, K=1: one fold of 2 + 2 + 600 - 2 = 602 lines; word t is
    // written on line t + 1. 1 kB ofmap buffer: 1024 words, drains of 512 words = 256 lines of 2.
    // Word 512 (line 513) leaves 511 < 512 free: the 513 stored words are closed into 256 full
    // lines and a 1-word line, 256 lines drain (512 words), busy until line 513 + 255 = 768.
    // The remaining 87 words arrive before line 768: no drain. At the end 44 more lines (the
    // last with 1 word) follow the 1-word line; one final batch of 45 lines counts
    // 45 * 2 - 1 = 89 words, the early 1-word line counted as 2. Total 512 + 89 = 601, not 600.
    const s = simulateLayer(scaleSimConfig({ arrayRows: 1, arrayCols: 2, dataflow: 'ws', ofmapSramKb: 1 }), { M: 600, N: 1, K: 1 });
    expect(s.computeCycles).toBe(601);
    expect(s.sramOfmapWrites).toBe(600);
    expect(s.dramOfmapWrites).toBe(601);
  });
});

/**
 * SCALE-Sim v2's USER bandwidth mode (fixed DRAM bandwidth, stalls), checked against SCALE-Sim's
 * own reports (commit 22f88b17): the AlexNet output-stationary rows (alexnet-32x32-os-userbw10.csv)
 * and the oracle runs of test/fixtures/scalesim/user-oracle (small conv and GEMM layers, os/ws/is,
 * two bandwidths, two buffer sizes; how they were produced is in test/fixtures/scalesim/README.md).
 */
import { readFileSync } from 'node:fs';
import { fixture } from '../../helpers/fixtures.ts';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldPlan, gemmFromConv } from '../../../targets/systolic/gemm-model.ts';
import { kilnDramStall } from '../../../targets/systolic/dram-stall.ts';
import { parseScaleSimConfig } from '../../../targets/systolic/scalesim-config.ts';
import { parseTopologyCsv } from '../../../targets/systolic/scalesim-topology.ts';
import { scaleSimConfig, simulateLayer } from '../../../targets/systolic/scalesim.ts';
import { csvRecords } from './scalesim-paths.ts';

const read = (rel: string) => readFileSync(fixture(path.join('scalesim', rel)), 'utf8');

const FIELDS = [
  ['total_cycles', 'totalCycles'],
  ['stall_cycles', 'stallCycles'],
  ['dram_ifmap_reads', 'dramIfmapReads'],
  ['dram_filter_reads', 'dramFilterReads'],
  ['dram_ofmap_writes', 'dramOfmapWrites'],
] as const;

describe('SCALE-Sim USER mode: AlexNet os, 32x32, 64 KB, 10 words/cycle', () => {
  const cfgFile = 'configs/scale_32x32_os_userbw10.cfg';
  const cfg = parseScaleSimConfig(read(cfgFile), cfgFile);
  const layers = parseTopologyCsv(read('topologies/conv_nets/alexnet.csv'), 'alexnet.csv');
  const rows = csvRecords(read('alexnet-32x32-os-userbw10.csv'));

  it('reads a USER config and has the 5 rows', () => {
    expect(cfg.interfaceBandwidth).toBe('USER');
    expect(cfg.bandwidth).toEqual([10]);
    expect(rows).toHaveLength(5);
  });

  for (const row of rows) {
    it(`${row.layer}: total and stall cycles, DRAM reads and writes per operand`, () => {
      const layer = layers.find((l) => l.name === row.layer)!;
      const s = simulateLayer(cfg, layer);
      for (const [csvKey, key] of FIELDS) expect(s[key], csvKey).toBe(Number(row[csvKey]));
      // Compute cycles and SRAM counts are CALC mode's.
      const calc = simulateLayer({ ...cfg, interfaceBandwidth: 'CALC' }, layer);
      expect(s.computeCycles).toBe(calc.computeCycles);
      expect(s.totalCycles).toBe(s.computeCycles + s.stallCycles);
      expect(s.sramIfmapReads).toBe(calc.sramIfmapReads);
    });
  }
});

describe('SCALE-Sim USER mode: oracle runs on small layers', () => {
  const rows = csvRecords(read('user-oracle/user-oracle.csv'));
  it('covers every dataflow, both bandwidths and both buffer sizes', () => {
    expect(new Set(rows.map((r) => r.dataflow))).toEqual(new Set(['os', 'ws', 'is']));
    expect(new Set(rows.map((r) => r.bandwidth)).size).toBe(2);
    expect(new Set(rows.map((r) => r.sram_kb)).size).toBe(2);
    expect(rows.some((r) => Number(r.stall_cycles) > 0) && rows.some((r) => Number(r.stall_cycles) === 0)).toBe(true);
  });
  for (const row of rows) {
    it(`${row.config} ${row.layer}`, () => {
      const cfgFile = `user-oracle/${row.config}.cfg`;
      const cfg = parseScaleSimConfig(read(cfgFile), cfgFile);
      const n = (k: string) => Number(row[k]);
      const s = simulateLayer(cfg, {
        name: row.layer, ifmapH: n('ifmap_h'), ifmapW: n('ifmap_w'), filterH: n('filt_h'), filterW: n('filt_w'),
        channels: n('channels'), numFilters: n('num_filt'), strideH: n('stride'), strideW: n('stride'),
      });
      for (const [csvKey, key] of FIELDS) expect(s[key], csvKey).toBe(n(csvKey));
    });
  }
});

describe("Kiln's double-buffered DRAM model", () => {
  const conv = { ifmapH: 27, ifmapW: 27, filterH: 5, filterW: 5, channels: 96, numFilters: 256, strideH: 1, strideW: 1 };
  const g = gemmFromConv(conv);
  for (const df of ['os', 'ws', 'is'] as const) {
    it(`${df}: stalls fall as bandwidth rises, and per-interface bandwidth never stalls more than shared`, () => {
      const calc = simulateLayer(scaleSimConfig({ dataflow: df }), conv);
      const plan = foldPlan({ M: g.M, N: g.N, K: g.K }, { rows: 32, cols: 32 }, df);
      const traffic = { ifmap: calc.dramIfmapReads, filter: calc.dramFilterReads, ofmap: calc.dramOfmapWrites };
      let prev = Infinity;
      for (const bw of [1, 4, 10, 40, 1000]) {
        const shared = kilnDramStall(plan, calc.computeCycles, traffic, bw, 'shared');
        const per = kilnDramStall(plan, calc.computeCycles, traffic, bw, 'per_interface');
        expect(shared.stallCycles).toBeLessThanOrEqual(prev);
        expect(per.stallCycles).toBeLessThanOrEqual(shared.stallCycles);
        prev = shared.stallCycles;
      }
      // At 1 word/cycle the layer is DRAM-bound: at least the traffic minus the compute time.
      const total = traffic.ifmap + traffic.filter + traffic.ofmap;
      expect(kilnDramStall(plan, calc.computeCycles, traffic, 1, 'shared').stallCycles).toBeGreaterThanOrEqual(total - calc.computeCycles);
    });
  }
});

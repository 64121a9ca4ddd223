/**
 * Every row of test/fixtures/scalesim/alexnet-32x32.csv: SCALE-Sim v2 (commit 22f88b17) run
 * on its own alexnet.csv with its default scale.cfg at 32x32, os/ws/is, InterfaceBandwidth CALC;
 * numbers from its COMPUTE_REPORT.csv and DETAILED_ACCESS_REPORT.csv. The configs and topology
 * are read through our parsers from the same folder, so this also checks the import path.
 */
import { describe, expect, it } from 'vitest';
import { parseScaleSimConfig } from '../../../targets/systolic/scalesim-config.ts';
import { parseTopologyCsv } from '../../../targets/systolic/scalesim-topology.ts';
import { simulateLayer, simulateTopology } from '../../../targets/systolic/scalesim.ts';
import { csvRecords, readReference } from './scalesim-paths.ts';

const rows = csvRecords(readReference('alexnet-32x32.csv'));

const INTEGER_FIELDS = [
  ['total_cycles', 'totalCycles'],
  ['stall_cycles', 'stallCycles'],
  ['sram_ifmap_reads', 'sramIfmapReads'],
  ['sram_filter_reads', 'sramFilterReads'],
  ['sram_ofmap_writes', 'sramOfmapWrites'],
  ['dram_ifmap_reads', 'dramIfmapReads'],
  ['dram_filter_reads', 'dramFilterReads'],
  ['dram_ofmap_writes', 'dramOfmapWrites'],
] as const;

const PERCENT_FIELDS = [
  ['compute_util_pct', 'computeUtilPct'],
  ['mapping_eff_pct', 'mappingEfficiencyPct'],
  ['overall_util_pct', 'overallUtilPct'],
] as const;

describe('SCALE-Sim v2 AlexNet reference (alexnet-32x32.csv)', () => {
  it('has the 15 rows (5 layers x 3 dataflows) the tests rely on', () => {
    expect(rows).toHaveLength(15);
  });

  for (const row of rows) {
    it(`${row.layer} ${row.dataflow}: every reported number`, () => {
      const cfg = parseScaleSimConfig(readReference(row.config_file!), row.config_file!);
      const layers = parseTopologyCsv(readReference(row.topology_file!), row.topology_file!);
      const layer = layers.find((l) => l.name === row.layer)!;
      expect(layer).toMatchObject({
        ifmapH: Number(row.ifmap_h),
        ifmapW: Number(row.ifmap_w),
        filterH: Number(row.filt_h),
        filterW: Number(row.filt_w),
        channels: Number(row.channels),
        numFilters: Number(row.num_filt),
        strideH: Number(row.stride),
      });
      expect([cfg.dataflow, cfg.arrayRows, cfg.arrayCols]).toEqual([row.dataflow, Number(row.array_h), Number(row.array_w)]);
      const s = simulateLayer(cfg, layer);
      for (const [col, key] of INTEGER_FIELDS) expect(s[key], col).toBe(Number(row[col]));
      for (const [col, key] of PERCENT_FIELDS) {
        const want = Number(row[col]);
        expect(Math.abs(s[key] - want) / want, `${col}: ${s[key]} vs ${want}`).toBeLessThan(1e-9);
      }
      expect(s.computeCycles + s.stallCycles).toBe(s.totalCycles);
    });
  }

  it('simulateTopology sums the per-layer results of the same rows', () => {
    const cfg = parseScaleSimConfig(readReference('configs/scale_32x32_ws.cfg'), 'scale_32x32_ws.cfg');
    const layers = parseTopologyCsv(readReference('topologies/conv_nets/alexnet.csv'), 'alexnet.csv');
    const t = simulateTopology(cfg, layers);
    const ws = rows.filter((r) => r.dataflow === 'ws');
    expect(t.layers.map((l) => l.name)).toEqual(ws.map((r) => r.layer));
    expect(t.totalCycles).toBe(ws.reduce((a, r) => a + Number(r.total_cycles), 0));
    expect(t.dramReads).toBe(ws.reduce((a, r) => a + Number(r.dram_ifmap_reads) + Number(r.dram_filter_reads), 0));
    expect(t.dramWrites).toBe(ws.reduce((a, r) => a + Number(r.dram_ofmap_writes), 0));
  });
});

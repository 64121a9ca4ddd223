/**
 * SCALE-Sim files where Kiln takes targets and networks: a `.cfg` becomes a systolic target
 * description (each property pointing at its line in the .cfg), a topology CSV becomes GEMM
 * layers with SCALE-Sim's own geometry (no padding, batch 1, its ceil output size).
 */
import * as path from 'node:path';
import type { Loc } from '../../compiler/lang/ast.ts';
import { readInputText } from '../../compiler/io/read-input.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import type { LayerWork } from '../workload.ts';
import { convOutputDims, gemmFromConv } from './gemm-model.ts';
import { parseScaleSimConfig, parseTopologyCsv } from './scalesim.ts';

const read = (file: string): string => readInputText(file);

export function scaleSimTarget(file: string): TargetDescription {
  const cfg = parseScaleSimConfig(read(file), file);
  const at = (field: keyof NonNullable<typeof cfg.positions>): Loc => {
    const p = cfg.positions?.[field];
    return { file, line: p?.line ?? 1, col: p?.col ?? 1, length: p?.length ?? 1 };
  };
  // SCALE-Sim's "kB" sizes are multiplied by 1024 in its memory model.
  const props: TargetDescription['props'] = {
    array: { value: [cfg.arrayRows, cfg.arrayCols], source: at('arrayRows') },
    dataflow: { value: cfg.dataflow, source: at('dataflow') },
    'sram.ifmap': { value: cfg.ifmapSramKb * 1024, unit: 'KiB', source: at('ifmapSramKb') },
    'sram.filter': { value: cfg.filterSramKb * 1024, unit: 'KiB', source: at('filterSramKb') },
    'sram.ofmap': { value: cfg.ofmapSramKb * 1024, unit: 'KiB', source: at('ofmapSramKb') },
    word: { value: 'i8', source: { file, line: 1, col: 1, length: 1 } },
  };
  if (cfg.interfaceBandwidth === 'USER') {
    // A SCALE-Sim config is priced the way SCALE-Sim prices it: its USER-mode stalls, exactly.
    props.bandwidth = { value: cfg.bandwidth[0] ?? 10, source: at('bandwidth') };
    props.dram_model = { value: 'scalesim', source: at('interfaceBandwidth') };
  }
  return { name: cfg.runName || path.basename(file, '.cfg'), kind: 'systolic', extends: [], props };
}

export function scaleSimTopology(file: string): { name: string; layers: LayerWork[] } {
  const rows = parseTopologyCsv(read(file), file);
  const layers: LayerWork[] = rows.map((row) => {
    const g = gemmFromConv(row);
    const { eh, ew } = convOutputDims(row);
    return {
      node: { id: row.name, op: row.format === 'gemm' ? 'gemm' : 'conv2d', inputs: [], attrs: {}, loc: { file, line: row.line, col: 1, length: 1 } },
      name: row.name, op: row.format === 'gemm' ? 'gemm' : 'conv2d', macs: g.macs,
      work: {
        kind: 'gemm', m: g.M, n: g.N, k: g.K, repeat: 1, macClass: 'i8',
        conv: { h: row.ifmapH, w: row.ifmapW, c: row.channels, kh: row.filterH, kw: row.filterW, sh: row.strideH, sw: row.strideW, oh: eh, ow: ew },
      },
      weightBytes: g.K * g.N, inputBytes: row.ifmapH * row.ifmapW * row.channels, outputBytes: g.M * g.N,
      inputBits: 8, weightBits: 8, outputBits: 8,
    };
  });
  return { name: path.basename(file, '.csv'), layers };
}

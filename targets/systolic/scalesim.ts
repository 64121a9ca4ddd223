/**
 * SCALE-Sim v2 (scalesim-project/scale-sim-v2 @ 22f88b17) per-layer results, reproduced exactly:
 * compute cycles, utilisation, SRAM and DRAM access counts for the os/ws/is dataflows, and in
 * USER bandwidth mode its stall cycles and DRAM traffic (scalesim-user.ts). Pure functions; see
 * docs/scalesim-semantics.md for every convention kept.
 */

import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import {
  computeStats,
  convFromGemm,
  foldPlan,
  gemmFromConv,
  type ConvShape,
  type Dataflow,
  type GemmShape,
} from './gemm-model.ts';
import type { ScaleSimConfig } from './scalesim-config.ts';
import { filterDramReads, ifmapDramReads, readEpochSize } from './scalesim-read-buffer.ts';
import { simulateUserMode, type Operand } from './scalesim-user.ts';
import { ofmapDramWrites } from './scalesim-write-buffer.ts';
import { gemmBreach, shapeBreach, LIMIT_HINT, SCALESIM_LIMITS } from './scalesim-limits.ts';

export type { ScaleSimConfig } from './scalesim-config.ts';
export { parseScaleSimConfig, scaleSimConfig } from './scalesim-config.ts';
export type { TopologyFormat, TopologyLayer } from './scalesim-topology.ts';
export { detectTopologyFormat, parseTopologyCsv } from './scalesim-topology.ts';
export { convFromGemm, foldPlan, gemmFromConv } from './gemm-model.ts';
export type { ConvShape, Dataflow, FoldPlan, GemmShape } from './gemm-model.ts';

/** A layer to simulate: a conv shape (optionally named) or a bare GEMM. */
export type ScaleSimWorkload = (ConvShape & { name?: string }) | (GemmShape & { name?: string });

export interface ScaleSimLayerStats {
  name: string;
  dataflow: Dataflow;
  arrayRows: number;
  arrayCols: number;
  gemm: GemmShape;
  macs: number;
  rowFolds: number;
  colFolds: number;
  folds: number;
  /** Cycles one fold occupies (folds are serialised). */
  cyclesPerFold: number;
  /** SCALE-Sim's "Total Cycles" less stalls: folds * cyclesPerFold - 1. */
  computeCycles: number;
  /** 0 in CALC mode (the read buffers always hit and the write buffer never fills). */
  stallCycles: number;
  /** USER mode: stall cycles charged to each interface (each line's stall to the one that waited longest). */
  stallBy?: Record<Operand, number>;
  totalCycles: number;
  mappingEfficiencyPct: number;
  computeUtilPct: number;
  overallUtilPct: number;
  sramIfmapReads: number;
  sramFilterReads: number;
  sramOfmapWrites: number;
  dramIfmapReads: number;
  dramFilterReads: number;
  dramOfmapWrites: number;
}

function isGemm(w: ScaleSimWorkload): w is GemmShape & { name?: string } {
  return 'M' in w;
}

function checkPositiveInts(what: string, fields: Record<string, number>): void {
  for (const [k, v] of Object.entries(fields)) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new KilnError(
        error('scalesim-bad-shape', `${what}: ${k} must be a positive integer, got ${v}`, undefined,
          'SCALE-Sim only accepts positive integer layer dimensions'),
      );
    }
  }
}

/** SCALE-Sim's buffer words: kB × 1024 one-byte words, floored. */
const words = (kb: number) => Math.floor(kb * 1024);

function checkConfig(cfg: ScaleSimConfig): void {
  const pos = cfg.positions;
  const bad = (field: keyof NonNullable<ScaleSimConfig['positions']>, message: string, hint: string) =>
    new KilnError(error('scalesim-bad-config', message, pos?.[field], hint));
  for (const f of ['arrayRows', 'arrayCols'] as const) {
    if (!Number.isSafeInteger(cfg[f]) || cfg[f] < 1) throw bad(f, `${f} must be a positive integer, got ${cfg[f]}`, 'the array needs at least one row and one column');
    if (cfg[f] > SCALESIM_LIMITS.arraySide) throw bad(f, `${f} must be at most ${SCALESIM_LIMITS.arraySide}, got ${cfg[f]}`, LIMIT_HINT);
  }
  if (cfg.interfaceBandwidth === 'USER' && !(Number.isSafeInteger(cfg.bandwidth[0]) && cfg.bandwidth[0]! >= 1)) {
    throw bad('bandwidth', `USER mode needs a Bandwidth of at least 1 word per cycle, got ${cfg.bandwidth[0]}`, 'SCALE-Sim requests whole lines of Bandwidth words');
  }
  for (const f of ['ifmapSramKb', 'filterSramKb', 'ofmapSramKb'] as const) {
    if (!(words(cfg[f]) >= 2)) throw bad(f, `${f} must hold at least 2 words, got ${cfg[f]} kB`, 'SCALE-Sim sizes are in kB of 1-byte words');
    if (!(cfg[f] <= SCALESIM_LIMITS.sramKb)) throw bad(f, `${f} must be at most ${SCALESIM_LIMITS.sramKb} kB, got ${cfg[f]}`, LIMIT_HINT);
  }
}

export function simulateLayer(cfg: ScaleSimConfig, workload: ScaleSimWorkload): ScaleSimLayerStats {
  const name = workload.name ?? '';
  checkConfig(cfg);
  const conv = isGemm(workload) ? convFromGemm(workload) : workload;
  checkPositiveInts(`layer ${name}`, {
    ifmapH: conv.ifmapH,
    ifmapW: conv.ifmapW,
    filterH: conv.filterH,
    filterW: conv.filterW,
    channels: conv.channels,
    numFilters: conv.numFilters,
    strideH: conv.strideH,
    strideW: conv.strideW,
  });
  if (conv.filterH > conv.ifmapH || conv.filterW > conv.ifmapW) {
    throw new KilnError(
      error('scalesim-bad-shape', `layer ${name}: the filter is larger than the ifmap`, undefined,
        'SCALE-Sim asserts filter height/width <= ifmap height/width'),
    );
  }
  const g = gemmFromConv(conv);
  const gemm = { M: g.M, N: g.N, K: g.K };
  const breach = shapeBreach(conv) ?? gemmBreach(gemm);
  if (breach) throw new KilnError(error('scalesim-too-large', `layer ${name}: ${breach.message}`, undefined, LIMIT_HINT));
  const plan = foldPlan(gemm, { rows: cfg.arrayRows, cols: cfg.arrayCols }, cfg.dataflow);
  if (plan.folds > SCALESIM_LIMITS.folds) {
    throw new KilnError(error('scalesim-too-large', `layer ${name}: ${plan.folds.toLocaleString('en-US')} folds on the ${cfg.arrayRows}×${cfg.arrayCols} array, above Kiln's limit of ${SCALESIM_LIMITS.folds.toLocaleString('en-US')}`,
      undefined, 'use a larger array, or split the layer'));
  }
  const c = computeStats(plan);
  const dram = cfg.interfaceBandwidth === 'USER'
    ? simulateUserMode(conv, plan, { ifmapWords: words(cfg.ifmapSramKb), filterWords: words(cfg.filterSramKb), ofmapWords: words(cfg.ofmapSramKb), bandwidth: cfg.bandwidth[0]! })
    : undefined;
  return {
    name,
    dataflow: cfg.dataflow,
    arrayRows: cfg.arrayRows,
    arrayCols: cfg.arrayCols,
    gemm,
    macs: g.macs,
    rowFolds: plan.rowFolds,
    colFolds: plan.colFolds,
    folds: plan.folds,
    cyclesPerFold: plan.linesPerFold,
    computeCycles: c.computeCycles,
    stallCycles: dram?.stallCycles ?? 0,
    ...(dram ? { stallBy: dram.stallBy } : {}),
    totalCycles: dram?.totalCycles ?? c.computeCycles,
    mappingEfficiencyPct: c.mappingEfficiencyPct,
    computeUtilPct: c.computeUtilPct,
    overallUtilPct: c.overallUtilPct,
    sramIfmapReads: c.sramIfmapReads,
    sramFilterReads: c.sramFilterReads,
    sramOfmapWrites: c.sramOfmapWrites,
    dramIfmapReads: dram?.dramIfmapReads ?? ifmapDramReads(conv, plan, readEpochSize(cfg.ifmapSramKb)),
    dramFilterReads: dram?.dramFilterReads ?? filterDramReads(plan, readEpochSize(cfg.filterSramKb)),
    dramOfmapWrites: dram?.dramOfmapWrites ?? ofmapDramWrites(plan, cfg.ofmapSramKb),
  };
}

export interface ScaleSimTopologyStats {
  layers: ScaleSimLayerStats[];
  totalCycles: number;
  macs: number;
  dramReads: number;
  dramWrites: number;
}

/** Runs every layer independently (SCALE-Sim gives each layer fresh buffers). */
export function simulateTopology(
  cfg: ScaleSimConfig,
  layers: readonly ScaleSimWorkload[],
): ScaleSimTopologyStats {
  const out = layers.map((l) => simulateLayer(cfg, l));
  let totalCycles = 0;
  let macs = 0;
  let dramReads = 0;
  let dramWrites = 0;
  for (const s of out) {
    totalCycles += s.totalCycles;
    macs += s.macs;
    dramReads += s.dramIfmapReads + s.dramFilterReads;
    dramWrites += s.dramOfmapWrites;
  }
  return { layers: out, totalCycles, macs, dramReads, dramWrites };
}

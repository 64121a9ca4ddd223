/**
 * The systolic-array cost model. Layers that multiply become the GEMMs SCALE-Sim runs, folded over
 * the array with SCALE-Sim v2's exact cycle, utilization and SRAM/DRAM semantics (scalesim.ts);
 * Kiln adds energy (per MAC, per SRAM word, per DRAM word), stall cycles when the target fixes a
 * DRAM bandwidth, and the layers the array cannot run, costed on the target's vector unit.
 */
import { KilnError } from '../../compiler/lang/diagnostics.ts';
import { DTYPE_BITS, type DType } from '../../compiler/ir/dtype.ts';
import { ConfigReader } from '../config.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { priceActions, sumBreakdowns, type LayerStats, type PriceTable, type TargetResult } from '../stats.ts';
import type { GemmWork, LayerWork } from '../workload.ts';
import { convOutputDims, type ConvShape, type Dataflow } from './gemm-model.ts';
import { scaleSimConfig, simulateLayer, type ScaleSimConfig, type ScaleSimLayerStats } from './scalesim.ts';

export interface SystolicConfig {
  scalesim: ScaleSimConfig;
  clockHz: number;
  wordBits: number;
  vectorLanes: number;
  /** DRAM bytes per cycle when the target fixes a bandwidth; absent: SCALE-Sim's CALC mode, no stalls. */
  dramBytesPerCycle?: number;
  staticPowerW: number;
}

export function systolicConfig(desc: TargetDescription, r: ConfigReader): SystolicConfig {
  const [rows, cols] = r.pair('array', [32, 32], 'a 32 x 32 array (SCALE-Sim\'s default)');
  const kib = (key: string) => r.number(`sram.${key}`, 64 * 1024, `64 KiB of ${key} SRAM (SCALE-Sim's default)`) / 1024;
  const clockHz = r.number('clock', 1e9, '1 GHz (write `clock 700 MHz`)');
  const word = r.word<DType>('word', 'i8', 'i8 operands (SCALE-Sim\'s one-byte word)');
  const wordBits = DTYPE_BITS[word];
  const dram = r.has('dram') ? r.number('dram', 0, '') : undefined;
  const bandwidthWords = r.has('bandwidth') ? r.number('bandwidth', 0, '') : undefined;
  return {
    scalesim: scaleSimConfig({ runName: desc.name, arrayRows: rows, arrayCols: cols, dataflow: r.word<Dataflow>('dataflow', 'os', 'output stationary (SCALE-Sim\'s default)'), ifmapSramKb: kib('ifmap'), filterSramKb: kib('filter'), ofmapSramKb: kib('ofmap') }),
    clockHz,
    wordBits,
    vectorLanes: r.number('vector', cols, `a vector unit of ${cols} lanes (one per array column)`),
    dramBytesPerCycle: dram !== undefined ? dram / clockHz : bandwidthWords !== undefined ? (bandwidthWords * wordBits) / 8 : undefined,
    staticPowerW: r.number('static_power', 0, 'no static power'),
  };
}

/**
 * The SCALE-Sim workload for a GEMM layer. A convolution keeps its ifmap geometry (which SCALE-Sim's
 * DRAM model needs) when SCALE-Sim's own output size matches Kiln's and the batch is 1; otherwise
 * the GEMM view (M = batch · output pixels) gives the same compute and SRAM counts.
 */
function scaleSimWorkload(g: GemmWork, name: string): { shape: ConvShape | { M: number; N: number; K: number }; note?: string } {
  if (g.conv) {
    const conv: ConvShape = { ifmapH: g.conv.h, ifmapW: g.conv.w, filterH: g.conv.kh, filterW: g.conv.kw, channels: g.conv.c, numFilters: g.n, strideH: g.conv.sh, strideW: g.conv.sw };
    const { eh, ew } = convOutputDims(conv);
    if (eh === g.conv.oh && ew === g.conv.ow && g.m === eh * ew) return { shape: conv };
    return { shape: { M: g.m, N: g.n, K: g.k }, note: `simulated as GEMM ${g.m}×${g.n}×${g.k}: batch > 1, or SCALE-Sim's ceil output size differs from the layer's` };
  }
  return { shape: { M: g.m, N: g.n, K: g.k } };
}

const DEFAULTS: Record<string, [string, number, string]> = {
  'mac.i8': ['compute', 0.23e-12, 'Horowitz ISSCC 2014: int8 mult 0.2 + add 0.03 pJ'],
  'mac.i16': ['compute', 1.6e-12, 'between Horowitz int8 and int32 multiply-add'],
  'mac.f16': ['compute', 1.5e-12, 'Horowitz ISSCC 2014: fp16 mult 1.1 + add 0.4 pJ'],
  'mac.bf16': ['compute', 1.5e-12, 'priced as fp16 (Horowitz ISSCC 2014)'],
  'mac.f32': ['compute', 4.6e-12, 'Horowitz ISSCC 2014: fp32 mult 3.7 + add 0.9 pJ'],
  'mac.i32': ['compute', 3.2e-12, 'Horowitz ISSCC 2014: int32 mult 3.1 + add 0.1 pJ'],
  'mac.ternary': ['compute', 0.23e-12, 'priced as an int8 MAC (Horowitz)'],
  'mac.binary': ['compute', 0.018e-12, 'Aladdin: bitwise op 0.018 pJ'],
  'sram.read': ['sram', 5e-12, 'Han et al. 2015: 5 pJ per 32-bit SRAM access'],
  'sram.write': ['sram', 5e-12, 'Han et al. 2015: 5 pJ per 32-bit SRAM access'],
  'dram.read': ['dram', 640e-12, 'Han et al. 2015: 640 pJ per 32-bit DRAM access'],
  'dram.write': ['dram', 640e-12, 'Han et al. 2015: 640 pJ per 32-bit DRAM access'],
  'vector.op': ['vector unit', 0.9e-12, 'Horowitz ISSCC 2014: fp32 add 0.9 pJ'],
};

/** A layer-limit error without a position gets the layer's own (its CSV row or .kiln line). */
function locateAt<T>(w: LayerWork, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof KilnError && w.node.loc) for (const d of e.diagnostics) d.pos ??= w.node.loc;
    throw e;
  }
}

function arrayLayer(w: LayerWork, g: GemmWork, cfg: SystolicConfig, warnings: string[]): { stats: Omit<LayerStats, 'energy_j' | 'breakdown_j'>; sim: ScaleSimLayerStats } {
  const { shape, note } = scaleSimWorkload(g, w.name);
  void warnings;
  const sim = locateAt(w, () => simulateLayer(cfg.scalesim, { ...shape, name: w.name }));
  const rep = g.repeat;
  const dramWords = (sim.dramIfmapReads + sim.dramFilterReads + sim.dramOfmapWrites) * rep;
  const computeCycles = sim.computeCycles * rep;
  // With a fixed DRAM bandwidth, transfers overlap compute (double buffering) and only the excess stalls.
  const stall = cfg.dramBytesPerCycle ? Math.max(0, Math.ceil((dramWords * cfg.wordBits) / 8 / cfg.dramBytesPerCycle - computeCycles)) : 0;
  const wordDType = (Object.keys(DTYPE_BITS) as DType[]).find((d) => DTYPE_BITS[d] === cfg.wordBits && !['spike', 'binary', 'ternary'].includes(d)) ?? 'i8';
  const macKey = `mac.${g.macClass === 'binary' || g.macClass === 'ternary' ? g.macClass : wordDType}`;
  const actions: Record<string, number> = {
    [macKey]: sim.macs * rep,
    'sram.read': (sim.sramIfmapReads + sim.sramFilterReads) * rep,
    'sram.write': sim.sramOfmapWrites * rep,
    'dram.read': (sim.dramIfmapReads + sim.dramFilterReads) * rep,
    'dram.write': sim.dramOfmapWrites * rep,
  };
  return {
    sim,
    stats: {
      name: w.name, op: w.op, macs: sim.macs * rep, cycles: computeCycles + stall, compute_cycles: computeCycles, stall_cycles: stall,
      utilization: sim.computeUtilPct / 100, mapping_efficiency: sim.mappingEfficiencyPct / 100,
      sram_reads: { ifmap: sim.sramIfmapReads * rep, filter: sim.sramFilterReads * rep }, sram_writes: { ofmap: sim.sramOfmapWrites * rep },
      dram_reads: { ifmap: sim.dramIfmapReads * rep, filter: sim.dramFilterReads * rep }, dram_writes: { ofmap: sim.dramOfmapWrites * rep },
      unit: 'array', bound: stall > 0 ? 'memory (dram)' : 'compute', actions,
      notes: [...(rep > 1 ? [`${rep} GEMMs of ${sim.gemm.M}×${sim.gemm.N}×${sim.gemm.K} (groups or time steps × layers)`] : []), ...(note ? [note] : [])],
      details: { gemm: { m: sim.gemm.M, n: sim.gemm.N, k: sim.gemm.K, repeat: rep }, folds: { row: sim.rowFolds, col: sim.colFolds } },
    },
  };
}

export function estimateSystolic(desc: TargetDescription, layers: LayerWork[]): TargetResult {
  const r = new ConfigReader(desc);
  const cfg = systolicConfig(desc, r);
  const warnings: string[] = [];
  const prices: PriceTable = {};
  const price = (action: string) => {
    if (prices[action]) return;
    const [cat, j, src] = DEFAULTS[action]!;
    r.price(action, action, cat, j, src, prices);
  };
  const stats: LayerStats[] = [];
  for (const w of layers) {
    let partial: Omit<LayerStats, 'energy_j' | 'breakdown_j'>;
    if (w.work.kind === 'gemm') partial = arrayLayer(w, w.work, cfg, warnings).stats;
    else if (w.work.kind === 'vector') {
      const ops = w.work.ops;
      const cycles = Math.ceil(ops / cfg.vectorLanes);
      const words = (bits: number, bytes: number) => Math.ceil((bytes * 8) / Math.max(bits, cfg.wordBits));
      partial = {
        name: w.name, op: w.op, macs: 0, cycles, compute_cycles: cycles, stall_cycles: 0, unit: 'vector',
        actions: { 'vector.op': ops, 'sram.read': words(w.inputBits, w.inputBytes), 'sram.write': words(w.outputBits, w.outputBytes) },
        notes: [`the array cannot run ${w.op}: ${ops.toLocaleString('en-US')} operations on the ${cfg.vectorLanes}-lane vector unit`],
      };
    } else {
      partial = { name: w.name, op: w.op, macs: 0, cycles: 0, compute_cycles: 0, stall_cycles: 0, unit: 'none', actions: {}, notes: [w.work.why] };
    }
    for (const a of Object.keys(partial.actions)) price(a);
    const { energy_j, breakdown_j } = priceActions(partial.actions, prices);
    stats.push({ ...partial, energy_j, breakdown_j });
  }
  const cycles = stats.reduce((a, l) => a + (l.cycles ?? 0), 0);
  const latency = cycles / cfg.clockHz;
  const macs = stats.reduce((a, l) => a + l.macs, 0);
  const breakdown = sumBreakdowns(stats);
  let energy = stats.reduce((a, l) => a + l.energy_j, 0);
  if (cfg.staticPowerW > 0) {
    prices.static = { joules: cfg.staticPowerW, category: 'static', source: `${desc.props.static_power!.source.file} (static_power × seconds)` };
    breakdown.static = cfg.staticPowerW * latency;
    energy += breakdown.static;
  }
  const { arrayRows: rows, arrayCols: cols } = cfg.scalesim;
  return {
    target: desc.name, kind: 'systolic',
    summary: { cycles, latency_s: latency, energy_j: energy, breakdown_j: breakdown, macs, utilization: cycles ? macs / (cycles * rows * cols) : 0, dataflow: cfg.scalesim.dataflow, array: [rows, cols] },
    layers: stats, warnings: [...r.warnings, ...warnings], prices,
  };
}

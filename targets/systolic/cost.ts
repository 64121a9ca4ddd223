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
import { CLASS_BITS, FitWarnings, MAC_CLASSES, macClassOf, type MacClass, macPrice, runClass } from '../precision.ts';
import { priceActions, sumBreakdowns, type LayerStats, type PriceTable, type TargetResult } from '../stats.ts';
import type { GemmWork, LayerWork } from '../workload.ts';
import type { CompareOnOutput } from '../threshold-fold.ts';
import { packOperands, unpacked, type Packing } from './packing.ts';
import { convOutputDims, foldPlan, type ConvShape, type Dataflow } from './gemm-model.ts';
import { scaleSimConfig, simulateLayer, type ScaleSimConfig, type ScaleSimLayerStats } from './scalesim.ts';
import { kilnDramStall, type DramSharing } from './dram-stall.ts';

export interface SystolicConfig {
  scalesim: ScaleSimConfig;
  clockHz: number;
  wordBits: number;
  vectorLanes: number;
  /** DRAM bytes per cycle when the target fixes a bandwidth; absent: SCALE-Sim's CALC mode, no stalls. */
  dramBytesPerCycle?: number;
  /** Which stall model a fixed bandwidth gets: Kiln's double buffer, or SCALE-Sim's USER mode (exact). */
  dramModel: 'kiln' | 'scalesim';
  dramSharing: DramSharing;
  staticPowerW: number;
  /**
   * MACs per PE per cycle by precision class (`macs i8 1`). Empty: the target says nothing about
   * precision (a SCALE-Sim .cfg), and SCALE-Sim's model holds — one MAC per PE per cycle and one
   * `word` per operand, whatever the layer's precision.
   */
  macs: Partial<Record<MacClass, number>>;
  /** The MAC class of the `word` type: what a layer wider than every listed class is assumed quantized to. */
  wordClass: MacClass;
  /** SRAM bytes per operand buffer. */
  sramBytes: { ifmap: number; filter: number; ofmap: number };
}

export function systolicConfig(desc: TargetDescription, r: ConfigReader): SystolicConfig {
  const [rows, cols] = r.pair('array', [32, 32], 'a 32 x 32 array (SCALE-Sim\'s default)');
  const kib = (key: string) => r.number(`sram.${key}`, 64 * 1024, `64 KiB of ${key} SRAM (SCALE-Sim's default)`) / 1024;
  const kb = { ifmap: kib('ifmap'), filter: kib('filter'), ofmap: kib('ofmap') };
  const clockHz = r.number('clock', 1e9, '1 GHz (write `clock 700 MHz`)');
  const word = r.word<DType>('word', 'i8', 'i8 operands (SCALE-Sim\'s one-byte word)');
  const wordBits = DTYPE_BITS[word];
  const macs: Partial<Record<MacClass, number>> = {};
  for (const c of MAC_CLASSES) if (r.has(`macs.${c}`)) macs[c] = r.number(`macs.${c}`, 0, '');
  const dram = r.has('dram') ? r.number('dram', 0, '') : undefined;
  const bandwidthWords = r.has('bandwidth') ? r.number('bandwidth', 0, '') : undefined;
  const dramBytesPerCycle = dram !== undefined ? dram / clockHz : bandwidthWords !== undefined ? (bandwidthWords * wordBits) / 8 : undefined;
  const dramModel = r.has('dram_model') ? r.word<'kiln' | 'scalesim'>('dram_model', 'kiln', '') : 'kiln';
  const dramSharing = r.has('dram_sharing') ? r.word<DramSharing>('dram_sharing', 'shared', '') : 'shared';
  const scalesim = scaleSimConfig({ runName: desc.name, arrayRows: rows, arrayCols: cols, dataflow: r.word<Dataflow>('dataflow', 'os', 'output stationary (SCALE-Sim\'s default)'), ifmapSramKb: kib('ifmap'), filterSramKb: kib('filter'), ofmapSramKb: kib('ofmap') });
  if (dramModel === 'scalesim' && dramBytesPerCycle !== undefined) {
    // SCALE-Sim requests whole lines of an integer number of words per cycle.
    const exact = (dramBytesPerCycle * 8) / wordBits;
    const perCycle = Math.max(1, Math.floor(exact + 1e-9));
    if (Math.abs(perCycle - exact) > 1e-9) r.warnings.push(`${desc.name}: SCALE-Sim's USER mode needs whole words per cycle; ${+exact.toPrecision(4)} rounded to ${perCycle}`);
    Object.assign(scalesim, { interfaceBandwidth: 'USER', bandwidth: [perCycle] });
  }
  if (dram === undefined && bandwidthWords === undefined) r.notes.push('DRAM stalls (no `dram` bandwidth: transfers are taken to overlap compute, SCALE-Sim\'s CALC mode)');
  return {
    scalesim,
    clockHz,
    wordBits,
    vectorLanes: r.number('vector', cols, `a vector unit of ${cols} lanes (one per array column)`),
    dramBytesPerCycle,
    dramModel,
    dramSharing,
    staticPowerW: r.optional('static_power', 'static power (no `static_power`)') ?? 0,
    macs,
    wordClass: macClassOf(word),
    sramBytes: { ifmap: kb.ifmap * 1024, filter: kb.filter * 1024, ofmap: kb.ofmap * 1024 },
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

/** What a GEMM layer runs at: its MAC class on this array, and how its operands pack into words. */
function layerPacking(w: LayerWork, g: GemmWork, cfg: SystolicConfig, fits: FitWarnings, readBits: ReadBits): { cls: MacClass; pack: Packing; outBits?: number; note?: string; storeNote?: string } {
  const has = Object.keys(cfg.macs) as MacClass[];
  const run = runClass(g.macClass, has.length ? has : [cfg.wordClass], cfg.wordClass);
  const note = fits.add(w.name, g.macClass, run);
  // SCALE-Sim's model: every output one word, whatever is stored, so no width to report.
  if (!has.length) return { cls: run.cls, pack: unpacked(g, cfg), note };
  // Operands move at the class the MACs run at; outputs at the layer's stored precision, or at
  // the assumed class when the layer is assumed quantized.
  const bits = CLASS_BITS[run.cls];
  const stored = run.fit === 'quantized' ? Math.min(bits, w.outputBits) : w.outputBits;
  // A compare on the way out can only narrow what is stored: never wider than the layer's own output.
  const outBits = w.compareOnOutput ? Math.min(stored, readBits(w.compareOnOutput)) : stored;
  return { cls: run.cls, pack: packOperands(g, cfg, cfg.macs[run.cls]!, bits, outBits), outBits, note, ...(outBits !== stored ? { storeNote: compareNote(w, stored, outBits) } : {}) };
}

type ReadBits = (c: CompareOnOutput) => number;

/**
 * The bits a compare's result is read at, so the layer writes it as wide as it is read: a GEMM
 * reader's operands move at the class its MACs run at on this array, a vector layer reads the
 * elements at their own type, and a result the network outputs is stored at its type. Several
 * readers: the widest.
 */
function compareReadBits(layers: LayerWork[], cfg: SystolicConfig): ReadBits {
  const has = Object.keys(cfg.macs) as MacClass[];
  const byName = new Map(layers.map((l) => [l.name, l]));
  return (c) => Math.max(...c.readBy.map((id) => {
    const r = byName.get(id)?.work;
    return r?.kind === 'gemm' ? CLASS_BITS[runClass(r.macClass, has, cfg.wordClass).cls] : DTYPE_BITS[c.dtype];
  }), c.readBy.length ? 0 : DTYPE_BITS[c.dtype]);
}

/**
 * A folded batch norm + sign (or a sign) done as the layer's outputs leave the accumulators, as
 * TPU v1's activation pipeline takes them on their way to the unified buffer (Jouppi et al.
 * 2017): one compare an element, priced as a vector op, no buffer traffic of its own (the layer
 * wrote the result). It keeps pace with an array that delivers `cols` outputs a cycle when it has
 * as many lanes; a narrower unit adds the difference.
 */
function outputCompare(w: LayerWork, ops: number, cfg: SystolicConfig): Omit<LayerStats, 'energy_j' | 'breakdown_j'> {
  const cycles = Math.max(0, Math.ceil(ops / cfg.vectorLanes) - Math.ceil(ops / cfg.scalesim.arrayCols));
  const what = w.op === 'sign' ? 'the sign (a compare with 0)' : 'the threshold compare';
  return {
    name: w.name, op: w.op, macs: 0, cycles, compute_cycles: cycles, stall_cycles: 0, unit: 'activation pipeline',
    actions: { 'vector.op': ops },
    notes: [`${what} of ${w.comparesFor}'s outputs as they leave the accumulators: ${ops.toLocaleString('en-US')} compares in the ${cfg.vectorLanes}-lane activation pipeline, ${cycles ? `${cycles} cycles beyond the array's output stream` : 'in step with the array\'s output stream'}; nothing stored of its own`, ...(w.notes ?? [])],
  };
}

function arrayLayer(w: LayerWork, g: GemmWork, cfg: SystolicConfig, fits: FitWarnings, readBits: ReadBits): Omit<LayerStats, 'energy_j' | 'breakdown_j'> {
  const { cls, pack, outBits, note: fitNote, storeNote } = layerPacking(w, g, cfg, fits, readBits);
  const { shape, note } = scaleSimWorkload(pack.gemm, w.name);
  const sim = locateAt(w, () => simulateLayer(pack.scalesim, { ...shape, name: w.name }));
  const rep = g.repeat;
  const words = (accesses: number, per: number) => Math.ceil(accesses * per * rep);
  const sram = { ifmap: words(sim.sramIfmapReads, pack.words.ifmap), filter: words(sim.sramFilterReads, pack.words.filter), ofmap: words(sim.sramOfmapWrites, pack.words.ofmap) };
  const dram = { ifmap: words(sim.dramIfmapReads, pack.words.ifmap), filter: words(sim.dramFilterReads, pack.words.filter), ofmap: words(sim.dramOfmapWrites, pack.words.ofmap) };
  const computeCycles = Math.ceil(sim.computeCycles * pack.slow) * rep;
  const { stall, stalledMost } = dramStall(sim, cfg, pack, rep);
  // A gated PE spends its cycle but not the MAC's energy (targets/activity-pricing.ts).
  const macs = Math.round(g.m * g.n * g.k * rep * (g.performed ?? 1));
  const actions: Record<string, number> = {
    [`mac.${cls}`]: macs,
    'sram.read': sram.ifmap + sram.filter,
    'sram.write': sram.ofmap,
    'dram.read': dram.ifmap + dram.filter,
    'dram.write': dram.ofmap,
  };
  return {
    name: w.name, op: w.op, macs, cycles: computeCycles + stall, compute_cycles: computeCycles, stall_cycles: stall,
    utilization: sim.computeUtilPct / 100 / pack.slow, mapping_efficiency: sim.mappingEfficiencyPct / 100,
    sram_reads: { ifmap: sram.ifmap, filter: sram.filter }, sram_writes: { ofmap: sram.ofmap },
    dram_reads: { ifmap: dram.ifmap, filter: dram.filter }, dram_writes: { ofmap: dram.ofmap },
    ...(stalledMost ? { stalled_most: stalledMost } : {}),
    unit: `array ${cls}`, bound: stall > 0 ? 'memory (dram)' : 'compute', actions,
    notes: [...(rep > 1 ? [`${rep} GEMMs of ${sim.gemm.M}×${sim.gemm.N}×${sim.gemm.K} (groups or time steps × layers)`] : []), ...[note, pack.note, fitNote, storeNote].filter((n): n is string => !!n), ...(w.notes ?? [])],
    details: { gemm: { m: sim.gemm.M, n: sim.gemm.N, k: sim.gemm.K, repeat: rep }, folds: { row: sim.rowFolds, col: sim.colFolds }, mac_class: cls, words_per_access: pack.words, pe_cycles_busy: sim.macs * rep * pack.slow, ...(outBits !== undefined ? { output_bits: outBits } : {}) },
  };
}

function compareNote(w: LayerWork, stored: number, outBits: number): string {
  const c = w.compareOnOutput!;
  return `outputs leave the accumulators through ${c.by}'s ${c.threshold ? 'threshold compare (the batch norm folded into it)' : 'sign'} in the activation pipeline: stored as the ${c.dtype} result, ${outBits} bits a value (as ${c.readBy.join(', ') || 'the network\'s output'} ${c.readBy.length > 1 ? 'read' : 'reads'} it), not the ${stored}-bit sum`;
}

/** Stall cycles behind a fixed DRAM bandwidth: SCALE-Sim's (already in `sim`) or Kiln's double buffer. */
function dramStall(sim: ScaleSimLayerStats, cfg: SystolicConfig, pack: Packing, rep: number): { stall: number; stalledMost?: 'ifmap' | 'filter' | 'ofmap' } {
  if (sim.stallBy) {
    const by = sim.stallBy;
    const most = (['ifmap', 'filter', 'ofmap'] as const).reduce((a, b) => (by[b] > by[a] ? b : a));
    return { stall: sim.stallCycles * rep, ...(sim.stallCycles > 0 ? { stalledMost: most } : {}) };
  }
  if (!cfg.dramBytesPerCycle) return { stall: 0 };
  const plan = foldPlan(sim.gemm, { rows: sim.arrayRows, cols: sim.arrayCols }, sim.dataflow);
  // Kiln's model sees the packed traffic: words of the target's width, as many as the layer's precision fills.
  const packed = (accesses: number, per: number) => Math.ceil(accesses * per);
  const traffic = { ifmap: packed(sim.dramIfmapReads, pack.words.ifmap), filter: packed(sim.dramFilterReads, pack.words.filter), ofmap: packed(sim.dramOfmapWrites, pack.words.ofmap) };
  const k = kilnDramStall(plan, Math.ceil(sim.computeCycles * pack.slow), traffic, (cfg.dramBytesPerCycle * 8) / cfg.wordBits, cfg.dramSharing);
  return { stall: k.stallCycles * rep, ...(k.stallCycles > 0 ? { stalledMost: k.stalledMost } : {}) };
}

export function estimateSystolic(desc: TargetDescription, layers: LayerWork[]): TargetResult {
  const r = new ConfigReader(desc);
  const cfg = systolicConfig(desc, r);
  const prices: PriceTable = {};
  const price = (action: string) => {
    if (prices[action]) return;
    if (action.startsWith('mac.')) return void macPrice(r, action.slice(4) as MacClass, prices);
    const [cat, j, src] = DEFAULTS[action]!;
    r.price(action, action, cat, j, src, prices);
  };
  const has = Object.keys(cfg.macs);
  const fits = new FitWarnings(desc.name, has.length ? has as MacClass[] : [cfg.wordClass],
    has.length ? `, its \`word\` type` : ` (it lists no \`macs\`, so SCALE-Sim's model holds: every operand one \`word\`)`);
  const stats: LayerStats[] = [];
  const readBits = compareReadBits(layers, cfg);
  for (const w of layers) {
    let partial: Omit<LayerStats, 'energy_j' | 'breakdown_j'>;
    if (w.work.kind === 'gemm') partial = arrayLayer(w, w.work, cfg, fits, readBits);
    else if (w.work.kind === 'vector' && w.comparesFor) partial = outputCompare(w, w.work.ops, cfg);
    else if (w.work.kind === 'vector') {
      const ops = w.work.ops;
      const cycles = Math.ceil(ops / cfg.vectorLanes);
      // Kiln's precision model packs narrow elements into words; SCALE-Sim's gives each its own.
      const words = (bits: number, bytes: number) => Math.ceil((bytes * 8) / (has.length ? cfg.wordBits : Math.max(bits, cfg.wordBits)));
      partial = {
        name: w.name, op: w.op, macs: 0, cycles, compute_cycles: cycles, stall_cycles: 0, unit: 'vector',
        actions: { 'vector.op': ops, 'sram.read': words(w.inputBits, w.inputBytes), 'sram.write': words(w.outputBits, w.outputBytes) },
        notes: [`the array cannot run ${w.op}: ${ops.toLocaleString('en-US')} operations on the ${cfg.vectorLanes}-lane vector unit`, ...(w.notes ?? [])],
      };
    } else {
      partial = { name: w.name, op: w.op, macs: 0, cycles: 0, compute_cycles: 0, stall_cycles: 0, unit: 'none', actions: {}, notes: [w.work.why] };
    }
    for (const a of Object.keys(partial.actions)) price(a);
    const { energy_j, breakdown_j } = priceActions(partial.actions, prices);
    stats.push({ ...partial, energy_j, breakdown_j, ...(w.activity ? { activity: w.activity } : {}) });
  }
  const cycles = stats.reduce((a, l) => a + (l.cycles ?? 0), 0);
  const latency = cycles / cfg.clockHz;
  const macs = stats.reduce((a, l) => a + l.macs, 0);
  // Packed PEs do several MACs a cycle and slow classes one in several cycles: utilization counts busy PE-cycles.
  const busy = stats.reduce((a, l) => a + ((l.details?.pe_cycles_busy as number | undefined) ?? l.macs), 0);
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
    summary: { cycles, latency_s: latency, energy_j: energy, breakdown_j: breakdown, macs, utilization: cycles ? busy / (cycles * rows * cols) : 0, dataflow: cfg.scalesim.dataflow, array: [rows, cols] },
    layers: stats, warnings: [...r.warnings, ...fits.warnings], notes: r.notes, prices,
  };
}

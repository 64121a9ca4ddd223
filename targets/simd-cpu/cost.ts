/** The SIMD CPU cost model: a per-layer roofline over compute and every memory level, priced. */
import { ConfigReader } from '../config.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { priceActions, sumBreakdowns, type LayerStats, type PriceTable, type TargetResult } from '../stats.ts';
import { FitWarnings, type MacClass, macPrice } from '../precision.ts';
import type { LayerWork } from '../workload.ts';
import { lowerSimdCpu, simdCpuConfig } from './lower.ts';

/** Built-in defaults for what is not a MAC, each from the published table it cites (docs/references.md, "Energy per operation"). */
const DEFAULT_PRICES: Record<string, [number, string, string]> = {
  'op.vector': [0.9e-12, 'compute', 'Horowitz ISSCC 2014: fp32 add 0.9 pJ'],
  instr: [70e-12, 'instruction overhead', 'Horowitz ISSCC 2014: ≈ 70 pJ per instruction'],
  'l1.read': [10e-12, 'l1', 'Horowitz ISSCC 2014: 64-bit read, 8 KB SRAM'],
  'l2.read': [20e-12, 'l2', 'Horowitz ISSCC 2014: 64-bit read, 32 KB SRAM'],
  'l3.read': [100e-12, 'l3', 'Horowitz ISSCC 2014: 64-bit read, 1 MB SRAM'],
  'dram.read': [1.3e-9, 'dram', 'Horowitz ISSCC 2014: 64-bit DRAM access, 1.3-2.6 nJ'],
};

export function estimateSimdCpu(desc: TargetDescription, layers: LayerWork[]): TargetResult {
  const { config, warnings, notes } = simdCpuConfig(desc);
  const reader = new ConfigReader(desc);
  const fits = new FitWarnings(desc.name, Object.keys(config.macs) as MacClass[], '');
  const steps = lowerSimdCpu(layers, config, fits);
  const prices: PriceTable = {};
  const used = new Set<string>();
  const stats: LayerStats[] = steps.map((s) => {
    const actions: Record<string, number> = {};
    if (s.counts.macs) actions[`mac.${s.macClass}`] = s.counts.macs;
    if (s.counts.vectorOps) actions['op.vector'] = s.counts.vectorOps;
    if (s.counts.instructions) actions.instr = s.counts.instructions;
    // Memory energy is per 64-bit access at every level (Horowitz's granularity).
    for (const [level, b] of Object.entries(s.counts.bytes)) actions[`${level}.read`] = Math.ceil(b / 8);
    for (const a of Object.keys(actions)) used.add(a);
    for (const a of Object.keys(actions)) {
      if (prices[a]) continue;
      if (a.startsWith('mac.')) macPrice(reader, a.slice(4) as MacClass, prices);
      else {
        const [j, cat, src] = DEFAULT_PRICES[a]!;
        reader.price(a, a, cat, j, src, prices);
      }
    }
    const { energy_j, breakdown_j } = priceActions(actions, prices);
    const [boundKey, cycles] = Object.entries(s.cycles).reduce((best, cur) => (cur[1] > best[1] ? cur : best), ['compute', 0] as [string, number]);
    return {
      name: s.layer.name, op: s.layer.op, macs: s.counts.macs, cycles, compute_cycles: s.cycles.compute ?? 0,
      energy_j, utilization: cycles > 0 ? (s.cycles.compute ?? 0) / cycles : 0, unit: s.macClass === 'vector' ? 'vector' : `simd ${s.macClass}`,
      bound: cycles > 0 ? (boundKey === 'compute' ? 'compute' : `memory (${boundKey})`) : undefined,
      actions, breakdown_j, notes: s.notes.length ? s.notes : undefined, ...(s.layer.activity ? { activity: s.layer.activity } : {}),
    };
  });
  const cycles = stats.reduce((a, l) => a + (l.cycles ?? 0), 0);
  const compute = stats.reduce((a, l) => a + (l.compute_cycles ?? 0), 0);
  const energy = stats.reduce((a, l) => a + l.energy_j, 0);
  return {
    target: desc.name, kind: 'simd_cpu',
    summary: { cycles, latency_s: cycles / config.clockHz, energy_j: energy, breakdown_j: sumBreakdowns(stats), macs: stats.reduce((a, l) => a + l.macs, 0), utilization: cycles ? compute / cycles : 0 },
    layers: stats, warnings: [...warnings, ...reader.warnings, ...fits.warnings], notes, prices,
  };
}

/**
 * Lowering to a SIMD CPU: each layer becomes a step of vector instructions over cache tiles,
 * with counts a cost model can price — MACs per precision, instructions, bytes moved at every
 * cache level and from DRAM — and cycles per resource for a roofline.
 */
import { ConfigReader, MissingProperty } from '../config.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { FitWarnings, MAC_CLASSES, type MacClass, runClass } from '../precision.ts';
import type { LayerWork } from '../workload.ts';

export interface CacheLevel {
  name: 'l1' | 'l2' | 'l3';
  bytes: number;
  /** Bytes per cycle per core. */
  bandwidth: number;
}

export interface SimdCpuConfig {
  name: string;
  cores: number;
  clockHz: number;
  /** MACs per cycle per core by precision class, as given. */
  macs: Partial<Record<MacClass, number>>;
  /** MACs per vector instruction by class (over the instruction sequence that does them). */
  lanes: Partial<Record<MacClass, number>>;
  caches: CacheLevel[];
  dramBytesPerS: number;
}

export function simdCpuConfig(desc: TargetDescription): { config: SimdCpuConfig; warnings: string[]; notes: string[] } {
  const r = new ConfigReader(desc);
  const macs: Partial<Record<MacClass, number>> = {};
  for (const c of MAC_CLASSES) if (r.has(`macs.${c}`)) macs[c] = r.number(`macs.${c}`, 0, '');
  if (macs.f32 === undefined) throw new MissingProperty(desc.name, 'macs f32', 'macs f32 16');
  const lanes: Partial<Record<MacClass, number>> = {};
  // Two vector ports per core, as on current x86 and Arm server cores, when the target does not say.
  for (const c of MAC_CLASSES) if (macs[c] !== undefined) lanes[c] = r.number(`lanes.${c}`, Math.max(1, macs[c]! / 2), `${Math.max(1, macs[c]! / 2)} ${c} MACs per instruction (half of \`macs ${c}\`: two vector ports; write \`lanes ${c} N\`)`);
  const caches: CacheLevel[] = [];
  for (const name of ['l1', 'l2', 'l3'] as const) {
    const v = r.list(`cache.${name}`);
    if (v) caches.push({ name, bytes: v[0]!, bandwidth: v[1]! });
  }
  if (caches.length === 0) r.notes.push('caches (no `cache` levels: only DRAM traffic is modelled)');
  const config: SimdCpuConfig = {
    name: desc.name,
    cores: r.number('cores', 1, '1 core (write `cores N`)'),
    clockHz: r.number('clock', 2e9, '2 GHz (write `clock 2.4 GHz`)'),
    macs,
    lanes,
    caches,
    dramBytesPerS: r.number('dram', 20e9, '20 GB/s of DRAM bandwidth (write `dram 51 GB/s`)'),
  };
  return { config, warnings: r.warnings, notes: r.notes };
}

export interface SimdStep {
  layer: LayerWork;
  macClass: MacClass | 'vector';
  /** The MAC rate actually used: the class's own, or the nearest wider class the target gives. */
  ratePerCore: number;
  /** Register block (rows × columns) and per-level square tile edge, for GEMM layers. */
  registerBlock?: [number, number];
  tiles?: Record<string, number>;
  counts: { macs: number; vectorOps: number; instructions: number; bytes: Record<string, number> };
  cycles: Record<string, number>;
  notes: string[];
}

/**
 * Bytes a blocked GEMM moves into a cache level of `capacity` bytes: square tiles of edge b with
 * three b×b tiles resident (3·b²·e ≤ capacity) give 2·M·N·K/b + M·N element moves, and never less
 * than the compulsory traffic (each operand once).
 */
export function blockedGemmBytes(m: number, n: number, k: number, e: number, capacity: number, compulsory: number): { bytes: number; tile: number } {
  const b = Math.max(1, Math.floor(Math.sqrt(capacity / (3 * e))));
  if (b >= Math.max(m, n, k)) return { bytes: compulsory, tile: b };
  return { bytes: Math.max(compulsory, e * ((2 * m * n * k) / b + m * n)), tile: b };
}

/**
 * Bytes that must come into a cache of `capacity` from the level beyond it: the weights always
 * (they are read once per inference), the activations only when the layer's input and output do
 * not fit in half the cache (the previous layer left its output there otherwise).
 */
function compulsoryInto(layer: LayerWork, capacity: number): number {
  const activations = layer.inputBytes + layer.outputBytes;
  return layer.weightBytes + (activations <= capacity / 2 ? 0 : activations);
}

export function lowerSimdCpu(layers: LayerWork[], cfg: SimdCpuConfig, fits = new FitWarnings(cfg.name, Object.keys(cfg.macs) as MacClass[], '')): SimdStep[] {
  const has = Object.keys(cfg.macs) as MacClass[];
  return layers.map((layer) => {
    const notes: string[] = [...(layer.notes ?? [])];
    const compulsory = layer.weightBytes + layer.inputBytes + layer.outputBytes;
    const bytes: Record<string, number> = {};
    const cycles: Record<string, number> = {};
    if (layer.work.kind === 'free') {
      return { layer, macClass: 'vector', ratePerCore: 0, counts: { macs: 0, vectorOps: 0, instructions: 0, bytes }, cycles: { compute: 0 }, notes: [layer.work.why] };
    }
    const memLevels = [...cfg.caches.map((c) => ({ key: c.name, capacity: c.bytes * (c.name === 'l3' ? 1 : cfg.cores), perCycle: c.bandwidth * cfg.cores })), { key: 'dram', capacity: 0, perCycle: cfg.dramBytesPerS / cfg.clockHz }];
    if (layer.work.kind === 'gemm') {
      const g = layer.work;
      // A SIMD CPU always has f32 (required), so a class it lacks runs exactly on a wider one.
      const { cls } = runClass(g.macClass, has, 'f32');
      const fit = fits.add(layer.name, g.macClass, { cls, fit: cls === g.macClass ? 'native' : 'widened' });
      if (fit) notes.push(fit);
      const rate = cfg.macs[cls]!;
      const lanes = cfg.lanes[cls]!;
      const rm = 6, rn = Math.max(1, rate); // a BLIS-style register block, 6 × two vectors (a cycle's MACs)
      const e = Math.max(layer.inputBits, layer.weightBits) / 8;
      const macs = g.m * g.n * g.k * g.repeat;
      const tiles: Record<string, number> = {};
      // Registers ← L1: every MAC's operands come from L1 through the register block.
      bytes.l1 = memLevels.length > 1 ? macs * e * (1 / rm + 1 / rn) : 0;
      // Level i ← level i+1: the traffic of a blocked GEMM sized to the smaller level's capacity.
      for (let i = 1; i < memLevels.length; i++) {
        const inner = memLevels[i - 1]!;
        const t = blockedGemmBytes(g.m, g.n, g.k, e, inner.capacity, compulsoryInto(layer, inner.capacity) / g.repeat);
        tiles[inner.key] = t.tile;
        bytes[memLevels[i]!.key] = t.bytes * g.repeat;
      }
      if (cfg.caches.length === 0) bytes.dram = compulsory;
      for (const l of memLevels) if (bytes[l.key] !== undefined) cycles[l.key] = bytes[l.key]! / l.perCycle;
      // Zero-skipping leaves the operand traffic as it is: the zeros are read to be found.
      const done = Math.round(macs * (g.performed ?? 1));
      const issued = g.skipsTime ? done : macs;
      cycles.compute = issued / (rate * cfg.cores);
      return { layer, macClass: cls, ratePerCore: rate, registerBlock: [rm, rn], tiles, counts: { macs: done, vectorOps: 0, instructions: Math.ceil(issued / lanes), bytes }, cycles, notes };
    }
    // Elementwise, pooling, normalisation: streamed once through every level they do not fit in.
    const ops = layer.work.ops;
    const lanes = cfg.lanes.f32!;
    memLevels.forEach((l, i) => {
      bytes[l.key] = i === 0 ? compulsory : compulsoryInto(layer, memLevels[i - 1]!.capacity);
      cycles[l.key] = bytes[l.key]! / l.perCycle;
    });
    cycles.compute = ops / (cfg.macs.f32! * cfg.cores);
    return { layer, macClass: 'vector', ratePerCore: cfg.macs.f32!, counts: { macs: 0, vectorOps: ops, instructions: Math.ceil(ops / lanes), bytes }, cycles, notes };
  });
}

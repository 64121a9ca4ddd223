/**
 * Pricing by precision (docs/cost-model.md, "Pricing by precision"): one network written in f32,
 * i16, i8, ternary and binary moves fewer bytes and costs less energy in that order on every
 * preset, over the classes the preset computes; what a target cannot compute is warned about.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.ts';
import { compile } from '../../compiler/driver.ts';
import { estimate, type Workload } from '../../targets/estimate.ts';
import { presets } from '../../targets/resolve.ts';
import type { TargetResult } from '../../targets/stats.ts';
import { parseScaleSimConfig, simulateLayer } from '../../targets/systolic/scalesim.ts';
import { scaleSimTarget } from '../../targets/systolic/scalesim-import.ts';
import { memoryFiles } from '../helpers/memfs.ts';

const PRECISIONS = ['f32', 'i16', 'i8', 'ternary', 'binary'] as const;

/** The same small CNN at one precision: inputs, weights and activations all of it. */
const variant = (p: string) => `network v_${p}(batch = 1) {
  input x : ${p}[batch, 4, 16, 16]
  c = conv2d(x, 16, kernel = 3, pad = 1, weights = ${p}, activations = ${p})
  f = flatten(c)
  h = dense(f, 64, weights = ${p}, activations = ${p})
  y = dense(h, 10, weights = ${p}, activations = ${p})
  output y
}`;
const SOURCE = PRECISIONS.map(variant).join('\n');

function workload(p: string): Workload {
  return { kind: 'module', module: compile(`t.kiln:v_${p}`, { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module };
}

/** Bytes moved: SRAM and DRAM words on an array (each of the target's word), cache and DRAM 64-bit accesses on a CPU. */
function bytesMoved(r: TargetResult, wordBytes: number): number {
  const memory = /^(sram|dram|l1|l2|l3)\.(read|write)$/;
  return wordBytes * r.layers.reduce((a, l) => a + Object.entries(l.actions).filter(([k]) => memory.test(k)).reduce((s, [, n]) => s + n, 0), 0);
}

/** The classes a preset computes natively, from its `macs` lines. */
const natively = (props: Record<string, unknown>) => PRECISIONS.filter((p) => `macs.${p}` in props);

describe('one network in f32 / i16 / i8 / ternary / binary', () => {
  for (const [name, target] of presets()) {
    if (target.kind === 'neuromorphic') continue;
    it(`${name}: energy and bytes moved strictly fall with precision over the classes it computes`, () => {
      const has = natively(target.props);
      expect(has.length, `${name} states its precisions`).toBeGreaterThanOrEqual(2);
      const results = has.map((p) => estimate(workload(p), target));
      const wordBytes = target.kind === 'systolic' ? ({ i8: 1, i16: 2, f32: 4 } as Record<string, number>)[target.props.word!.value as string]! : 8;
      for (let i = 1; i < has.length; i++) {
        const [a, b] = [results[i - 1]!, results[i]!];
        expect(b.summary.energy_j, `${has[i]} < ${has[i - 1]} energy`).toBeLessThan(a.summary.energy_j);
        expect(bytesMoved(b, wordBytes), `${has[i]} < ${has[i - 1]} bytes`).toBeLessThan(bytesMoved(a, wordBytes));
      }
      // Each runs at its own class: no warning about precision.
      for (const r of results) expect(r.warnings.join('\n')).not.toMatch(/MACs|quantized/);
    });
  }
});

describe('neuromorphic presets: synapse memory by weight precision', () => {
  const snn = (p: string) => `network s_${p}(batch = 1) { timesteps 4  input x : f32[batch, 200]  h = dense(x, 300, weights = ${p}) -> lif  y = dense(h, 10, weights = ${p}) -> lif  output y }`;
  const src = PRECISIONS.map(snn).join('\n');
  const run = (p: string, t: Parameters<typeof estimate>[1]) => estimate({ kind: 'module', module: compile(`s.kiln:s_${p}`, { readFile: memoryFiles({ 's.kiln': src }) }).module }, t, { defaultRate: 0.1 });

  for (const [name, target] of presets()) {
    if (target.kind !== 'neuromorphic') continue;
    it(`${name}: i8, ternary, binary weights take strictly less synapse memory and never more dynamic energy; f32 and i16 are assumed quantized to weight_bits`, () => {
      const bits = target.props.weight_bits!.value as number;
      // Compared on the tightest packing: without static power the estimate never spreads the
      // work over more cores (targets/neuromorphic/cost.ts), which changes the words per synapse.
      const { static_power: _, ...props } = target.props;
      const fits = (['i8', 'ternary', 'binary'] as const).map((p) => run(p, { ...target, props }));
      const words = fits.map((r) => r.summary.synapse_memory_words as number);
      expect(fits.map((r) => r.summary.weight_bits)).toEqual([8, 2, 1].map((b) => Math.min(b, bits)));
      for (let i = 1; i < fits.length; i++) {
        expect(words[i]).toBeLessThan(words[i - 1]!);
        // Loihi's synaptic operation energy is one published figure for 1-9-bit weights (Davies et al.
        // 2018, Table 2): no per-bit split is invented. Fewer cores send fewer messages.
        expect(fits[i]!.summary.energy_j).toBeLessThanOrEqual(fits[i - 1]!.summary.energy_j * (1 + 1e-12));
      }
      for (const r of fits) expect(r.warnings.join('\n')).not.toContain('ASSUMES');
      const f32 = run('f32', target);
      expect(f32.summary.weight_bits).toBe(bits);
      expect(f32.warnings.join('\n')).toMatch(new RegExp(`ASSUMES the weights of \`h\\.dense\` \\(f32\\), \`y\\.dense\` \\(f32\\) are quantized to ${bits} bits`));
    });
  }
});

describe('a precision the target cannot compute', () => {
  const tpu = () => presets().get('tpu_v1_like')!;

  it('an f32 layer on tpu_v1_like (8- and 16-bit MACs only) is priced as i8, its word type, with a warning saying so', () => {
    const r = estimate(workload('f32'), tpu());
    const w = r.warnings.join('\n');
    expect(w).toMatch(/tpu_v1_like: cannot compute f32 \(it has i16, i8 MACs\); Kiln ASSUMES f32 layers \(`c`, `h`, `y`\) are quantized to i8, its `word` type/);
    expect(r.layers.find((l) => l.name === 'c')!.actions['mac.i8']).toBeGreaterThan(0);
    expect(r.layers.find((l) => l.name === 'c')!.notes!.join('\n')).toContain('assumed quantized to i8');
  });

  it('i16 on tpu_v1_like runs at quarter speed (Jouppi et al. 2017) and its MAC price is derived from mac.i8, saying so', () => {
    const i16 = estimate(workload('i16'), tpu()), i8 = estimate(workload('i8'), tpu());
    const c16 = i16.layers.find((l) => l.name === 'c')!, c8 = i8.layers.find((l) => l.name === 'c')!;
    expect(c16.compute_cycles! / c8.compute_cycles!).toBeCloseTo(4, 1);
    expect(i16.prices['mac.i16']!.joules).toBeCloseTo(4 * i8.prices['mac.i8']!.joules, 20);
    expect(i16.prices['mac.i16']!.source).toMatch(/^derived by Kiln from energy\.mac\.i8 \(.*tpu-v1-like\.kiln:\d+:\d+ \(energy\.mac\.i8\)\)/);
  });

  it('binary layers on tpu_v1_like run exactly on its i8 MACs (a note on each layer, not a warning: nothing is approximated), costing what i8 does', () => {
    const b = estimate(workload('binary'), tpu()), i8 = estimate(workload('i8'), tpu());
    expect(b.warnings).toEqual([]);
    for (const name of ['c', 'h', 'y']) expect(b.layers.find((l) => l.name === name)!.notes?.join('\n')).toMatch(/binary MACs run on the target's i8 MACs \(no `macs binary`\); priced as mac\.i8/);
    expect(b.layers.find((l) => l.name === 'h')!.sram_reads).toEqual(i8.layers.find((l) => l.name === 'h')!.sram_reads);
  });
});

describe('SCALE-Sim .cfg targets keep SCALE-Sim\'s counts whatever the precision', () => {
  it('a binary layer on a .cfg target moves exactly the words SCALE-Sim counts; the same layer on the packing preset moves fewer', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-cfg-'));
    const cfgFile = path.join(dir, 'scale.cfg');
    // SCALE-Sim v2's shipped scale.cfg, at 32 × 32, output stationary.
    writeFileSync(cfgFile, '[general]\nrun_name = scale_run\n\n[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nIfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow: os\nBandwidth: 10\nMemoryBanks: 1\n\n[run_presets]\nInterfaceBandwidth: CALC\n');
    const cfgTarget = scaleSimTarget(cfgFile);
    const sim = simulateLayer(parseScaleSimConfig(readFileSync(cfgFile, 'utf8'), cfgFile), { M: 1, N: 64, K: 4096 });
    for (const p of ['binary', 'i8', 'f32']) {
      const h = estimate(workload(p), cfgTarget).layers.find((l) => l.name === 'h')!;
      expect([h.sram_reads, h.sram_writes, h.dram_reads, h.dram_writes, h.compute_cycles]).toEqual([
        { ifmap: sim.sramIfmapReads, filter: sim.sramFilterReads }, { ofmap: sim.sramOfmapWrites },
        { ifmap: sim.dramIfmapReads, filter: sim.dramFilterReads }, { ofmap: sim.dramOfmapWrites }, sim.computeCycles]);
    }
    // The systolic_32x32 preset is the same array; at its own word type (i8) it counts as SCALE-Sim does, packed binary moves 1/8.
    const preset = presets().get('systolic_32x32')!;
    const i8 = estimate(workload('i8'), preset).layers.find((l) => l.name === 'h')!;
    expect(i8.sram_reads).toEqual({ ifmap: sim.sramIfmapReads, filter: sim.sramFilterReads });
    const bin = estimate(workload('binary'), preset).layers.find((l) => l.name === 'h')!;
    expect(bin.sram_reads!.filter).toBe(sim.sramFilterReads / 8);
  });
});

describe('parameter bytes at the stored precision', () => {
  it('per layer and in total, bit-packed, with scales and 32-bit biases; in --json and in text', () => {
    // conv 16 × 4 × 3 × 3, dense(16·16·16 → 64), dense(64 → 10).
    const size = (p: string) => estimate(workload(p), presets().get('avx2_laptop')!);
    const weights = [16 * 4 * 9, 64 * 4096, 10 * 64];
    const biases = (16 + 64 + 10) * 4;
    const expected: Record<string, number> = {
      f32: weights.reduce((a, n) => a + 4 * n, 0) + biases,
      i16: weights.reduce((a, n) => a + 2 * n + 1, 0) + biases,
      i8: weights.reduce((a, n) => a + n + 4, 0) + biases,
      ternary: weights.reduce((a, n) => a + Math.ceil(n / 4) + 4, 0) + biases,
      binary: weights.reduce((a, n) => a + Math.ceil(n / 8) + 4, 0) + biases,
    };
    for (const p of PRECISIONS) {
      const r = size(p);
      expect(r.summary.param_bytes, p).toBe(expected[p]);
      expect(r.layers.reduce((a, l) => a + (l.param_bytes ?? 0), 0)).toBe(expected[p]);
    }
    expect(size('binary').layers.find((l) => l.name === 'h')!.param_bytes).toBe(64 * 4096 / 8 + 4 + 64 * 4);
    // per_channel: one scale per output channel.
    const pc = estimate({ kind: 'module', module: compile('p.kiln', { readFile: memoryFiles({ 'p.kiln': 'network p { input x : i8[1, 100]  y = dense(x, 20, weights = i8 per_channel, activations = i8)  output y }' }) }).module }, presets().get('avx2_laptop')!);
    expect(pc.summary.param_bytes).toBe(20 * 100 + 20 * 4 + 20 * 4);

    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-size-'));
    writeFileSync(path.join(dir, 'n.kiln'), variant('binary'));
    const json = runMain(['estimate', path.join(dir, 'n.kiln'), '--target', 'systolic_32x32', '--json']);
    const doc = JSON.parse(json.out) as { results: { summary: { param_bytes: number }; layers: { name: string; param_bytes: number }[] }[] };
    expect(doc.results[0]!.summary.param_bytes).toBe(expected.binary);
    expect(doc.results[0]!.layers.find((l) => l.name === 'h')!.param_bytes).toBe(33028);
    const text = runMain(['estimate', path.join(dir, 'n.kiln'), '--target', 'systolic_32x32', '--per-layer']);
    expect(text.out).toMatch(/\bparameters\s+33\.29 kB\n/);
    expect(text.out).toMatch(/\nh\s+dense .* 33\.03 kB\n/);
  });
});


/**
 * `kiln estimate` across kinds: the energy invariant (Σ count × price), every example on every
 * preset, defaults always warned about, sanity against published figures, and the JSON shape.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.ts';
import { KilnError } from '../../compiler/lang/diagnostics.ts';
import { runMain } from '../helpers/cli.ts';
import { estimate, type Workload } from '../../targets/estimate.ts';
import { presets, resolveTarget } from '../../targets/resolve.ts';
import type { TargetResult } from '../../targets/stats.ts';
import { checkFile } from '../../compiler/driver.ts';
import { memoryFiles } from '../helpers/memfs.ts';
import { examplesDir, kilnFiles } from '../helpers/paths.ts';

function moduleOf(file: string, overrides?: Record<string, number>): Workload {
  return { kind: 'module', module: compile(file, { overrides: overrides ? new Map(Object.entries(overrides)) : undefined }).module };
}

function fromSource(src: string, network?: string): Workload {
  return { kind: 'module', module: compile(network ? `t.kiln:${network}` : 't.kiln', { readFile: memoryFiles({ 't.kiln': src }) }).module };
}

function targetFromSource(src: string, name: string) {
  return checkFile('t.kiln', { readFile: memoryFiles({ 't.kiln': src }) }).targets.get(name)!;
}

/** Recompute every layer's energy from its actions and the price table, and the total. */
function checkInvariant(r: TargetResult): void {
  let total = 0;
  for (const l of r.layers) {
    let e = 0;
    for (const [action, count] of Object.entries(l.actions)) e += count * r.prices[action]!.joules;
    expect(l.energy_j).toBeCloseTo(e, 18);
    total += e;
  }
  const staticJ = r.summary.breakdown_j.static ?? 0;
  expect(r.summary.energy_j).toBeCloseTo(total + staticJ, 15);
  const parts = Object.values(r.summary.breakdown_j).reduce((a, b) => a + b, 0);
  expect(parts).toBeCloseTo(r.summary.energy_j, 15);
}

const ASSUMED_PRECISION = /Kiln ASSUMES .* quantized to/;

describe('every example on every preset', () => {
  const examples = kilnFiles(examplesDir);
  for (const file of examples) {
    for (const [name, target] of presets()) {
      it(`${path.basename(file)} on ${name}`, () => {
        const w = moduleOf(file, { batch: 1 });
        // Sigma-delta LMUs run on a neuromorphic chip as hybrid spiking layers (targets/neuromorphic/lmu-cost.ts).
        const spiking = Object.values((w as { module: { nodes: Record<string, { op: string; attrs: Record<string, unknown> }> } }).module.nodes)
          .some((n) => n.op === 'lif' || (n.op === 'lmu' && n.attrs.sigma_delta !== undefined));
        if (target.kind === 'neuromorphic' && !spiking) {
          // Explained, not crashed: a neuromorphic chip runs spiking networks only.
          expect(() => estimate(w, target, { defaultRate: 0.05 })).toThrowError(/no lif layers/);
          return;
        }
        const r = estimate(w, target, { defaultRate: 0.05 });
        // A shipped preset states every figure it is priced by; what it leaves out is a note. What
        // remains is the network's doing: a precision the target cannot compute natively, which
        // Kiln prices at an assumed quantization and says so (issue 10's rule).
        expect(r.warnings.filter((x) => !ASSUMED_PRECISION.test(x))).toEqual([]);
        expect(r.summary.energy_j).toBeGreaterThan(0);
        expect(r.summary.latency_s).toBeGreaterThan(0);
        checkInvariant(r);
        for (const l of r.layers) {
          if (l.utilization !== undefined) expect(l.utilization).toBeGreaterThanOrEqual(0), expect(l.utilization).toBeLessThanOrEqual(1);
          if (l.mapping_efficiency !== undefined) expect(l.mapping_efficiency).toBeLessThanOrEqual(1);
        }
      });
    }
  }
});

describe('defaults are warned about, never silent', () => {
  it('a minimal systolic target lists every default it used', () => {
    const t = targetFromSource('target tiny : systolic { array 8 x 8 }', 'tiny');
    const r = estimate(fromSource('network n { input x : f32[1, 16]  y = dense(x, 8)  output y }'), t);
    const w = r.warnings.join('\n');
    for (const key of ['clock', 'dataflow', 'sram.ifmap', 'sram.filter', 'sram.ofmap', 'word', 'energy { mac.i8', 'energy { sram.read', 'energy { dram.read']) expect(w).toContain(key);
    // A fully specified preset warns about nothing it was given.
    const full = estimate(fromSource('network n { input x : f32[1, 16]  y = dense(x, 8)  output y }'), presets().get('tpu_v1_like')!);
    expect(full.warnings.join('\n')).not.toContain('clock');
  });

  it('a price from the target names its file and line; a default names its publication', () => {
    const r = estimate(moduleOf(path.join(examplesDir, 'mlp.kiln')), presets().get('avx2_laptop')!);
    expect(r.prices['mac.f32']!.source).toMatch(/avx2-laptop\.kiln:\d+:\d+ \(energy\.mac\.f32\)/);
    const bare = targetFromSource('target cpu : simd_cpu { macs f32 16 }', 'cpu');
    expect(estimate(moduleOf(path.join(examplesDir, 'mlp.kiln')), bare).prices['op.vector']!.source).toContain('Horowitz');
  });

  it('overrides through `extends` change the result: twice the clock, half the latency', () => {
    const src = 'import "x"\n';
    void src;
    const base = presets().get('systolic_32x32')!;
    const fast = { ...base, name: 'fast', props: { ...base.props, clock: { ...base.props.clock!, value: 2e9 } } };
    const w = moduleOf(path.join(examplesDir, 'lenet5.kiln'), { batch: 1 });
    const a = estimate(w, base), b = estimate(w, fast);
    expect(b.summary.cycles).toBe(a.summary.cycles);
    expect(b.summary.latency_s).toBeCloseTo(a.summary.latency_s / 2, 15);
  });
});

describe('SIMD CPU', () => {
  it('binary weights and activations use the popcount rate and are cheaper than f32', () => {
    const src = `network f { input x : f32[1, 1024]  h = dense(x, 1024) -> sign  y = dense(h, 1024)  output y }
network b { input x : f32[1, 1024]  h = dense(x, 1024) -> sign  y = dense(h, 1024, weights = binary)  output y }`;
    const cpu = presets().get('avx2_laptop')!;
    const f = estimate(fromSource(src, 'f'), cpu).layers.find((l) => l.name === 'y')!;
    const b = estimate(fromSource(src, 'b'), cpu).layers.find((l) => l.name === 'y')!;
    expect(b.unit).toBe('simd binary');
    expect(f.unit).toBe('simd f32');
    // avx2_laptop: 64 binary MACs vs 16 f32 MACs per cycle per core.
    expect(f.compute_cycles! / b.compute_cycles!).toBeCloseTo(4, 10);
    expect(b.energy_j).toBeLessThan(f.energy_j);
  });

  it('a big GEMM is compute bound and a ReLU memory bound', () => {
    const r = estimate(fromSource('network n { input x : f32[512, 512]  h = dense(x, 512)  y = relu(h)  output y }'), presets().get('avx2_laptop')!);
    expect(r.layers.find((l) => l.name === 'h')!.bound).toBe('compute');
    expect(r.layers.find((l) => l.name === 'y')!.bound).toMatch(/^memory/);
  });
});

describe('systolic sanity against TPU v1 (Jouppi et al., ISCA 2017: 92 TOPS peak, 75 W TDP)', () => {
  it('at full utilization the TPU-like preset computes near 92 TOPS and 1.2-2.5 TOPS/W', () => {
    // K and N are multiples of 256 so every fold fills the array; a long M amortises fill and drain.
    const r = estimate(fromSource('network g { input x : i8[65536, 256]  y = dense(x, 256, weights = i8, activations = i8)  output y }'), presets().get('tpu_v1_like')!);
    const l = r.layers[0]!;
    const computeSeconds = l.compute_cycles! / 700e6;
    const tops = (2 * l.macs) / computeSeconds / 1e12;
    expect(tops).toBeGreaterThan(92 * 0.97);
    expect(tops).toBeLessThanOrEqual(92 * 1.0001);
    // Power while computing: array and buffers plus the preset's static power, without DRAM.
    const busyJ = r.summary.energy_j - (r.summary.breakdown_j.dram ?? 0) - (r.summary.breakdown_j.static ?? 0) + 40 * computeSeconds;
    const topsPerW = tops / (busyJ / computeSeconds);
    expect(topsPerW).toBeGreaterThan(92 / 75);
    expect(topsPerW).toBeLessThan(2.5);
  });
});

describe('neuromorphic', () => {
  const snn = `network s(batch = 1) { timesteps 10  input x : f32[batch, 100]  h = dense(x, 50) -> lif  output h }`;

  it('the Loihi preset carries the per-event energies of Davies et al. 2018, Table 2', () => {
    const r = estimate(fromSource(snn), presets().get('loihi_1chip')!, { defaultRate: 0.2 });
    expect(r.prices.synop!.joules).toBeCloseTo(23.6e-12, 20);
    expect(r.prices['neuron.active']!.joules).toBeCloseTo(81e-12, 20);
    expect(r.prices['neuron.inactive']!.joules).toBeCloseTo(52e-12, 20);
    expect(r.prices['spike.tile']!.joules).toBeCloseTo(1.7e-12, 20);
  });

  it('a one-core network costs exactly its synops, neuron updates and input messages, by hand', () => {
    // Without static power the one core is kept; with it the estimate spreads the work (test/targets/neuromorphic/spread.test.ts).
    const { static_power: _, ...props } = presets().get('loihi_1chip')!.props;
    const r = estimate(fromSource(snn), { ...presets().get('loihi_1chip')!, props }, { defaultRate: 0.2 });
    // 100 inputs at 0.2 spikes/step, each reaching 50 synapses: 1,000 synops per step, 10 steps.
    expect(r.layers[0]!.actions.synop).toBeCloseTo(10_000, 6);
    // 50 neurons, 20% active per step.
    expect(r.layers[0]!.actions['neuron.active']).toBeCloseTo(100, 6);
    expect(r.layers[0]!.actions['neuron.inactive']).toBeCloseTo(400, 6);
    const dynamic = 10_000 * 23.6e-12 + 100 * 81e-12 + 400 * 52e-12;
    // The host sends each input spike to the one core: 20 messages a step, within tile 0.
    expect(r.layers[0]!.actions['spike.tile']).toBeCloseTo(200, 6);
    expect(r.layers[0]!.energy_j).toBeCloseTo(dynamic + 200 * 1.7e-12, 18);
    expect(r.summary.cycles).toBeUndefined();
    checkInvariant(r);
  });

  it('a fan-in over the input-axon limit is an error naming the layer and the limit', () => {
    const big = `network s { timesteps 4  input x : f32[1, 5000]  h = dense(x, 10) -> lif  output h }`;
    try {
      estimate(fromSource(big), presets().get('loihi_1chip')!, { defaultRate: 0.1 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KilnError);
      const msg = (e as KilnError).diagnostics[0]!.message;
      expect(msg).toContain('h.dense');
      expect(msg).toContain('5,000 input axons');
      expect(msg).toContain('the limit is 4,096');
    }
  });

  it('a network too big for one chip is an error there and spreads over the 32-chip board', { timeout: 180_000 }, () => {
    // 147,456 neurons: just over the 131,072 of one chip's 128 cores of 1,024 (bigger only costs time).
    const wide = `network w { timesteps 4  input x : f32[1, 2, 48, 48]  a = conv2d(x, 32, 3, pad = 1) -> lif  b = conv2d(a, 32, 3, pad = 1) -> lif  output b }`;
    expect(() => estimate(fromSource(wide), presets().get('loihi_1chip')!, { defaultRate: 0.1 })).toThrowError(/more than the 128 cores of `loihi_1chip`/);
    const r = estimate(fromSource(wide), presets().get('loihi_32chip')!, { defaultRate: 0.1 });
    expect(r.summary.chips_used as number).toBeGreaterThan(1);
    expect(r.summary.breakdown_j['inter-chip links']).toBeGreaterThan(0);
    checkInvariant(r);
  });
});

describe('kiln estimate CLI', () => {
  const run = runMain;

  it('--json has the documented shape; inapplicable keys are omitted', () => {
    const r = run(['estimate', path.join(examplesDir, 'spiking_cnn.kiln'), '--target', 'tpu_v1_like', '--target', 'loihi_1chip', '--json', '--rate', '0.05', '--set', 'batch=1']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { results: TargetResult[] };
    expect(doc.results.map((x) => x.kind)).toEqual(['systolic', 'neuromorphic']);
    const sys = doc.results[0]!;
    for (const k of ['cycles', 'latency_s', 'energy_j', 'breakdown_j', 'macs', 'utilization']) expect(sys.summary).toHaveProperty(k);
    const conv = sys.layers.find((l) => l.op === 'conv2d')!;
    for (const k of ['name', 'op', 'macs', 'cycles', 'compute_cycles', 'stall_cycles', 'energy_j', 'utilization', 'mapping_efficiency', 'sram_reads', 'sram_writes', 'dram_reads', 'dram_writes']) expect(conv).toHaveProperty(k);
    const neuro = doc.results[1]!;
    expect(neuro.summary).not.toHaveProperty('cycles');
    expect(neuro.layers[0]).not.toHaveProperty('sram_reads');
  });

  it('a human report has one totals column per target', () => {
    const r = run(['estimate', path.join(examplesDir, 'lenet5.kiln'), '--target', 'avx2_laptop', '--target', 'systolic_32x32', '--per-layer']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/== totals ==\n\s+avx2_laptop\s+systolic_32x32/);
    expect(r.out).toContain('== avx2_laptop (simd_cpu) — per layer, whole batch ==');
  });

  it('usage errors exit 2, unknown preset names too, with a hint and the presets', () => {
    expect(run(['estimate', path.join(examplesDir, 'lenet5.kiln')]).code).toBe(2);
    expect(run(['estimate', path.join(examplesDir, 'lenet5.kiln'), '--target', 'x', '--rate', '7']).code).toBe(2);
    const r = run(['estimate', path.join(examplesDir, 'lenet5.kiln'), '--target', 'tpu_v1_lik']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('did you mean `tpu_v1_like`?');
    expect(r.err).toContain('presets: avx2_laptop,');
  });

  it('resolves FILE.kiln:TARGET', () => {
    const t = resolveTarget(path.join(path.dirname(examplesDir), 'targets/presets/loihi-32chip.kiln:loihi_32chip'));
    expect(t.extends).toEqual(['loihi_1chip']);
    expect(t.props.chips!.value).toBe(32);
  });
});

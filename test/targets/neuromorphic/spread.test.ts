/**
 * Spreading work over a powered chip's idle cores (targets/neuromorphic/cost.ts, spreadMapping):
 * static power is paid per powered chip for the whole time step and the busiest core sets the
 * step, so the estimate uses more cores of the chips it already powers when that costs less.
 * Hand-computed on a target whose only time is 10 ns per neuron update and whose spike messages
 * are free, so the step is 10 ns × the most neurons on one core, and nothing but static energy
 * depends on the mapping.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileText } from '../../helpers/kiln.ts';
import { neuromorphicEstimate, priceMapping } from '../../../targets/neuromorphic/cost.ts';
import { neuromorphicConfig } from '../../../targets/neuromorphic/config.ts';
import { mapNetwork, populationCores } from '../../../targets/neuromorphic/network-mapping.ts';
import { presets, resolveTarget } from '../../../targets/resolve.ts';

const target = (staticPower: string) => `target tiny : neuromorphic {
  chips 1  chip_mesh 1 x 1  cores_per_chip 8  tile_mesh 2 x 2  cores_per_tile 2
  limit neurons 10  limit input_axons 64  limit output_axons 64  limit synapse_memory 1024
  weight_bits 8  timestep 1 ns  ${staticPower}
  energy { synop 1 pJ/event  neuron.active 1 pJ/update  neuron.inactive 1 pJ/update  spike.tile 0 pJ/spike  hop.ew 0 pJ/hop  hop.ns 0 pJ/hop }
  latency { synop 0 ns  neuron.active 10 ns  neuron.inactive 10 ns  spike.tile 0 ns  hop.ew 0 ns  hop.ns 0 ns }
}`;
const NETWORK = 'network s(batch = 1) { timesteps 1  input x : f32[1, 16]  h = dense(x, 16) -> lif  output h }';

function tiny(staticPower: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-spread-'));
  writeFileSync(path.join(dir, 't.kiln'), target(staticPower));
  return resolveTarget(`${path.join(dir, 't.kiln')}:tiny`);
}

describe('spreading a one-chip network over the chip\'s idle cores', () => {
  const m = compileText(NETWORK).module;

  it('16 neurons of 10 ns each: packed at most 8 a core (80 % of 10) on 3 cores; spread, no core may take more than 1.1 × 160 ns / 6 cores = 29.3 ns, so 2 neurons on each of the chip\'s 8 cores: the step falls to 20 ns and the static energy with it', () => {
    const est = neuromorphicEstimate(tiny('static_power 1 W'), m, { defaultRate: 0.5, seed: 1 });
    const s = est.result.summary;
    expect(s.cores_packed).toBe(3);
    expect(s.cores_used).toBe(8);
    expect(populationCores(est.mapping)[1]!.maxNeurons).toBe(2);
    expect(s.latency_s).toBeCloseTo(20e-9, 15);
    // Dynamic energy is the same in any mapping: 16 inputs × 0.5 spikes × 16 synapses × 1 pJ + 16 updates × 1 pJ.
    const dynamic = 128e-12 + 16e-12;
    expect(s.energy_j).toBeCloseTo(dynamic + 1 * 20e-9, 18);
    // The greedy fill (nengo-loihi's baseline, never spread) packs 8 + 8 on 2 cores: 80 ns, 80 nJ of static energy.
    const packed = neuromorphicEstimate(tiny('static_power 1 W'), m, { defaultRate: 0.5, seed: 1, strategy: 'greedy' }).result.summary;
    expect(packed.cores_used).toBe(2);
    expect(packed.latency_s).toBeCloseTo(80e-9, 15);
    expect(packed.energy_j).toBeCloseTo(dynamic + 1 * 80e-9, 18);
  });

  it('without static power nothing is saved by spreading: the tightest packing is kept', () => {
    const s = neuromorphicEstimate(tiny(''), m, { defaultRate: 0.5, seed: 1 }).result.summary;
    expect(s.cores_packed).toBeUndefined();
      expect(s.cores_used).toBe(3);
  });
});

/**
 * One chip of loihi_32chip against loihi_1chip. Both presets declare the same chip (cores,
 * tiles, per-core limits, weight bits, per-event energies and latencies, static power per
 * chip); loihi_32chip adds chips, their mesh and link energy, and declares a 16.2 µs time step
 * (the barrier over every chip of the board) where loihi_1chip has 465 ns. So one network that
 * fits one chip is mapped by the same rule on both, but a step on loihi_32chip cannot be shorter
 * than 16.2 µs: once the busiest core's work fits in that, more cores only add spike messages.
 * That is why the spiking U-Net keeps 62 cores there and 115 on loihi_1chip
 * (docs/neuromorphic-mapping.md, "The U-Net in one table").
 */
describe('spreading on one chip of loihi_32chip and of loihi_1chip', () => {
  const one = presets().get('loihi_1chip')!, board = presets().get('loihi_32chip')!;
  // 512 neurons each fed by all 256 inputs, every neuron and input firing at 0.5 per step.
  const m = compileText('network d(batch = 1) { timesteps 4  input x : f32[1, 256]  h = dense(x, 512) -> lif  output h }').module;
  const opts = { defaultRate: 0.5, seed: 1 };
  // A step's work, all cores together: 512 × 256 × 0.5 synaptic operations of 3.5 ns, and 512
  // neuron updates, half active (8.4 ns) and half not (5.3 ns): 229.376 + 3.507 = 232.883 µs.
  const work = 512 * 256 * 0.5 * 3.5e-9 + 512 * (0.5 * 8.4e-9 + 0.5 * 5.3e-9);

  it('the presets differ only in chips, chip mesh, time step and the inter-chip spike energy', () => {
    const keys = new Set([...Object.keys(one.props), ...Object.keys(board.props)]);
    const differ = [...keys].filter((k) => JSON.stringify(one.props[k]?.value) !== JSON.stringify(board.props[k]?.value)).sort();
    expect(differ).toEqual(['chip_mesh', 'chips', 'energy.spike.chip', 'timestep']);
    expect(neuromorphicConfig(one).config.barrierS).toBeCloseTo(465e-9, 15);
    expect(neuromorphicConfig(board).config.barrierS).toBeCloseTo(16.2e-6, 15);
  });

  it('loihi_32chip spreads the work until the busiest core fits in its 16.2 µs step (16 cores: 14.6 µs; 8 would take 29.1 µs); loihi_1chip, whose step is 465 ns, keeps spreading; the same mapping on both differs only by the static energy of the longer step', () => {
    const b = neuromorphicEstimate(board, m, opts), o = neuromorphicEstimate(one, m, opts);
    // 8 cores cannot fit the work into 16.2 µs; at 16 each core's share is at most 1.1 × 232.9 / 16 = 16.0 µs.
    expect(work / 8).toBeGreaterThan(16.2e-6);
    expect(b.result.summary.cores_used).toBe(16);
    expect(Math.max(...b.events.coreTime)).toBeCloseTo(work / 16, 9);
    expect(b.result.summary.per_timestep!.latency_s).toBeCloseTo(16.2e-6, 15);
    expect(b.result.summary.chips_used).toBe(1);
    // The rule is the same: spread over 16 cores of loihi_1chip, the network lands on the same cores and tiles.
    const same = mapNetwork(m, neuromorphicConfig(one).config, { ...opts, spreadCores: 16 });
    expect([...same.cores.parts]).toEqual([...b.mapping.cores.parts]);
    expect([...same.placement.tile]).toEqual([...b.mapping.placement.tile]);
    // Priced on loihi_1chip, that mapping costs 104 mW × (16.2 µs − its own step) × 4 steps less.
    const there = priceMapping(one, o.config, neuromorphicConfig(one).reader, same, m.timesteps).result.summary;
    expect(b.result.summary.energy_j - there.energy_j).toBeCloseTo(0.104 * (16.2e-6 - there.per_timestep!.latency_s) * 4, 15);
    // loihi_1chip's busiest core still sets its step, so it spreads further and spends less than at 16 cores.
    expect(o.result.summary.cores_used).toBeGreaterThan(16);
    expect(Math.max(...o.events.coreTime)).toBeGreaterThan(465e-9);
    expect(o.result.summary.energy_j).toBeLessThan(there.energy_j);
  });

  it('given loihi_1chip\'s 465 ns step, loihi_32chip prices a one-chip network exactly as loihi_1chip does', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-spread-'));
    writeFileSync(path.join(dir, 'b.kiln'), 'target board extends loihi_32chip { timestep 465 ns }\n');
    const b = neuromorphicEstimate(resolveTarget(`${path.join(dir, 'b.kiln')}:board`), m, opts).result.summary;
    const o = neuromorphicEstimate(one, m, opts).result.summary;
    expect(b.cores_used).toBe(o.cores_used);
    expect(b.cores_used).toBeGreaterThan(16);
    expect(b.energy_j).toBe(o.energy_j);
    expect(b.latency_s).toBe(o.latency_s);
  });
});

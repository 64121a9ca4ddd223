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
import { neuromorphicEstimate } from '../../../targets/neuromorphic/cost.ts';
import { populationCores } from '../../../targets/neuromorphic/network-mapping.ts';
import { resolveTarget } from '../../../targets/resolve.ts';

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

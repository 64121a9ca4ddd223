import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { compileText } from '../../helpers/kiln.ts';
import type { NeuromorphicConfig } from '../../../targets/neuromorphic/config.ts';
import { neuronGraph } from '../../../targets/neuromorphic/neuron-graph.ts';
import { hasSkips, limitsOf, mapNetwork } from '../../../targets/neuromorphic/network-mapping.ts';
import { mapToCores } from '../../../targets/neuromorphic/map-cores.ts';

const cfg: NeuromorphicConfig = {
  name: 'tiny', chips: 1, chipMesh: [1, 1], coresPerChip: 64, tileMesh: [4, 4], coresPerTile: 4,
  limits: { neurons: 64, inputAxons: 512, outputAxons: 256, synapseWords: 2048 }, weightBits: 8,
  barrierS: 1e-6, staticPowerW: 0, latency: { synop: 1e-9, 'neuron.active': 1e-9, 'neuron.inactive': 1e-9, 'hop.ew': 1e-9, 'hop.ns': 1e-9 },
};
const stack = `network s(batch = 1) { timesteps 4  input x : f32[1, 2, 8, 8]  a = conv2d(x, 8, 3, pad = 1) -> lif  b = conv2d(a, 8, 3, pad = 1) -> lif  y = flatten(b) -> dense(10) -> lif  output y }`;
const unet = () => compile('bench/networks/unet_spiking.kiln', { overrides: new Map([['batch', 1], ['size', 8]]) }).module;

// The mapper gives the partitioner the populations as layers only across skip connections
// (network-mapping.ts says why: measured worse on plain stacks, better on the U-Net).
describe('the layer hint in the mapper', () => {
  it('finds skip connections: a population read by two layers, not the host input', () => {
    expect(hasSkips(neuronGraph(compileText(stack).module))).toBe(false);
    // The input feeds two layers here, but its spikes come from the host.
    expect(hasSkips(neuronGraph(compileText(stack.replace('y = flatten(b)', 'c = conv2d(x, 8, 3, pad = 1) -> lif  y = flatten(b)').replace('output y', 'output y, c')).module))).toBe(false);
    expect(hasSkips(neuronGraph(unet()))).toBe(true);
  });

  // A population feeding two layers is a skip only when one of them reaches the other: two
  // branches that meet again, or two readout heads, tie no encoder block to a decoder block.
  it('does not count parallel branches or two readout heads as skips', () => {
    const branches = `network s(batch = 1) { timesteps 4  input x : f32[1, 2, 8, 8]  a = conv2d(x, 8, 3, pad = 1) -> lif  b = conv2d(a, 4, 3, pad = 1) -> lif  c = conv2d(a, 4, 1) -> lif  m = concat(b, c, axis = 1) -> conv2d(8, 3, pad = 1) -> lif  y = flatten(m) -> dense(10) -> lif  output y }`;
    const heads = `network s(batch = 1) { timesteps 4  input x : f32[1, 2, 8, 8]  a = conv2d(x, 8, 3, pad = 1) -> lif  y = flatten(a) -> dense(10) -> lif  z = flatten(a) -> dense(3) -> lif  output y, z }`;
    // The same branches with a skip from a around them into the join.
    const skip = branches.replace('m = concat(b, c, axis = 1)', 'm = concat(b, c, a, axis = 1)');
    expect(hasSkips(neuronGraph(compileText(branches).module))).toBe(false);
    expect(hasSkips(neuronGraph(compileText(heads).module))).toBe(false);
    expect(hasSkips(neuronGraph(compileText(skip).module))).toBe(true);
  });

  it('passes one layer per vertex, its population, for the U-Net and none for a plain stack', () => {
    const mp = mapNetwork(unet(), cfg, { defaultRate: 0.1 });
    expect(mp.hypergraph.layer).toBe(mp.vertexPopulation);
    expect(mp.hypergraph.layer).toHaveLength(mp.graph.nv);
    expect(mapNetwork(compileText(stack).module, cfg, { defaultRate: 0.1 }).hypergraph.layer).toBeUndefined();
  }, 60_000);

  // The partitioner must get the hint, not only the hypergraph: the same U-Net partitioned
  // again with and without it gives the mapper's cores only with it.
  it('partitions the U-Net differently with the hint than without, and mapNetwork\'s cores are the hinted ones', () => {
    const mp = mapNetwork(unet(), cfg, { defaultRate: 0.1, seed: 1 });
    const again = (layer: boolean) => mapToCores({ ...mp.hypergraph, layer: layer ? mp.hypergraph.layer : undefined }, limitsOf(cfg), cfg.weightBits, {
      seed: 1, coresPerChip: cfg.coresPerChip, available: cfg.chips * cfg.coresPerChip, targetName: cfg.name, describe: (v) => ({ layer: `vertex ${v}` }),
    }).parts;
    expect(again(true)).toEqual(mp.cores.parts);
    expect(again(false)).not.toEqual(mp.cores.parts);
  }, 60_000);
});

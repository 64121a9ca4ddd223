/**
 * Synapse memory per layer: each layer's synapses take its own weight bits (core-use.ts,
 * `pinBits`), so a network with one wide layer and narrow others packs into fewer cores than
 * its twin with every layer at the widest width; with every layer at one width the count is the
 * one-width count (nengo-loihi's bits_per_axon, one width per synapse group). A population
 * driven by several layers (a concat of their currents) holds each layer's synapses at that
 * layer's width, not all at the first layer's.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { neuromorphicConfig } from '../../../targets/neuromorphic/config.ts';
import { coreUse } from '../../../targets/neuromorphic/core-use.ts';
import { mapNetwork } from '../../../targets/neuromorphic/network-mapping.ts';
import { networkWeightBits } from '../../../targets/neuromorphic/weight-bits.ts';
import { presets } from '../../../targets/resolve.ts';
import { memoryFiles } from '../../helpers/memfs.ts';

/** A spiking MLP whose two big layers hold most synapses; the readout is small. */
const net = (name: string, w1: string, w2: string, w3: string) => `network ${name}(batch = 1) {
  timesteps 4
  input x : f32[batch, 784]
  h1 = dense(x, 512, weights = ${w1}) -> lif
  h2 = dense(h1, 512, weights = ${w2}) -> lif
  y = dense(h2, 10, weights = ${w3}) -> lif(readout = membrane)
  output y
}`;
/** One population `h` driven by two layers of different widths, its halves concatenated. */
const joined = (name: string, wa: string, wb: string) => `network ${name}(batch = 1) {
  timesteps 4
  input x : f32[batch, 784]
  a = dense(x, 256, weights = ${wa})
  b = dense(x, 256, weights = ${wb})
  h = concat(a, b, axis = 1) -> lif
  y = dense(h, 10, weights = i8) -> lif(readout = membrane)
  output y
}`;
/** A population driven by the sum of two layers' currents, as a residual spiking block is. */
const summed = `network summed(batch = 1) {
  timesteps 4
  input x : f32[batch, 784]
  a = dense(x, 256, weights = binary)
  b = dense(x, 256, weights = i8)
  h = add(a, b) -> lif
  y = dense(h, 10, weights = i8) -> lif(readout = membrane)
  output y
}`;
const SOURCE = [summed, net('mixed', 'binary', 'binary', 'i8'), net('wide', 'i8', 'i8', 'i8'), net('narrow', 'binary', 'binary', 'binary'),
  joined('join_mixed', 'binary', 'i8'), joined('join_mixed_swapped', 'i8', 'binary'), joined('join_wide', 'i8', 'i8'), joined('join_narrow', 'binary', 'binary')].join('\n');

function mapped(name: string) {
  const m = compile(`t.kiln:${name}`, { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module;
  const { config } = neuromorphicConfig(presets().get('loihi_1chip')!);
  const cfg = { ...config, weightBits: networkWeightBits(m, config.weightBits, 'loihi_1chip').bits };
  const mp = mapNetwork(m, cfg, { seed: 1 });
  const words = mp.cores.use.synapse_words.reduce((a, b) => a + b, 0);
  return { mp, cfg, words };
}

describe('synapse memory at each layer\'s own width', () => {
  it('a binary/binary/i8 network needs fewer synapse words and cores than its all-i8 twin', () => {
    const mixed = mapped('mixed'), wide = mapped('wide');
    // The network's width is the widest layer's for both (8 bits); only the per-layer count differs.
    expect(mixed.cfg.weightBits).toBe(8);
    expect(mixed.words).toBeLessThan(0.5 * wide.words);
    expect(mixed.mp.cores.k).toBeLessThan(wide.mp.cores.k);
  });

  it('with every layer at one width, the per-layer count is the one-width count', () => {
    for (const name of ['wide', 'narrow']) {
      const { mp, cfg } = mapped(name);
      // Source pins (the presynaptic block itself) hold no synapses: 0 bits.
      expect(new Set(mp.hypergraph.pinBits)).toEqual(new Set(mp.hypergraph.sourceless.every((x) => x === 1) ? [cfg.weightBits] : [0, cfg.weightBits]));
      const { pinBits: _, ...oneWidth } = mp.hypergraph;
      const use = coreUse(oneWidth, mp.cores.parts, mp.cores.k, cfg.weightBits);
      expect(Array.from(use.synapse_words)).toEqual(Array.from(mp.cores.use.synapse_words));
    }
  });

  it('a population driven by a binary and an i8 layer holds each one\'s synapses at its own width', () => {
    const mixed = mapped('join_mixed'), swapped = mapped('join_mixed_swapped'), wide = mapped('join_wide'), narrow = mapped('join_narrow');
    // Both layers' synapses are mapped: 784 × 512 into h, 512 × 10 into the readout.
    for (const n of [mixed, wide, narrow]) expect(n.mp.graph.synapses).toBe(784 * 512 + 512 * 10);
    // h's synapses: half at 1 bit, half at 8 (the readout's at 8), whichever layer comes first in the concat.
    const bitsIntoH = (n: ReturnType<typeof mapped>) => {
      const h = n.mp.graph.populations.find((p) => p.name === 'h')!;
      const out = new Set<number>();
      // Pins with synapses into h's blocks (its blocks also appear as the source pins of their own nets, with none).
      const { pins, pinSynapses, pinBits } = n.mp.hypergraph;
      pins.forEach((v, i) => { if (v >= h.offset && v < h.offset + h.blocks && pinSynapses[i]! > 0) out.add(pinBits![i]!); });
      return out;
    };
    expect(bitsIntoH(mixed)).toEqual(new Set([1, 8]));
    expect(bitsIntoH(swapped)).toEqual(new Set([1, 8]));
    // Taking the first layer's width for all of h would make the mix count as the all-binary twin (or the all-i8 one, swapped).
    expect(mixed.words).toBeGreaterThan(narrow.words);
    expect(mixed.words).toBeLessThan(wide.words);
    expect(swapped.words).toBeGreaterThan(narrow.words);
    expect(swapped.words).toBeLessThan(wide.words);
  });

  it('a population driven by the sum of two layers\' currents holds both layers\' synapses, each at its width', () => {
    const { mp } = mapped('summed');
    // 784 × 256 from each of a and b into h (before, only a's: the add's second input was not followed), 256 × 10 out.
    expect(mp.graph.synapses).toBe(2 * 784 * 256 + 256 * 10);
    const h = mp.graph.populations.find((p) => p.name === 'h')!;
    const { pins, pinSynapses, pinBits } = mp.hypergraph;
    const bits = new Set<number>();
    pins.forEach((v, i) => { if (v >= h.offset && v < h.offset + h.blocks && pinSynapses[i]! > 0) bits.add(pinBits![i]!); });
    expect(bits).toEqual(new Set([1, 8]));
  });
});

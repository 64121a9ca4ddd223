/**
 * Synapse memory per layer: each layer's synapses take its own weight bits (core-use.ts,
 * `vertexBits`), so a network with one wide layer and narrow others packs into fewer cores than
 * its twin with every layer at the widest width; with every layer at one width the count is the
 * one-width count (nengo-loihi's bits_per_axon, one width per synapse group).
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
const SOURCE = [net('mixed', 'binary', 'binary', 'i8'), net('wide', 'i8', 'i8', 'i8'), net('narrow', 'binary', 'binary', 'binary')].join('\n');

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
      expect(new Set(mp.hypergraph.vertexBits)).toEqual(new Set([cfg.weightBits]));
      const { vertexBits: _, ...oneWidth } = mp.hypergraph;
      const use = coreUse(oneWidth, mp.cores.parts, mp.cores.k, cfg.weightBits);
      expect(Array.from(use.synapse_words)).toEqual(Array.from(mp.cores.use.synapse_words));
    }
  });
});

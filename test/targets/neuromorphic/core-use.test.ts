/**
 * Per-core resources counted by hand: input axons (one per presynaptic neuron reaching the core),
 * output axons (one per destination core), and synapse memory as nengo-loihi accounts it
 * (block.py, bits_per_axon: n synapses × (weight bits + index bits) + 10 bits per axon, in 64-bit
 * words; dense groups without index bits).
 */
import { describe, expect, it } from 'vitest';
import { axonWords, coreUse, indexBits } from '../../../targets/neuromorphic/core-use.ts';

describe('synapse memory words (nengo-loihi bits_per_axon)', () => {
  it('a dense group needs no index bits; a sparse one 6-12', () => {
    expect(axonWords(100, 100, 8)).toBe(Math.ceil((100 * 8 + 10) / 64)); // 13
    expect(indexBits(200)).toBe(8);
    expect(axonWords(100, 200, 8)).toBe(Math.ceil((100 * (8 + 8) + 10) / 64)); // 26
    expect(indexBits(2)).toBe(6);
    expect(indexBits(1 << 20)).toBe(12);
    expect(axonWords(1, 2, 8)).toBe(1);
  });
});

describe('exact use of a tiny partition, by hand', () => {
  // Vertices 0,1 on core 0 and 2,3 on core 1. Nets: 0 → {1, 2}; the host → {0, 2, 3}; 3 → {1}.
  const h = { nv: 4, ne: 3, eptr: Int32Array.from([0, 3, 6, 8]), pins: Int32Array.from([0, 1, 2, 0, 2, 3, 3, 1]), sourceless: Uint8Array.from([0, 1, 0]) };
  const use = coreUse(h, Int32Array.from([0, 0, 1, 1]), 2, 8);

  it('counts every limit', () => {
    expect(Array.from(use.neurons)).toEqual([2, 2]);
    // Core 0 hears neuron 0's net, the host and neuron 3; core 1 hears neuron 0's net and the host.
    expect(Array.from(use.input_axons)).toEqual([3, 2]);
    // Neuron 0 reaches both cores; neuron 3 reaches core 0; host spikes use no core's output axons.
    expect(Array.from(use.output_axons)).toEqual([2, 1]);
    // Every group is one word: 1 synapse sparse ((8+6)+10 bits), or 2 synapses dense (2·8+10 bits).
    expect(Array.from(use.synapse_words)).toEqual([3, 2]);
  });

  it('merged twin nets count each neuron they stand for', () => {
    // The same nets, each standing for 3 presynaptic neurons that make 2 synapses per pin.
    const twins = { ...h, mult: Float64Array.from([3, 3, 3]), pinSynapses: Float64Array.from([0, 2, 2, 2, 2, 2, 0, 2]) };
    const u = coreUse(twins, Int32Array.from([0, 0, 1, 1]), 2, 8);
    expect(Array.from(u.input_axons)).toEqual([9, 6]);
    expect(Array.from(u.output_axons)).toEqual([6, 3]);
    // Core 1: from neuron 0's twins 2 synapses each and from the host's 4 each, onto a 2-neuron
    // core: both groups reach every neuron (dense, no index bits): ⌈(2·8+10)/64⌉ = ⌈(4·8+10)/64⌉ = 1.
    expect(u.synapse_words[1]).toBe(6);
  });
});

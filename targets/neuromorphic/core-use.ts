/**
 * Exact per-core resource use of a neuron → core assignment, counted the way a Loihi-class
 * compiler lays the cores out:
 *   neurons        the compartments on the core (vertex weights);
 *   input axons    one per presynaptic neuron with at least one synapse onto the core (a spike
 *                  enters a core once and fans out to its synapses there);
 *   output axons   on the presynaptic neuron's core, one per distinct destination core of its spikes;
 *   synapse words  per input axon, its synapses onto the core cost n × (weight bits + index bits)
 *                  + 10 bits, rounded up to 64-bit words (nengo-loihi, block.py `bits_per_axon`);
 *                  a group reaching every neuron of the core is stored dense, without index bits,
 *                  a sparse one needs ⌈log₂ neurons⌉ index bits clamped to 6–12. Each synapse
 *                  takes the weight bits of the layer it belongs to (`pinBits`, per pin: a
 *                  population driven by several layers, a concat of their currents, holds each
 *                  layer's synapses at that layer's width), so a mixed-precision network's
 *                  binary layer packs as tightly as an all-binary one's.
 * Axons depend on the partition itself, which is why the partitioner works from estimates and
 * this count decides.
 */
import type { CoreUse } from './mapping.ts';

/** The part of a hypergraph this accounting reads (a neuron hypergraph or an hMETIS input). */
export interface SynapseNets {
  readonly nv: number;
  readonly ne: number;
  readonly eptr: Int32Array;
  readonly pins: Int32Array;
  /** 1 = the net's pins are all targets (spikes from the host); otherwise the first pin is the source. */
  readonly sourceless?: Uint8Array;
  /** Neurons per vertex; absent means 1. */
  readonly vwgt?: Float64Array;
  /** Presynaptic neurons each net stands for (nets of twin neurons are merged); absent means 1. */
  readonly mult?: Float64Array;
  /** Per pin: synapses each of the net's neurons makes into that vertex; absent means 1. */
  readonly pinSynapses?: Float64Array;
  /** Per pin: weight bits of the synapses it stands for; absent means the `weightBits` one width. */
  readonly pinBits?: Float64Array;
}

export const LIMIT_NAMES = ['neurons', 'input_axons', 'output_axons', 'synapse_words'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** Per-core use, one Float64Array of length k per limit. */
export type CoreUseTable = Record<LimitName, Float64Array>;

export function indexBits(neuronsOnCore: number): number {
  return Math.min(12, Math.max(6, Math.ceil(Math.log2(Math.max(2, neuronsOnCore)))));
}

/** Words of one input axon's synapse group: n synapses onto a core holding `neuronsOnCore`. */
export function axonWords(n: number, neuronsOnCore: number, weightBits: number): number {
  return groupWords(n, n * weightBits, neuronsOnCore);
}

/** Words of a synapse group of n synapses holding `bits` weight bits in all (layers may differ in width). */
function groupWords(n: number, bits: number, neuronsOnCore: number): number {
  const idx = n >= neuronsOnCore ? 0 : indexBits(neuronsOnCore);
  return Math.ceil((bits + n * idx + 10) / 64);
}

/** Weight bits of the synapses of pin i. */
export const bitsAt = (h: SynapseNets, i: number, weightBits: number): number => (h.pinBits ? h.pinBits[i]! : weightBits);

/** `weightBits`: the width of synapses at pins without their own `pinBits`. */
export function coreUse(h: SynapseNets, parts: Int32Array, k: number, weightBits: number): CoreUseTable {
  const use: CoreUseTable = { neurons: new Float64Array(k), input_axons: new Float64Array(k), output_axons: new Float64Array(k), synapse_words: new Float64Array(k) };
  for (let v = 0; v < h.nv; v++) use.neurons[parts[v]!]! += h.vwgt ? h.vwgt[v]! : 1;
  const count = new Float64Array(k), bits = new Float64Array(k);
  const touched: number[] = [];
  for (let e = 0; e < h.ne; e++) {
    const hasSource = !h.sourceless?.[e];
    const first = h.eptr[e]! + (hasSource ? 1 : 0);
    for (let i = first; i < h.eptr[e + 1]!; i++) {
      const v = h.pins[i]!, p = parts[v]!;
      if (count[p] === 0) touched.push(p);
      const n = h.pinSynapses ? h.pinSynapses[i]! : 1;
      count[p]! += n;
      bits[p]! += n * bitsAt(h, i, weightBits);
    }
    // Each of the net's neurons has its own axon into every core it reaches, with its own group.
    const mult = h.mult ? h.mult[e]! : 1;
    for (const p of touched) {
      use.input_axons[p]! += mult;
      use.synapse_words[p]! += mult * groupWords(count[p]!, bits[p]!, use.neurons[p]!);
      count[p] = 0;
      bits[p] = 0;
    }
    if (hasSource) use.output_axons[parts[h.pins[h.eptr[e]!]!]!]! += mult * touched.length;
    touched.length = 0;
  }
  return use;
}

/** One core's row of the table. */
export function useOf(t: CoreUseTable, core: number): CoreUse {
  return { neurons: t.neurons[core]!, input_axons: t.input_axons[core]!, output_axons: t.output_axons[core]!, synapse_words: t.synapse_words[core]! };
}

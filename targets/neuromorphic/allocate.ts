/**
 * A simple capacity-respecting allocator: each population gets consecutive cores, as many neurons
 * per core as every per-core limit allows (neurons, input axons, synapse memory), and cores are
 * numbered chip by chip, tile by tile. The quality partitioner replaces this; the limits and the
 * synapse-memory accounting stay the same.
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { CoreLimits, NeuromorphicConfig } from './config.ts';
import type { Population, Projection, SpikingGraph } from './populations.ts';

/**
 * Synapse memory in 64-bit words, as nengo-loihi accounts it (block.py, bits_per_axon): each input
 * axon's synapse group costs n × (weight bits + index bits) + 10 bits, rounded up to words; dense
 * groups (every neuron of the core) need no index bits; sparse ones 6-12 bits.
 */
export function synapseWords(axons: number, synapsesPerAxon: number, weightBits: number, dense: boolean, neuronsOnCore: number): number {
  const indexBits = dense ? 0 : Math.min(12, Math.max(6, Math.ceil(Math.log2(Math.max(2, neuronsOnCore)))));
  return axons * Math.ceil((synapsesPerAxon * (weightBits + indexBits) + 10) / 64);
}

/** Input axons and synapse words of a core holding `k` neurons of a projection's target. */
export function coreDemand(p: Projection, pre: Population, k: number, weightBits: number): { axons: number; words: number } {
  if (!p.conv) return { axons: p.fanIn, words: synapseWords(p.fanIn, k, weightBits, true, k) };
  // Neurons are laid out channel-innermost: k neurons cover ⌈k / cout⌉ output pixels, taken as a
  // square block whose receptive fields overlap.
  const pixels = Math.ceil(k / p.conv.cout);
  const side = Math.ceil(Math.sqrt(pixels));
  const rows = (side - 1) * p.conv.sh + p.conv.kh;
  const cols = (side - 1) * p.conv.sw + p.conv.kw;
  const axons = Math.min(pre.neurons, rows * cols * p.conv.cin);
  const synapses = k * p.fanIn;
  return { axons, words: synapseWords(axons, Math.ceil(synapses / axons), weightBits, false, k) };
}

export interface CoreAssignment {
  population: string;
  /** Global core index: chip × coresPerChip + core on chip. */
  core: number;
  neurons: number;
  axons: number;
  words: number;
}

export interface Allocation {
  cores: CoreAssignment[];
  /** Cores of each population, in order. */
  byPopulation: Map<string, number[]>;
  neuronsPerCore: Map<string, number>;
}

function fits(d: { axons: number; words: number }, k: number, lim: CoreLimits): boolean {
  return k <= lim.neurons && d.axons <= lim.inputAxons && d.words <= lim.synapseWords;
}

export function allocate(g: SpikingGraph, cfg: NeuromorphicConfig): Allocation {
  const pops = new Map(g.populations.map((p) => [p.name, p]));
  const cores: CoreAssignment[] = [];
  const byPopulation = new Map<string, number[]>();
  const neuronsPerCore = new Map<string, number>();
  const total = cfg.chips * cfg.coresPerChip;
  for (const proj of g.projections) {
    const pop = pops.get(proj.to)!;
    const pre = pops.get(proj.from)!;
    const one = coreDemand(proj, pre, 1, cfg.weightBits);
    if (!fits(one, 1, cfg.limits)) {
      const what = one.axons > cfg.limits.inputAxons
        ? `needs ${one.axons.toLocaleString('en-US')} input axons for one neuron; the limit is ${cfg.limits.inputAxons.toLocaleString('en-US')}: split its input channels or lower its fan-in`
        : `needs ${one.words.toLocaleString('en-US')} words of synapse memory for one neuron; the limit is ${cfg.limits.synapseWords.toLocaleString('en-US')}: lower weight_bits or the fan-in`;
      throw new KilnError(error('capacity', `\`${proj.layer.id}\` (into \`${pop.name}\`) ${what}`, proj.layer.loc));
    }
    // The largest k that fits: demand grows with k, so binary search.
    let lo = 1, hi = Math.min(cfg.limits.neurons, pop.neurons);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(coreDemand(proj, pre, mid, cfg.weightBits), mid, cfg.limits)) lo = mid;
      else hi = mid - 1;
    }
    neuronsPerCore.set(pop.name, lo);
    const list: number[] = [];
    for (let left = pop.neurons; left > 0; left -= lo) {
      const k = Math.min(lo, left);
      const d = coreDemand(proj, pre, k, cfg.weightBits);
      if (cores.length >= total) {
        const need = g.projections.reduce((s, p) => s + Math.ceil(pops.get(p.to)!.neurons / (neuronsPerCore.get(p.to) ?? lo)), 0);
        throw new KilnError(error('capacity', `the network needs more than the ${total.toLocaleString('en-US')} cores of \`${cfg.name}\` (${cfg.chips} chip${cfg.chips === 1 ? '' : 's'} × ${cfg.coresPerChip}); \`${pop.name}\` alone needs ${Math.ceil(pop.neurons / lo)} (≈ ${need} in all)`, proj.layer.loc, 'use a target with more chips (e.g. loihi_32chip), or a smaller network'));
      }
      list.push(cores.length);
      cores.push({ population: pop.name, core: cores.length, neurons: k, axons: d.axons, words: d.words });
    }
    byPopulation.set(pop.name, list);
  }
  return { cores, byPopulation, neuronsPerCore };
}

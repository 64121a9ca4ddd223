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

/**
 * Destination cores of one presynaptic spike: every core of the target population for a dense
 * projection; for a convolution, the cores its projective field spans (plus one for straddling).
 */
export function destinationsPerSpike(p: Projection, pre: Population, postCores: number, postPerCore: number): number {
  if (!p.conv) return postCores;
  return Math.min(postCores, Math.ceil(p.synapses / pre.neurons / postPerCore) + 1);
}

/** The largest neurons-per-core count whose input side fits every limit (demand grows with k). */
function inputSideCapacity(proj: Projection, pre: Population, pop: Population, cfg: NeuromorphicConfig): number {
  const one = coreDemand(proj, pre, 1, cfg.weightBits);
  if (!fits(one, 1, cfg.limits)) {
    const what = one.axons > cfg.limits.inputAxons
      ? `needs ${one.axons.toLocaleString('en-US')} input axons for one neuron; the limit is ${cfg.limits.inputAxons.toLocaleString('en-US')}: split its input channels or lower its fan-in`
      : `needs ${one.words.toLocaleString('en-US')} words of synapse memory for one neuron; the limit is ${cfg.limits.synapseWords.toLocaleString('en-US')}: lower weight_bits or the fan-in`;
    throw new KilnError(error('capacity', `\`${proj.layer.id}\` (into \`${pop.name}\`) ${what}`, proj.layer.loc));
  }
  let lo = 1, hi = Math.min(cfg.limits.neurons, pop.neurons);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(coreDemand(proj, pre, mid, cfg.weightBits), mid, cfg.limits)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function allocate(g: SpikingGraph, cfg: NeuromorphicConfig): Allocation {
  const pops = new Map(g.populations.map((p) => [p.name, p]));
  const neuronsPerCore = new Map<string, number>();
  for (const proj of g.projections) neuronsPerCore.set(proj.to, inputSideCapacity(proj, pops.get(proj.from)!, pops.get(proj.to)!, cfg));
  // Output side: a core's neurons × the destination cores of each of their spikes must fit its
  // output axons, so a population feeding a wide layer holds fewer neurons per core. Later
  // populations are not affected by earlier ones' counts, so one backward sweep settles it.
  for (const proj of [...g.projections].reverse()) {
    const pre = pops.get(proj.from)!;
    if (pre.source) continue;
    const post = pops.get(proj.to)!;
    const kPost = neuronsPerCore.get(post.name)!;
    const dest = destinationsPerSpike(proj, pre, Math.ceil(post.neurons / kPost), kPost);
    if (dest > cfg.limits.outputAxons) {
      throw new KilnError(error('capacity', `each neuron of \`${pre.name}\` reaches ${dest.toLocaleString('en-US')} cores of \`${post.name}\`; a core has ${cfg.limits.outputAxons.toLocaleString('en-US')} output axons`, proj.layer.loc, 'make the next layer smaller'));
    }
    neuronsPerCore.set(pre.name, Math.min(neuronsPerCore.get(pre.name)!, Math.floor(cfg.limits.outputAxons / dest)));
  }
  const cores: CoreAssignment[] = [];
  const byPopulation = new Map<string, number[]>();
  const total = cfg.chips * cfg.coresPerChip;
  for (const proj of g.projections) {
    const pop = pops.get(proj.to)!;
    const pre = pops.get(proj.from)!;
    const k = neuronsPerCore.get(pop.name)!;
    const list: number[] = [];
    for (let left = pop.neurons; left > 0; left -= k) {
      const n = Math.min(k, left);
      const d = coreDemand(proj, pre, n, cfg.weightBits);
      if (cores.length >= total) {
        const need = g.projections.reduce((s, p) => s + Math.ceil(pops.get(p.to)!.neurons / neuronsPerCore.get(p.to)!), 0);
        throw new KilnError(error('capacity', `the network needs ${need.toLocaleString('en-US')} cores, more than the ${total.toLocaleString('en-US')} cores of \`${cfg.name}\` (${cfg.chips} chip${cfg.chips === 1 ? '' : 's'} × ${cfg.coresPerChip})`, proj.layer.loc, 'use a target with more chips (e.g. loihi_32chip), or a smaller network'));
      }
      list.push(cores.length);
      cores.push({ population: pop.name, core: cores.length, neurons: n, axons: d.axons, words: d.words });
    }
    byPopulation.set(pop.name, list);
  }
  return { cores, byPopulation, neuronsPerCore };
}

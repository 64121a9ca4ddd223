/**
 * Firing rates (spikes per neuron per time step) for every neuron of a spiking network, from the
 * most specific source given: rates measured per neuron by running the network, a per-layer rate
 * (a rates file), one rate for all (`--rate`), else 0.1 with a warning — never silently.
 */
import { didYouMean, error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { blockOf, type NeuronGraph } from './neuron-graph.ts';

export interface RateOptions {
  /** Spikes per neuron per time step for every population without its own rate. */
  defaultRate?: number;
  /** Per-population rates (from a rates file), by population name (the lif node, or the input). */
  rates?: Record<string, number>;
  /** Per-neuron rates (measured), by population name, NCHW order, one per neuron of a sample. */
  neuronRates?: Record<string, Float64Array>;
  /** Where `neuronRates` came from when not measured by this run (an activity file). */
  neuronRatesSource?: string;
}

export const FALLBACK_RATE = 0.1;

export interface ResolvedRates {
  /** Spikes per time step of every vertex (the sum over its block's neurons). */
  vertex: Float64Array;
  /** Spikes per time step of every net (the sum over the neurons it stands for): its weight. */
  net: Float64Array;
  /** Where each population's rate came from, e.g. `measured`, `rates file`, `--rate`. */
  source: Record<string, string>;
  /** Each population's mean rate over its neurons. */
  mean: Record<string, number>;
  warnings: string[];
}

export function resolveRates(g: NeuronGraph, opts: RateOptions): ResolvedRates {
  const names = g.populations.map((p) => p.name);
  for (const key of Object.keys(opts.rates ?? {})) {
    if (!names.includes(key)) {
      throw new KilnError(error('rates', `the rates file names \`${key}\`, which is not a population of the network${didYouMean(key, names) ? `; ${didYouMean(key, names)}` : ''}`, undefined, `populations: ${names.join(', ')} (the input, every lif layer and any readout layer)`));
    }
  }
  const source: Record<string, string> = {};
  const mean: Record<string, number> = {};
  const missing: string[] = [];
  const perPop = g.populations.map((p) => {
    if (p.readout) {
      source[p.name] = 'readout (never spikes)';
      mean[p.name] = 0;
      return () => 0;
    }
    const measured = opts.neuronRates?.[p.name];
    if (measured) {
      if (measured.length !== p.neurons) throw new Error(`internal: ${measured.length} measured rates for the ${p.neurons} neurons of ${p.name}`);
      source[p.name] = opts.neuronRatesSource ?? 'measured';
      mean[p.name] = measured.reduce((a, b) => a + b, 0) / Math.max(1, measured.length);
      return (i: number) => measured[i]!;
    }
    const r = opts.rates?.[p.name] ?? opts.defaultRate;
    source[p.name] = opts.rates?.[p.name] !== undefined ? 'rates file' : opts.defaultRate !== undefined ? '--rate' : 'assumed';
    if (r === undefined) missing.push(p.name);
    const v = r ?? FALLBACK_RATE;
    mean[p.name] = v;
    return () => v;
  });
  const vertex = new Float64Array(g.nv);
  g.populations.forEach((p, i) => { if (!p.source) for (let n = 0; n < p.neurons; n++) vertex[p.offset + blockOf(p, n)]! += perPop[i]!(n); });
  const { population, memberPtr, members } = g.nets;
  const net = new Float64Array(population.length);
  for (let e = 0; e < net.length; e++) {
    const rate = perPop[population[e]!]!;
    for (let j = memberPtr[e]!; j < memberPtr[e + 1]!; j++) net[e]! += rate(members[j]!);
  }
  const warnings = missing.length ? [`no firing rate for ${missing.join(', ')}; assuming ${FALLBACK_RATE} spikes per neuron per time step (give --rate R, --rates FILE, or --measure DATA [--checkpoint PATH] to measure them)`] : [];
  return { vertex, net, source, mean, warnings };
}

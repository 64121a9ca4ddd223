/**
 * Measured activity: per layer (node id, or the input), how much of its work a run really does —
 * the firing rate of a spiking layer, the fraction of exact zeros in a layer's output, the
 * transmitted fraction of a delta or sigma-delta layer. The cost models price with it
 * (targets/activity-pricing.ts, the neuromorphic rates); runtime/activity/ measures it; the
 * activity file (`--save-activity`, `--activity`) carries it between runs.
 */

/**
 * The quantities an op can report: fractions in [0, 1], except a sigma-delta layer's counts
 * (COUNT_KEYS): the mean events per unit and step it sent, and the bits per activation they took.
 */
export const ACTIVITY_KEYS = ['firing_rate', 'zero_fraction', 'delta_fraction', 'events_per_activation', 'bits_per_activation'] as const;
export type ActivityKey = (typeof ACTIVITY_KEYS)[number];
/** Keys that are counts ≥ 0 rather than fractions. */
export const COUNT_KEYS: ReadonlySet<ActivityKey> = new Set(['events_per_activation', 'bits_per_activation']);

export type LayerActivity = Partial<Record<ActivityKey, number>> & {
  /** A spiking population's rate per neuron of a sample (NCHW), for the neuromorphic mapping. */
  neuron_rates?: Float64Array;
};

/** Where an activity figure came from, as the report says it. */
export type ActivitySource = 'measured' | 'file' | 'flag' | 'default';

export interface Activity {
  /** By node id. */
  layers: Record<string, LayerActivity>;
  /** `measured` by this run, or read from an activity `file`. */
  source: 'measured' | 'file';
}

/** What a layer's price assumed: every known quantity, its source, and which key (if any) scaled the price. */
export interface ActivityUsed {
  value: Partial<Record<ActivityKey | 'input_zero_fraction' | 'input_events_per_activation', number>>;
  source: ActivitySource;
  /** The key that scaled this layer's price on this target, or null: priced dense (or per spike). */
  priced_by: string | null;
}

/** The per-layer activity a neuromorphic estimate takes from an Activity (its rates options). */
export function spikingRates(a: Activity): { rates: Record<string, number>; neuronRates: Record<string, Float64Array> } {
  const rates: Record<string, number> = Object.create(null) as Record<string, number>;
  const neuronRates: Record<string, Float64Array> = Object.create(null) as Record<string, Float64Array>;
  for (const [id, l] of Object.entries(a.layers)) {
    if (l.neuron_rates) neuronRates[id] = l.neuron_rates;
    else if (l.firing_rate !== undefined) rates[id] = l.firing_rate;
  }
  return { rates, neuronRates };
}

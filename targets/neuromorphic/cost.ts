/**
 * The neuromorphic cost model: the network is mapped onto the target's cores, chips and tiles
 * (network-mapping.ts), and one time step's events — synaptic operations, neuron updates, spike
 * messages within a tile, over tile hops and across chips — are counted neuron by neuron on that
 * mapping (events.ts) and priced with the target's per-event energies and latencies; an
 * inference is the network's `timesteps` of those.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { KilnError } from '../../compiler/lang/diagnostics.ts';
import type { ConfigReader } from '../config.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { priceActions, sumBreakdowns, type LayerStats, type PriceTable, type TargetResult } from '../stats.ts';
import { neuromorphicConfig, type NeuromorphicConfig } from './config.ts';
import { countEvents, type StepEvents } from './events.ts';
import { networkWeightBits } from './weight-bits.ts';
import type { ActivitySource } from '../activity.ts';
import { mapNetwork, populationCores, type MapNetworkOptions, type NetworkMapping } from './network-mapping.ts';

export type { RateOptions } from './rates.ts';

/** resolveRates' source names in the report's vocabulary. */
const ACTIVITY_SOURCE: Record<string, ActivitySource> = { measured: 'measured', 'activity file': 'file', 'rates file': 'file', '--rate': 'flag', assumed: 'default' };

const LOIHI = 'Davies et al. 2018, Table 2';
export const DEFAULT_PRICES: [string, string, number, string][] = [
  ['synop', 'synaptic', 23.6e-12, `${LOIHI}: synaptic spike operation`],
  ['neuron.active', 'neuron', 81e-12, `${LOIHI}: neuron update, active`],
  ['neuron.inactive', 'neuron', 52e-12, `${LOIHI}: neuron update, inactive`],
  ['spike.tile', 'on-chip network', 1.7e-12, `${LOIHI}: spike within a tile`],
  ['hop.ew', 'on-chip network', 3.0e-12, `${LOIHI}: tile hop east-west`],
  ['hop.ns', 'on-chip network', 4.0e-12, `${LOIHI}: tile hop north-south`],
  ['spike.chip', 'inter-chip links', 0.83e-9, 'BORROWED from TrueNorth: 26 pJ/bit × 32 bits per chip-to-chip message (no Loihi figure is published)'],
];

export interface NeuromorphicOptions extends MapNetworkOptions {
  /** Run on this many chips instead of the target's (a near-square chip mesh unless the target's holds them). */
  chips?: number;
}

/** The target's configuration with a different chip count. */
export function withChips(cfg: NeuromorphicConfig, chips: number): NeuromorphicConfig {
  if (chips === cfg.chips) return cfg;
  if (cfg.chipMesh[0] * cfg.chipMesh[1] >= chips) return { ...cfg, chips };
  let rows = Math.floor(Math.sqrt(chips));
  while (chips % rows !== 0) rows--;
  return { ...cfg, chips, chipMesh: [chips / rows, rows] };
}

export interface NeuromorphicEstimate {
  result: TargetResult;
  mapping: NetworkMapping;
  events: StepEvents;
  config: NeuromorphicConfig;
}

export function estimateNeuromorphic(desc: TargetDescription, m: Module, opts: NeuromorphicOptions = {}): TargetResult {
  return neuromorphicEstimate(desc, m, opts).result;
}

export function neuromorphicEstimate(desc: TargetDescription, m: Module, opts: NeuromorphicOptions = {}): NeuromorphicEstimate {
  const { config: given, reader } = neuromorphicConfig(desc);
  const wb = networkWeightBits(m, given.weightBits, desc.name);
  reader.warnings.push(...wb.warnings);
  const base = { ...given, weightBits: wb.bits };
  const cfg = opts.chips !== undefined ? withChips(base, opts.chips) : base;
  const mp = spreadMapping(desc, cfg, m, opts);
  return priceMapping(desc, cfg, reader, mp, m.timesteps);
}

/**
 * The mapping with the least energy per inference among the tightest packing and the same work
 * spread, balanced by each core's busy time, over 2×, 4× … its cores, up to 90 % of the cores of
 * the chips that packing powers (the rest is the mapper's room to split over-full cores). Static
 * power is paid per powered chip for the whole time step, and the busiest core sets the step, so
 * idle cores of a powered chip are worth using when the static energy they save outweighs the
 * spike messages they add. More chips are never powered for it, and the chips-first cut is kept
 * (map-cores.ts). Without static power spreading only adds messages, and so it does once the
 * busiest core fits in the target's barrier (`timestep`): loihi_32chip's 16.2 µs is the whole
 * board's even when one chip is used, so the same network stops at fewer cores there than on
 * loihi_1chip (465 ns), whose per-chip figures are the same (test/targets/neuromorphic/spread.test.ts).
 */
function spreadMapping(desc: TargetDescription, cfg: NeuromorphicConfig, m: Module, opts: NeuromorphicOptions): NetworkMapping {
  const packed = mapNetwork(m, cfg, opts);
  if (opts.strategy === 'greedy' || cfg.staticPowerW <= 0) return packed;
  const chips = new Set(packed.placement.chip).size;
  const room = Math.floor(0.9 * chips * cfg.coresPerChip);
  const energy = (mp: NetworkMapping) => priceMapping(desc, cfg, neuromorphicConfig(desc).reader, mp, m.timesteps).result.summary.energy_j;
  let best = { mp: packed, energy: energy(packed) };
  for (let cores = 2 * packed.cores.k; cores / 2 < room; cores *= 2) {
    let mp: NetworkMapping;
    try {
      mp = mapNetwork(m, cfg, { ...opts, spreadCores: Math.min(cores, room) });
    } catch (e) {
      if (e instanceof KilnError) break; // the spread network does not fit the board's cores
      throw e;
    }
    if (new Set(mp.placement.chip).size > chips) break;
    // Every count is tried: a partition's busiest core varies with the count, so energy need not fall steadily.
    const e = energy(mp);
    if (e < best.energy) best = { mp, energy: e };
  }
  if (best.mp === packed) return packed;
  return { ...best.mp, cores: { ...best.mp.cores, spread: { packed: packed.cores.k } } };
}

/** Price one time step of a mapping, and `timesteps` of them per inference. */
export function priceMapping(desc: TargetDescription, cfg: NeuromorphicConfig, reader: ConfigReader, mp: NetworkMapping, timesteps: number): NeuromorphicEstimate {
  const ev = countEvents(mp, cfg);
  const prices: PriceTable = {};
  for (const [action, cat, j, src] of DEFAULT_PRICES) {
    if (action === 'spike.chip' && cfg.chips === 1 && !reader.has('energy.spike.chip')) prices[action] = { joules: j, category: cat, source: `built-in default: ${src}` };
    else reader.price(action, action, cat, j, src, prices);
  }
  const T = timesteps;
  const use = mp.cores.use;
  const placed = populationCores(mp);
  const layers: LayerStats[] = [];
  mp.graph.populations.forEach((pop, i) => {
    if (pop.source) return;
    const e = ev.perPopulation[i]!;
    const actions: Record<string, number> = {
      synop: e.synops * T,
      'neuron.active': e.active * T,
      'neuron.inactive': e.inactive * T,
      'spike.tile': e.sameTile * T,
      'hop.ew': e.hopsEW * T,
      'hop.ns': e.hopsNS * T,
      'spike.chip': e.chipHops * T,
    };
    const { energy_j, breakdown_j } = priceActions(actions, prices);
    const cores = [...placed[i]!.cores];
    const worst = (n: 'neurons' | 'input_axons' | 'output_axons' | 'synapse_words') => Math.max(...cores.map((c) => use[n][c]!)) / mp.limits[n];
    const inputs = mp.graph.projections.filter((p) => p.to === pop.name);
    const rateSource = mp.rates.source[pop.name] ?? '';
    layers.push({
      name: pop.name, op: pop.readout ? 'readout' : 'lif', macs: e.synops * T, energy_j, actions, breakdown_j,
      activity: { value: mp.rates.mean[pop.name] === undefined ? {} : { firing_rate: mp.rates.mean[pop.name] }, source: ACTIVITY_SOURCE[rateSource] ?? 'default', priced_by: 'firing_rate' },
      unit: `${cores.length} core${cores.length === 1 ? '' : 's'}`,
      details: {
        synops: e.synops * T, weighted_layer: pop.layer ?? '', neurons: pop.neurons, cores: cores.length, neurons_per_core: placed[i]!.maxNeurons,
        synapses: e.synapses, input_from: inputs.map((p) => p.from).join(', '), rate_source: rateSource,
        messages_per_timestep: { total: e.sameTile + e.acrossTiles + e.acrossChips, within_core: e.withinCore, within_tile: e.sameTile, across_tiles: e.acrossTiles, across_chips: e.acrossChips },
        limit_utilization: { neurons: worst('neurons'), input_axons: worst('input_axons'), synapse_memory: worst('synapse_words'), output_axons: worst('output_axons') },
      },
    });
  });
  reader.warnings.push(...mp.rates.warnings);
  const busiest = Math.max(0, ...ev.coreTime);
  const hopTime = ev.maxHops * Math.max(cfg.latency['hop.ew']!, cfg.latency['hop.ns']!);
  const stepLatency = Math.max(cfg.barrierS, busiest + hopTime);
  const latency = stepLatency * T;
  const chipsUsed = new Set(mp.placement.chip).size;
  if (cfg.staticPowerW > 0) {
    prices.static = { joules: cfg.staticPowerW, category: 'static', source: `${desc.props.static_power?.source.file ?? 'target'} (static_power × chips × seconds)` };
  }
  const staticActions: Record<string, number> = cfg.staticPowerW > 0 ? { static: chipsUsed * latency } : {};
  const staticCost = priceActions(staticActions, prices);
  const dynamic = layers.reduce((a, l) => a + l.energy_j, 0);
  const breakdown = sumBreakdowns([...layers, staticCost]);
  const energy = dynamic + staticCost.energy_j;
  const msg = ev.perPopulation.reduce((a, e) => ({ within_core: a.within_core + e.withinCore, within_tile: a.within_tile + e.sameTile, across_tiles: a.across_tiles + e.acrossTiles, across_chips: a.across_chips + e.acrossChips }),
    { within_core: 0, within_tile: 0, across_tiles: 0, across_chips: 0 });
  const result: TargetResult = {
    target: desc.name, kind: 'neuromorphic',
    summary: {
      latency_s: latency, energy_j: energy, breakdown_j: breakdown, macs: layers.reduce((a, l) => a + l.macs, 0),
      timesteps: T, cores_used: mp.cores.k, chips_used: chipsUsed,
      // Spread work (spreadMapping): the cores the tightest packing used.
      ...(mp.cores.spread ? { cores_packed: mp.cores.spread.packed } : {}),
      weight_bits: cfg.weightBits, synapse_memory_words: use.synapse_words.reduce((a, b) => a + b, 0),
      per_timestep: { latency_s: stepLatency, energy_j: energy / T },
      messages_per_timestep: msg,
      static_actions: staticActions,
    },
    layers, warnings: reader.warnings, notes: reader.notes, prices,
  };
  return { result, mapping: mp, events: ev, config: cfg };
}

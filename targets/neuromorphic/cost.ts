/**
 * The neuromorphic cost model: per time step, synaptic operations, neuron updates and spike
 * messages — within a tile, over tile hops, across chips — priced with the target's per-event
 * energies and latencies; per inference, the network's `timesteps` of those.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { TargetDescription } from '../description.ts';
import { priceActions, sumBreakdowns, type LayerStats, type PriceTable, type TargetResult } from '../stats.ts';
import { allocate, destinationsPerSpike, type Allocation } from './allocate.ts';
import { neuromorphicConfig, type NeuromorphicConfig } from './config.ts';
import { spikingGraph, SpikingGraphError, type Projection } from './populations.ts';

export interface RateOptions {
  /** Spikes per neuron per time step for every population without its own rate. */
  defaultRate?: number;
  /** Per-population rates (from a rates file), by population name. */
  rates?: Record<string, number>;
}

interface Place { chip: number; tx: number; ty: number; tile: number }

function place(core: number, cfg: NeuromorphicConfig): Place {
  const chip = Math.floor(core / cfg.coresPerChip);
  const tile = Math.floor((core % cfg.coresPerChip) / cfg.coresPerTile);
  return { chip, tile, tx: tile % cfg.tileMesh[0], ty: Math.floor(tile / cfg.tileMesh[0]) };
}

function chipDistance(a: number, b: number, cfg: NeuromorphicConfig): number {
  const w = cfg.chipMesh[0];
  return Math.abs((a % w) - (b % w)) + Math.abs(Math.floor(a / w) - Math.floor(b / w));
}

interface Traffic { messages: number; sameTile: number; hopsEW: number; hopsNS: number; interChip: number; chipHops: number; maxHops: number }

/**
 * Messages of one projection per time step: one per spike per destination core. Dense layers
 * reach every core of the target population; a convolution reaches the cores around the same
 * relative position (the allocator keeps layouts in order), as many as its projective field needs.
 */
function projectionTraffic(p: Projection, srcCores: { core: number; neurons: number }[], dst: number[], destPerSpike: number, rate: number, cfg: NeuromorphicConfig): Traffic {
  const t: Traffic = { messages: 0, sameTile: 0, hopsEW: 0, hopsNS: 0, interChip: 0, chipHops: 0, maxHops: 0 };
  srcCores.forEach((s, i) => {
    const spikes = s.neurons * rate;
    const centre = Math.floor(((i + 0.5) / srcCores.length) * dst.length);
    const first = p.conv ? Math.max(0, Math.min(dst.length - destPerSpike, centre - Math.floor(destPerSpike / 2))) : 0;
    const a = place(Math.max(0, s.core), cfg);
    for (let j = first; j < first + destPerSpike; j++) {
      const bCore = dst[j]!;
      if (bCore === s.core) continue; // a core fans its own spikes out locally (the host's core is -1)
      const b = place(bCore, cfg);
      t.messages += spikes;
      if (a.chip !== b.chip) {
        t.interChip += spikes;
        t.chipHops += spikes * chipDistance(a.chip, b.chip, cfg);
      } else if (a.tile === b.tile) t.sameTile += spikes;
      else {
        const ew = Math.abs(a.tx - b.tx), ns = Math.abs(a.ty - b.ty);
        t.hopsEW += spikes * ew;
        t.hopsNS += spikes * ns;
        t.maxHops = Math.max(t.maxHops, ew + ns);
      }
    }
  });
  return t;
}

const LOIHI = 'Davies et al. 2018, Table 2';
const DEFAULT_PRICES: [string, string, number, string][] = [
  ['synop', 'synaptic', 23.6e-12, `${LOIHI}: synaptic spike operation`],
  ['neuron.active', 'neuron', 81e-12, `${LOIHI}: neuron update, active`],
  ['neuron.inactive', 'neuron', 52e-12, `${LOIHI}: neuron update, inactive`],
  ['spike.tile', 'on-chip network', 1.7e-12, `${LOIHI}: spike within a tile`],
  ['hop.ew', 'on-chip network', 3.0e-12, `${LOIHI}: tile hop east-west`],
  ['hop.ns', 'on-chip network', 4.0e-12, `${LOIHI}: tile hop north-south`],
  ['spike.chip', 'inter-chip links', 0.83e-9, 'BORROWED from TrueNorth: 26 pJ/bit × 32 bits per chip-to-chip message (no Loihi figure is published)'],
];

export function estimateNeuromorphic(desc: TargetDescription, m: Module, opts: RateOptions = {}): TargetResult {
  const { config: cfg, reader } = neuromorphicConfig(desc);
  let graph;
  try {
    graph = spikingGraph(m);
  } catch (e) {
    if (e instanceof SpikingGraphError) throw new KilnError(error('unsupported', `${m.name} cannot run on \`${desc.name}\`: ${e.message}`));
    throw e;
  }
  const alloc: Allocation = allocate(graph, cfg);
  const pops = new Map(graph.populations.map((p) => [p.name, p]));
  const rateWarned: string[] = [];
  const rateOf = (name: string): number => {
    const r = opts.rates?.[name] ?? opts.defaultRate;
    if (r !== undefined) return r;
    rateWarned.push(name);
    return 0.1;
  };
  const prices: PriceTable = {};
  for (const [action, cat, j, src] of DEFAULT_PRICES) {
    if (action === 'spike.chip' && cfg.chips === 1 && !reader.has('energy.spike.chip')) prices[action] = { joules: j, category: cat, source: `built-in default: ${src}` };
    else reader.price(action, action, cat, j, src, prices);
  }
  const coreTime = new Map<number, number>();
  const layers: LayerStats[] = [];
  let maxHops = 0;
  for (const p of graph.projections) {
    const pre = pops.get(p.from)!;
    const post = pops.get(p.to)!;
    const rate = rateOf(p.from);
    const postRate = rateOf(p.to);
    const dst = alloc.byPopulation.get(p.to)!;
    const k = alloc.neuronsPerCore.get(p.to)!;
    const fanOutNeurons = p.synapses / pre.neurons;
    const destPerSpike = destinationsPerSpike(p, pre, dst.length, k);
    const src = pre.source ? [{ core: -1, neurons: pre.neurons }] : alloc.byPopulation.get(p.from)!.map((c) => ({ core: c, neurons: alloc.cores[c]!.neurons }));
    // Output axons of a source core: one per destination core per neuron.
    for (const s of src) {
      if (s.core >= 0 && s.neurons * destPerSpike > cfg.limits.outputAxons) {
        throw new KilnError(error('capacity', `\`${p.from}\` needs ${(s.neurons * destPerSpike).toLocaleString('en-US')} output axons on one core (${s.neurons} neurons × ${destPerSpike} destination cores); the limit is ${cfg.limits.outputAxons.toLocaleString('en-US')}`, p.layer.loc, 'a dense layer fans each neuron out to every core of the next layer: make the next layer smaller or put fewer neurons per core'));
      }
    }
    const traffic = projectionTraffic(p, src, dst, destPerSpike, rate, cfg);
    maxHops = Math.max(maxHops, traffic.maxHops);
    const synops = pre.neurons * rate * fanOutNeurons;
    const active = post.neurons * postRate;
    const actions: Record<string, number> = {
      synop: synops * m.timesteps,
      'neuron.active': active * m.timesteps,
      'neuron.inactive': (post.neurons - active) * m.timesteps,
      'spike.tile': traffic.sameTile * m.timesteps,
      'hop.ew': traffic.hopsEW * m.timesteps,
      'hop.ns': traffic.hopsNS * m.timesteps,
      'spike.chip': traffic.chipHops * m.timesteps,
    };
    for (const c of dst) {
      const n = alloc.cores[c]!.neurons;
      const t = (synops * n) / post.neurons * cfg.latency.synop! + n * postRate * cfg.latency['neuron.active']! + n * (1 - postRate) * cfg.latency['neuron.inactive']!;
      coreTime.set(c, (coreTime.get(c) ?? 0) + t);
    }
    const { energy_j, breakdown_j } = priceActions(actions, prices);
    const used = dst.map((c) => alloc.cores[c]!);
    layers.push({
      name: p.to, op: 'lif', macs: synops * m.timesteps, energy_j, actions, breakdown_j,
      unit: `${dst.length} core${dst.length === 1 ? '' : 's'}`,
      details: { synops: synops * m.timesteps, weighted_layer: p.layer.id, neurons: post.neurons, cores: dst.length, neurons_per_core: k, synapses: p.synapses, input_from: p.from,
      messages_per_timestep: { total: traffic.messages, within_tile: traffic.sameTile, across_tiles: traffic.messages - traffic.sameTile - traffic.interChip, across_chips: traffic.interChip },
      limit_utilization: {
        neurons: Math.max(...used.map((u) => u.neurons)) / cfg.limits.neurons,
        input_axons: Math.max(...used.map((u) => u.axons)) / cfg.limits.inputAxons,
        synapse_memory: Math.max(...used.map((u) => u.words)) / cfg.limits.synapseWords,
        output_axons: pre.source ? 0 : Math.max(...src.map((s) => s.neurons * destPerSpike)) / cfg.limits.outputAxons,
      } },
    });
  }
  if (rateWarned.length) reader.warnings.push(`no firing rate for ${[...new Set(rateWarned)].join(', ')}; assuming 0.1 spikes per neuron per time step (give --rate R or --rates FILE)`);
  const busiest = Math.max(0, ...coreTime.values());
  const hopTime = maxHops * Math.max(cfg.latency['hop.ew']!, cfg.latency['hop.ns']!);
  const stepLatency = Math.max(cfg.barrierS, busiest + hopTime);
  const latency = stepLatency * m.timesteps;
  const chipsUsed = new Set(alloc.cores.map((c) => Math.floor(c.core / cfg.coresPerChip))).size;
  if (cfg.staticPowerW > 0) {
    prices.static = { joules: cfg.staticPowerW, category: 'static', source: `${desc.props.static_power?.source.file ?? 'target'} (static_power × chips × seconds)` };
  }
  const staticActions: Record<string, number> = cfg.staticPowerW > 0 ? { static: chipsUsed * latency } : {};
  const staticCost = priceActions(staticActions, prices);
  const dynamic = layers.reduce((a, l) => a + l.energy_j, 0);
  const breakdown = sumBreakdowns([...layers, staticCost]);
  const energy = dynamic + staticCost.energy_j;
  return {
    target: desc.name, kind: 'neuromorphic',
    summary: {
      latency_s: latency, energy_j: energy, breakdown_j: breakdown, macs: layers.reduce((a, l) => a + l.macs, 0),
      timesteps: m.timesteps, cores_used: alloc.cores.length, chips_used: chipsUsed,
      per_timestep: { latency_s: stepLatency, energy_j: energy / m.timesteps },
      static_actions: staticActions,
    },
    layers, warnings: reader.warnings, prices,
  };
}

/**
 * A sigma-delta LMU (docs/lmu.md) on a neuromorphic chip, one sample, one chip time step per
 * sequence step: Voelker et al. 2020's hybrid network, whose hidden units send integer events and
 * whose memory sends graded values. Per step and layer, with order d, hidden H, input I and e
 * events per hidden unit and step (measured, or from an activity file; unknown, one per unit, said
 * in a note):
 *   synops          memory d² + d + I (+ e·H·[e_h] + d·[e_m]); hidden d·H (+ I·H) + e·H·H
 *   neuron updates  d + H, all active (the memory integrates every step)
 *   messages        d graded values + e·H events, priced as spikes within a tile
 * priced with the target's per-event energies (cost.ts's table, Davies et al. 2018). The neurons
 * are not placed on cores and no hop or chip crossing is counted; layers other than the LMUs (the
 * readout) are left to the host, and the notes say so.
 */
import type { Module, Node } from '../../compiler/ir/module.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { priceActions, sumBreakdowns, type LayerStats, type PriceTable, type TargetResult } from '../stats.ts';
import type { Activity, ActivityUsed } from '../activity.ts';
import { neuromorphicConfig } from './config.ts';
import { DEFAULT_PRICES } from './cost.ts';
import { isSigmaDelta } from '../lmu-work.ts';

/** Layers a neuromorphic target runs as sigma-delta LMUs. */
export const sigmaDeltaLmus = (m: Module): Node[] => Object.values(m.nodes).filter((n) => n.op === 'lmu' && isSigmaDelta(n));

/** What an LMU layer was priced with: its events (and bits, when known) per activation. */
function activityUsed(known: Activity['layers'][string] | undefined, source: ActivityUsed['source']): ActivityUsed {
  const value: ActivityUsed['value'] = {};
  if (known?.events_per_activation !== undefined) value.events_per_activation = known.events_per_activation;
  if (known?.bits_per_activation !== undefined) value.bits_per_activation = known.bits_per_activation;
  return { value, source, priced_by: value.events_per_activation === undefined ? null : 'events_per_activation' };
}

export function estimateLmuNeuromorphic(desc: TargetDescription, m: Module, activity: Activity | undefined): TargetResult {
  const { config: cfg, reader } = neuromorphicConfig(desc);
  const prices: PriceTable = {};
  for (const [action, cat, j, src] of DEFAULT_PRICES) {
    if (action === 'synop' || action === 'neuron.active' || action === 'spike.tile') reader.price(action, action, cat, j, src, prices);
  }
  const notes: string[] = [];
  const layers: LayerStats[] = [];
  let steps = 1;
  for (const node of sigmaDeltaLmus(m)) {
    const [, t, i] = m.nodes[node.inputs[0]!]!.type!.shape as [number, number, number];
    steps = Math.max(steps, t);
    const a = node.attrs;
    const d = a.order as number, h = a.hidden as number;
    const known = activity && Object.hasOwn(activity.layers, node.id) ? activity.layers[node.id] : undefined;
    const e = known?.events_per_activation;
    if (e === undefined) notes.push(`\`${node.id}\`: one event per hidden unit and step assumed, its activity not measured (give --measure DATA or --activity FILE)`);
    const ev = e ?? 1;
    const memory = d * d + d + i + (a.hidden_to_memory ? ev * h : 0) + (a.memory_to_memory ? d : 0);
    const hidden = d * h + (a.input_to_hidden ? i * h : 0) + ev * h * h;
    const actions = { synop: (memory + hidden) * t, 'neuron.active': (d + h) * t, 'spike.tile': (d + ev * h) * t };
    const { energy_j, breakdown_j } = priceActions(actions, prices);
    layers.push({
      name: node.id, op: 'lmu', macs: actions.synop, energy_j, actions, breakdown_j, unit: 'cores (not placed)',
      details: { synops: actions.synop, steps: t, neurons: d + h, events_per_unit_step: ev },
      activity: activityUsed(known, e === undefined ? 'default' : activity!.source),
    });
  }
  const others = Object.values(m.nodes).filter((n) => n.params && n.op !== 'lmu').map((n) => n.id);
  if (others.length) notes.push(`${others.map((n) => '`' + n + '`').join(', ')} left to the host: only the LMU layers are priced on the chip`);
  notes.push('the LMU\'s neurons are not placed on cores: no hop, chip crossing or per-core limit is counted');
  const latency = steps * cfg.barrierS;
  if (cfg.staticPowerW > 0) prices.static = { joules: cfg.staticPowerW, category: 'static', source: 'target static_power × seconds (one chip)' };
  const staticCost = priceActions(cfg.staticPowerW > 0 ? { static: latency } : {}, prices);
  const energy = layers.reduce((s, l) => s + l.energy_j, 0) + staticCost.energy_j;
  return {
    target: desc.name, kind: 'neuromorphic',
    summary: {
      latency_s: latency, energy_j: energy, breakdown_j: sumBreakdowns([...layers, staticCost]), macs: layers.reduce((s, l) => s + l.macs, 0),
      timesteps: steps, per_timestep: { latency_s: cfg.barrierS, energy_j: energy / steps },
    },
    layers, warnings: reader.warnings, notes: [...reader.notes, ...notes], prices,
  };
}

/**
 * What `kiln partition` prints: the summary of a mapping (cores and chips used, messages within a
 * core / across cores / across chips per time step and per second, the use of every per-core
 * limit, energy and latency from the neuromorphic cost model), the same as JSON, and the sweep
 * table over chip counts. The edge cut beside the messages is what gpmetis would minimise on the
 * same block graph, printed so the two partitioners can be compared; Kiln minimises messages.
 */
import type { NeuromorphicEstimate } from '../../targets/neuromorphic/cost.ts';
import { LIMIT_NAMES } from '../../targets/neuromorphic/core-use.ts';
import { graphEdgeCut, synapseGraphOf } from '../../targets/neuromorphic/partition/index.ts';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const num = (n: number) => (Math.abs(n) >= 100 ? int(n) : n.toPrecision(3));

export function si(x: number, unit: string): string {
  if (x === 0) return `0 ${unit}`;
  const steps: [number, string][] = [[1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n'], [1e-12, 'p']];
  for (const [f, p] of steps) if (Math.abs(x) >= f) return `${(x / f).toPrecision(3)} ${p}${unit}`;
  return `${(x / 1e-12).toPrecision(3)} p${unit}`;
}

export interface PartitionSummary {
  source: string;
  network?: string;
  target: string;
  chips: number;
  cores_used: number;
  chips_used: number;
  blocks: number;
  neurons: number;
  synapses: number;
  cores_split: number;
  rates: Record<string, string>;
  messages_per_timestep: { within_core: number; across_cores: number; across_chips: number; within_tile: number; across_tiles: number };
  messages_per_second: { within_core: number; across_cores: number; across_chips: number };
  /**
   * Spikes per time step over block-to-block synapse edges that cross cores (each pair once, its
   * weight the source block's spikes; spikes from the host left out): gpmetis's objective on this
   * graph, for comparison only.
   */
  edge_cut_per_timestep: number;
  /** Per limit: the fullest core and the mean over used cores, as fractions of the limit. */
  utilization: Record<string, { max: number; mean: number; limit: number }>;
  energy_j: { per_timestep: number; per_inference: number };
  latency_s: { per_timestep: number; per_inference: number };
  timesteps: number;
  seconds: { graph: number; partition: number; place: number };
  layers: { name: string; neurons: number; cores: number; neurons_per_core: number }[];
}

export function summarize(est: NeuromorphicEstimate, about: { source: string; network?: string }): PartitionSummary {
  const { mapping: mp, result: r, config } = est;
  const msg = r.summary.messages_per_timestep as { within_core: number; within_tile: number; across_tiles: number; across_chips: number };
  const step = (r.summary.per_timestep as { latency_s: number }).latency_s;
  const acrossCores = msg.within_tile + msg.across_tiles + msg.across_chips;
  const utilization: PartitionSummary['utilization'] = {};
  for (const n of LIMIT_NAMES) {
    const u = mp.cores.use[n];
    utilization[n] = { max: Math.max(...u) / mp.limits[n], mean: u.reduce((a, b) => a + b, 0) / u.length / mp.limits[n], limit: mp.limits[n] };
  }
  const T = r.summary.timesteps as number;
  return {
    source: about.source, network: about.network, target: r.target, chips: config.chips,
    cores_used: mp.cores.k, chips_used: r.summary.chips_used as number, blocks: mp.graph.nv,
    neurons: mp.graph.populations.filter((p) => !p.source).reduce((a, p) => a + p.neurons, 0), synapses: mp.graph.synapses, cores_split: mp.cores.splits,
    rates: mp.rates.source,
    messages_per_timestep: { within_core: msg.within_core, across_cores: acrossCores, across_chips: msg.across_chips, within_tile: msg.within_tile, across_tiles: msg.across_tiles },
    messages_per_second: { within_core: msg.within_core / step, across_cores: acrossCores / step, across_chips: msg.across_chips / step },
    edge_cut_per_timestep: graphEdgeCut(synapseGraphOf(mp.hypergraph), mp.cores.parts),
    utilization,
    energy_j: { per_timestep: r.summary.energy_j / T, per_inference: r.summary.energy_j },
    latency_s: { per_timestep: step, per_inference: r.summary.latency_s },
    timesteps: T, seconds: mp.seconds,
    layers: r.layers.map((l) => { const d = l.details as { neurons: number; cores: number; neurons_per_core: number }; return { name: l.name, neurons: d.neurons, cores: d.cores, neurons_per_core: d.neurons_per_core }; }),
  };
}

export function formatSummary(s: PartitionSummary): string {
  const lines: string[] = [];
  const what = s.network ? `${s.network} (${s.source})` : s.source;
  lines.push(`${what} on ${s.target}: ${int(s.cores_used)} core${s.cores_used === 1 ? '' : 's'} on ${s.chips_used} chip${s.chips_used === 1 ? '' : 's'} (the target has ${s.chips})`);
  lines.push(`  ${int(s.neurons)} neurons in ${int(s.blocks)} blocks, ${int(s.synapses)} synapses; ${s.cores_split} core${s.cores_split === 1 ? '' : 's'} added by splitting; ` +
    `partitioned in ${(s.seconds.graph + s.seconds.partition + s.seconds.place).toFixed(2)} s`);
  lines.push(`  rates: ${Object.entries(s.rates).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push('');
  const w = Math.max(5, ...s.layers.map((l) => l.name.length));
  lines.push(`  ${'layer'.padEnd(w)}  ${'neurons'.padStart(9)}  ${'cores'.padStart(6)}  ${'max/core'.padStart(8)}`);
  for (const l of s.layers) lines.push(`  ${l.name.padEnd(w)}  ${int(l.neurons).padStart(9)}  ${int(l.cores).padStart(6)}  ${int(l.neurons_per_core).padStart(8)}`);
  lines.push('');
  lines.push('  per-core limits      fullest core   mean over cores   limit');
  for (const [n, u] of Object.entries(s.utilization)) {
    lines.push(`  ${n.replace('_', ' ').padEnd(18)} ${`${(100 * u.max).toFixed(1)}%`.padStart(13)} ${`${(100 * u.mean).toFixed(1)}%`.padStart(17)}   ${int(u.limit)}`);
  }
  lines.push('');
  const m = s.messages_per_timestep, ps = s.messages_per_second;
  lines.push('  spike messages      per time step        per second');
  lines.push(`  within a core   ${num(m.within_core).padStart(17)} ${num(ps.within_core).padStart(17)}   (fanned out locally: no message)`);
  lines.push(`  across cores    ${num(m.across_cores).padStart(17)} ${num(ps.across_cores).padStart(17)}   (${num(m.within_tile)} within a tile, ${num(m.across_tiles)} over tile hops)`);
  lines.push(`  across chips    ${num(m.across_chips).padStart(17)} ${num(ps.across_chips).padStart(17)}`);
  lines.push(`  edge cut        ${num(s.edge_cut_per_timestep).padStart(17)} ${num(s.edge_cut_per_timestep / s.latency_s.per_timestep).padStart(17)}   (synapse edges across cores: to compare with gpmetis, not minimised)`);
  lines.push('');
  lines.push(`  energy   ${si(s.energy_j.per_timestep, 'J')} per time step, ${si(s.energy_j.per_inference, 'J')} per inference (${s.timesteps} step${s.timesteps === 1 ? '' : 's'})`);
  lines.push(`  latency  ${si(s.latency_s.per_timestep, 's')} per time step, ${si(s.latency_s.per_inference, 's')} per inference`);
  return lines.join('\n') + '\n';
}

export interface SweepRow {
  chips: number;
  summary?: PartitionSummary;
  /** Why it does not fit. */
  error?: string;
}

/**
 * The chip count a sweep recommends: the least energy per inference among the counts that fit,
 * the fewer chips on a tie. Energy, not latency, because a neuromorphic board is chosen to save
 * joules; spreading a network that fits on fewer chips only adds inter-chip messages and static power.
 */
export function chosenChips(rows: SweepRow[]): SweepRow | undefined {
  let best: SweepRow | undefined;
  for (const r of rows) {
    if (!r.summary) continue;
    const e = r.summary.energy_j.per_inference, b = best?.summary!.energy_j.per_inference;
    if (b === undefined || e < b || (e === b && r.chips < best!.chips)) best = r;
  }
  return best;
}

export function formatSweep(rows: SweepRow[], target: string): string {
  const head = ['chips', 'cores used', 'chips used', 'energy/inference', 'latency/inference', 'inter-chip msgs/step', 'messages/step'];
  const body = rows.map((r) => (r.summary
    ? [String(r.chips), int(r.summary.cores_used), String(r.summary.chips_used), si(r.summary.energy_j.per_inference, 'J'), si(r.summary.latency_s.per_inference, 's'), num(r.summary.messages_per_timestep.across_chips), num(r.summary.messages_per_timestep.across_cores)]
    : [String(r.chips), `does not fit: ${r.error}`]));
  const widths = head.map((h, i) => Math.max(h.length, ...body.filter((b) => b.length === head.length).map((b) => b[i]!.length)));
  const fmtRow = (cells: string[]) => `  ${cells.length === head.length ? cells.map((c, i) => c.padStart(widths[i]!)).join('  ') : `${cells[0]!.padStart(widths[0]!)}  ${cells[1]}`}`;
  const best = chosenChips(rows);
  const chosen = best
    ? `chosen: ${best.chips} chip${best.chips === 1 ? '' : 's'}, the least energy per inference of the counts that fit (${si(best.summary!.energy_j.per_inference, 'J')}, ${si(best.summary!.latency_s.per_inference, 's')})`
    : 'chosen: none; no chip count tried holds the network (try more chips)';
  return `sweep over chip counts on ${target}:\n${fmtRow(head)}\n${body.map(fmtRow).join('\n')}\n${chosen}\n`;
}

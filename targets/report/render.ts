/** Human-readable estimate reports, rendered with Handlebars from the same results as --json. */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { fmtJ } from '../config.ts';
import { failed, type EstimateEntry, type EstimateFailure } from '../estimate.ts';
import type { LayerStats, TargetResult } from '../stats.ts';
import { packagePath } from '../../compiler/io/package-root.ts';
import { fmtBytes, fmtN, fmtS, pct } from './format.ts';

export { fmtBytes, fmtN, fmtS, pct } from './format.ts';

const template = Handlebars.compile(readFileSync(packagePath('targets', 'report', 'report.hbs'), 'utf8'), { noEscape: true });

/** Left-align the first column, right-align the rest. */
export function grid(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ACTIVITY_LABEL: Record<string, string> = {
  firing_rate: 'rate', zero_fraction: 'zeros', input_zero_fraction: 'input zeros', delta_fraction: 'sent',
  events_per_activation: 'events', input_events_per_activation: 'input events',
};

/** The activity column: the quantity that scaled the price and its source, or `dense` when none did. */
function activityCell(l: LayerStats): string {
  const a = l.activity;
  if (!a) return '—';
  const key = a.priced_by as keyof typeof a.value | null;
  if (!key) return l.macs > 0 ? `dense · ${a.source}` : '—';
  const v = a.value[key];
  if (v === undefined) return `${ACTIVITY_LABEL[key] ?? key} · ${a.source}`;
  const bits = key === 'events_per_activation' && a.value.bits_per_activation !== undefined ? ` (${a.value.bits_per_activation.toFixed(2)} bits)` : '';
  return `${ACTIVITY_LABEL[key] ?? key} ${key === 'firing_rate' || key.endsWith('events_per_activation') ? v.toFixed(3) : pct(v)}${bits} · ${a.source}`;
}

function layerTable(layers: LayerStats[]): string {
  // Stalls get a column only when some layer waits on DRAM, so stall-free reports keep their shape.
  const stalls = layers.some((l) => (l.stall_cycles ?? 0) > 0);
  const stall = (l: LayerStats) => (l.stall_cycles ? `${fmtN(l.stall_cycles)}${l.stalled_most ? ` (${l.stalled_most})` : ''}` : '0');
  const rows = layers.map((l) => [l.name, l.op, fmtN(l.macs), l.cycles === undefined ? '—' : fmtN(l.cycles), ...(stalls ? [stall(l)] : []), fmtJ(l.energy_j), pct(l.utilization), l.bound ?? l.unit ?? '', activityCell(l), fmtBytes(l.param_bytes)]);
  return grid(['layer', 'op', 'MACs', 'cycles', ...(stalls ? ['stalls'] : []), 'energy', 'util', 'bound / unit', 'activity', 'params'], rows);
}

/** A failed target's cell: short enough for a column; the whole reason is printed under the table. */
function naCell(f: EstimateFailure): string {
  const why = f.diagnostic.message.replace(/^.*? cannot run on `[^`]*`: /, '').split(/: | \(/)[0]!;
  return `n/a: ${why.length > 40 ? why.slice(0, 39) + '…' : why}`;
}

function totalsTable(entries: EstimateEntry[]): string {
  const head = ['', ...entries.map((r) => r.target)];
  const row = (label: string, f: (r: TargetResult) => string, na = (_: EstimateFailure) => '') => [label, ...entries.map((e) => (failed(e) ? na(e) : f(e)))];
  const results = entries.filter((e): e is TargetResult => !failed(e));
  const categories = [...new Set(results.flatMap((r) => Object.keys(r.summary.breakdown_j)))];
  const per = (r: TargetResult) => r.summary.per_inference!;
  const steps = (r: TargetResult) => (typeof r.summary.timesteps === 'number' ? `, ${r.summary.timesteps} steps` : '');
  return grid(head, [
    row('kind', (r) => r.kind, naCell),
    row('batch costed', (r) => `${r.summary.batch} sample${r.summary.batch === 1 ? '' : 's'}${steps(r)}`),
    row('latency / inference', (r) => fmtS(per(r).latency_s)),
    row('energy / inference', (r) => fmtJ(per(r).energy_j)),
    row('latency / batch', (r) => fmtS(r.summary.latency_s)),
    row('energy / batch', (r) => fmtJ(r.summary.energy_j)),
    ...categories.map((c) => row(`  ${c}`, (r) => (r.summary.breakdown_j[c] === undefined ? '—' : fmtJ(r.summary.breakdown_j[c]!)))),
    row('MACs / synops', (r) => fmtN(r.summary.macs)),
    row('cycles', (r) => (r.summary.cycles === undefined ? '—' : fmtN(r.summary.cycles))),
    row('utilization', (r) => pct(r.summary.utilization)),
    row('parameters', (r) => fmtBytes(r.summary.param_bytes)),
  ]);
}

Handlebars.registerHelper('table', (layers: LayerStats[]) => layerTable(layers));

export function renderReport(entries: EstimateEntry[], perLayer: boolean): string {
  const results = entries.filter((e): e is TargetResult => !failed(e));
  const batched = results.some((r) => (r.summary.batch ?? 1) > 1);
  return template({ results, failures: entries.filter(failed), perLayer, batched, totals: totalsTable(entries) }).replace(/\n{3,}/g, '\n\n');
}

/** Human-readable estimate reports, rendered with Handlebars from the same results as --json. */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { fmtJ } from '../config.ts';
import type { LayerStats, TargetResult } from '../stats.ts';
import { packagePath } from '../../compiler/io/package-root.ts';

const template = Handlebars.compile(readFileSync(packagePath('targets', 'report', 'report.hbs'), 'utf8'), { noEscape: true });

function fmtN(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1e12) return (n / 1e12).toPrecision(4) + 'T';
  if (abs >= 1e9) return (n / 1e9).toPrecision(4) + 'G';
  if (abs >= 1e6) return (n / 1e6).toPrecision(4) + 'M';
  if (abs >= 1e4) return (n / 1e3).toPrecision(4) + 'k';
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}

function fmtS(s: number): string {
  if (s >= 1) return `${s.toPrecision(4)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toPrecision(4)} ms`;
  if (s >= 1e-6) return `${(s * 1e6).toPrecision(4)} µs`;
  return `${(s * 1e9).toPrecision(4)} ns`;
}

const pct = (f: number | undefined) => (f === undefined ? '—' : `${(f * 100).toFixed(1)}%`);

/** Left-align the first column, right-align the rest. */
function grid(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function layerTable(layers: LayerStats[]): string {
  const rows = layers.map((l) => [l.name, l.op, fmtN(l.macs), l.cycles === undefined ? '—' : fmtN(l.cycles), fmtJ(l.energy_j), pct(l.utilization), l.bound ?? l.unit ?? '']);
  return grid(['layer', 'op', 'MACs', 'cycles', 'energy', 'util', 'bound / unit'], rows);
}

function totalsTable(results: TargetResult[]): string {
  const head = ['', ...results.map((r) => r.target)];
  const row = (label: string, f: (r: TargetResult) => string) => [label, ...results.map(f)];
  const categories = [...new Set(results.flatMap((r) => Object.keys(r.summary.breakdown_j)))];
  return grid(head, [
    row('kind', (r) => r.kind),
    row('MACs / synops', (r) => fmtN(r.summary.macs)),
    row('cycles', (r) => (r.summary.cycles === undefined ? '—' : fmtN(r.summary.cycles))),
    row('latency', (r) => fmtS(r.summary.latency_s)),
    row('energy', (r) => fmtJ(r.summary.energy_j)),
    ...categories.map((c) => row(`  ${c}`, (r) => (r.summary.breakdown_j[c] === undefined ? '—' : fmtJ(r.summary.breakdown_j[c]!)))),
    row('utilization', (r) => pct(r.summary.utilization)),
  ]);
}

Handlebars.registerHelper('table', (layers: LayerStats[]) => layerTable(layers));

export function renderReport(results: TargetResult[], perLayer: boolean): string {
  return template({ results, perLayer, totals: totalsTable(results) }).replace(/\n{3,}/g, '\n\n');
}

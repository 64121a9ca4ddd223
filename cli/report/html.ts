/**
 * `renderReport`: one self-contained HTML page of an estimate (and, from `kiln explore`, a
 * design-space exploration). Charts are Vega-Lite specs rendered to SVG here, at report time, so
 * the page needs no script and no network to open; the data it draws from is embedded as JSON
 * (<script type="application/json" id="kiln-data">) for readers and tests to compare with --json.
 *
 * It lives in cli/ rather than targets/: targets/ prices networks and is what the browser
 * playground bundles; drawing a page (and Vega, a large dependency) is presentation for commands.
 */
import { fmtJ } from '../../targets/config.ts';
import { fmtBytes, fmtN, fmtS, pct } from '../../targets/report/render.ts';
import { esc } from '../../targets/neuromorphic/map-svg/xml.ts';
import { energySpec, latencySpec, paretoSpec } from './charts.ts';
import { embedJson, succeeded, type EstimateJson, type ExploreRow, type ReportInput } from './report-data.ts';
import { vegaLiteToSvg } from './vega-svg.ts';
import { mapSection } from './map-section.ts';

export type { EstimateJson, ExploreRow, ReportInput } from './report-data.ts';

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;margin:0.5em 0}th,td{padding:0.2em 0.6em;border-bottom:1px solid #ddd}
td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1em 0}.err{color:#a00}
.map{overflow:auto;max-height:48em;border:1px solid #ddd}`;

function table(head: string[], rows: string[][], numeric: (i: number) => boolean): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric(i) ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function chart(id: string, spec: ReturnType<typeof paretoSpec>): string {
  return spec ? `<figure id="${id}">${vegaLiteToSvg(spec)}</figure>` : '';
}

function exploreSection(rows: readonly ExploreRow[]): string {
  const body = rows.map((r) => r.energy_j === null
    ? [r.variant, r.target, pct(r.accuracy), 'n/a', 'n/a', 'n/a', r.error ?? '']
    : [r.variant, r.target, pct(r.accuracy), fmtJ(r.energy_j), fmtS(r.latency_s!), fmtBytes(r.param_bytes ?? undefined), r.pareto ? 'yes' : '']);
  return `<h2>Design space</h2>\n${chart('chart-pareto', paretoSpec(rows))}\n${table(['variant', 'target', 'accuracy', 'energy / inference', 'latency / inference', 'parameters', 'Pareto'], body, (i) => i >= 2 && i <= 5)}`;
}

function estimateSection(est: EstimateJson): string {
  const summary = est.results.map((r) =>
    succeeded(r)
      ? [r.target, r.kind, fmtS(r.summary.latency_s), fmtJ(r.summary.energy_j), String(r.summary.batch ?? 1), r.summary.per_inference ? fmtS(r.summary.per_inference.latency_s) : '—', r.summary.per_inference ? fmtJ(r.summary.per_inference.energy_j) : '—', fmtN(r.summary.macs)]
      : [r.target, r.kind, 'n/a', 'n/a', '', '', '', r.error],
  );
  const layers = est.results.filter(succeeded).map((r) => {
    const rows = r.layers.map((l) => [l.name, l.op, fmtN(l.macs), fmtN(l.cycles), fmtJ(l.energy_j), pct(l.utilization)]);
    const notes = [...r.warnings, ...r.notes].map((n) => `<li>${esc(n)}</li>`).join('');
    return `<h3>${esc(r.target)}</h3>\n${table(['layer', 'op', 'MACs', 'cycles', 'energy', 'utilization'], rows, (i) => i >= 2)}${notes ? `\n<ul>${notes}</ul>` : ''}`;
  });
  return `<h2>Estimates</h2>
${table(['target', 'kind', 'latency', 'energy', 'batch', 'latency / inference', 'energy / inference', 'MACs'], summary, (i) => i >= 2 && i <= 6)}
${chart('chart-energy', energySpec(est))}
${chart('chart-latency', latencySpec(est))}
<h2>Per layer</h2>
${layers.join('\n')}`;
}

export function renderReport(input: ReportInput): string {
  const { maps = [] } = input;
  const data = { estimate: input.estimate, explore: input.explore };
  const mapSections = maps.map((m) => mapSection(m, 'h2'));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${esc(input.title)}</h1>
${input.explore ? exploreSection(input.explore.rows) : ''}
${input.estimate ? estimateSection(input.estimate) : ''}
${mapSections.join('\n')}
<script type="application/json" id="kiln-data">${embedJson(data)}</script>
</body></html>
`;
}

/**
 * `kiln estimate --report FILE.html`: the page embeds the very object `--json` prints, draws its
 * charts as SVG from Vega-Lite (one legend entry per energy component the estimate reports), shows
 * the partition map of a neuromorphic target, and references nothing outside itself.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../cli/report/html.ts';
import { vegaLiteToSvg } from '../../cli/report/vega-svg.ts';
import { paretoSpec } from '../../cli/report/charts.ts';
import { TINY_SNN as SNN } from '../helpers/tiny-snn.ts';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';
import { embeddedData } from '../helpers/report.ts';

afterAll(removeTempFiles);


const figure = (html: string, id: string) => new RegExp(`<figure id="${id}">([\\s\\S]*?)</figure>`).exec(html)?.[1];

describe('kiln estimate --report', () => {
  const dir = tempFiles({ 's.kiln': SNN });
  const src = path.join(dir, 's.kiln');
  const out = path.join(dir, 'report.html');
  const targets = ['--target', 'loihi_1chip', '--target', 'avx2_laptop', '--target', 'systolic_32x32'];
  const withReport = runMain(['estimate', src, ...targets, '--rate', '0.05', '--report', out]);
  const json = runMain(['estimate', src, ...targets, '--rate', '0.05', '--json']);
  const html = withReport.code === 0 ? readFileSync(out, 'utf8') : '';

  it('writes the report and still prints the text estimate to stdout', () => {
    expect(withReport.err).not.toMatch(STACK_TRACE);
    expect(withReport.code).toBe(0);
    expect(withReport.out).toContain('loihi_1chip');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('embeds exactly what --json prints', () => {
    expect(json.code).toBe(0);
    expect(embeddedData(html).estimate).toEqual(JSON.parse(json.out));
  });

  it('stacks each layer energy by every component the estimate reports, one bar segment each', () => {
    const energy = figure(html, 'chart-energy')!;
    expect(energy.startsWith('<svg ')).toBe(true);
    const results = (JSON.parse(json.out) as { results: { layers: { name: string; breakdown_j: Record<string, number> }[] }[] }).results;
    const parts = results.flatMap((r) => r.layers.flatMap((l) => Object.entries(l.breakdown_j).map(([c, j]) => ({ layer: l.name, c, j }))));
    const components = new Set(parts.map((p) => p.c));
    expect(components.size).toBeGreaterThan(3);
    const missing = [...components].filter((c) => !energy.includes(`>${c}</text>`));
    expect(missing).toEqual([]);
    const bars = [...energy.matchAll(/aria-label="energy \(J\): ([^;]+); layer: ([^;]+); component: ([^"]+)"/g)];
    expect(bars.length).toBe(parts.length);
    for (const p of parts) expect(bars.some((b) => b[2] === p.layer && b[3] === p.c && Math.abs(Number(b[1]) - p.j) <= 1e-6 * p.j)).toBe(true);
  });

  it('draws per-layer latency for the targets that report it, and the partition map of the Loihi one', () => {
    const latency = figure(html, 'chart-latency')!;
    expect(latency.startsWith('<svg ')).toBe(true);
    expect(latency.includes('>avx2_laptop</text>')).toBe(true);
    expect(latency.includes('>loihi_1chip</text>')).toBe(false); // neuromorphic layers report no latency of their own
    expect(html).toMatch(/<h2>Partition map: loihi_1chip<\/h2>\n<div class="map"><svg /);
  });

  it('needs nothing from the network to open', () => {
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    expect(html).not.toMatch(/<script(?![^>]*type="application\/json")/);
  });

  it('refuses an output it cannot write before estimating, and --training, as usage errors', () => {
    const r = runMain(['estimate', src, '--target', 'avx2_laptop', '--report', path.join(dir, 'missing', 'r.html')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--report .* the directory .* does not exist; create it first/);
    const t = runMain(['estimate', src, '--target', 'avx2_laptop', '--training', '--report', out]);
    expect(t.code).toBe(2);
    expect(t.err).toContain('--report');
  });
});

describe('renderReport', () => {
  it('draws explore rows as a log-energy scatter, one colour per target, and embeds them', () => {
    const rows = [
      { variant: 'f32', layers: {}, target: 'avx2_laptop', kind: 'simd_cpu', accuracy: 0.97, energy_j: 2e-4, latency_s: 1e-3, param_bytes: 4000, pareto: true },
      { variant: 'i8', layers: {}, target: 'systolic_32x32', kind: 'systolic', accuracy: 0.96, energy_j: 3e-7, latency_s: 1e-4, param_bytes: 1000, pareto: true },
      { variant: 'i8', layers: {}, target: 'avx2_laptop', kind: 'simd_cpu', accuracy: 0.96, energy_j: 5e-4, latency_s: 2e-3, param_bytes: 1000, pareto: false },
    ];
    const html = renderReport({ title: 'explore <test>', explore: { rows } });
    expect(html).toContain('<title>explore &lt;test&gt;</title>');
    expect(embeddedData(html).explore).toEqual({ rows });
    const svg = figure(html, 'chart-pareto')!;
    for (const t of ['avx2_laptop', 'systolic_32x32']) expect(svg.includes(`>${t}</text>`)).toBe(true);
    // Three points, three decades apart at most: a log axis labels powers of ten.
    expect(/aria-label="X-axis titled '[^']*' for a log scale/.test(svg)).toBe(true);
  });

  it('keeps a layer name that would close the data script inert', () => {
    const html = renderReport({ title: 't', explore: { rows: [{ variant: '</script><script>alert(1)</script>', layers: {}, target: 'a', kind: 'simd_cpu', accuracy: 0.5, energy_j: 1e-6, latency_s: 1e-6, param_bytes: 1, pareto: true }] } });
    expect(html).not.toContain('<script>alert');
    expect((embeddedData(html).explore as { rows: { variant: string }[] }).rows[0]!.variant).toBe('</script><script>alert(1)</script>');
  });
});

describe('vegaLiteToSvg', () => {
  it('draws what vega’s own asynchronous toSVG draws, byte for byte', async () => {
    const spec = paretoSpec([
      { variant: 'a', layers: {}, target: 't1', kind: 'simd_cpu', accuracy: 0.9, energy_j: 1e-3, latency_s: 1, param_bytes: 1, pareto: true },
      { variant: 'b', layers: {}, target: 't2', kind: 'simd_cpu', accuracy: 0.8, energy_j: 1e-6, latency_s: 1, param_bytes: 1, pareto: false },
    ])!;
    const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
    expect(vegaLiteToSvg(spec)).toBe(await view.toSVG());
  });
});

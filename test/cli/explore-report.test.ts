/**
 * kiln explore's neuromorphic columns and its HTML report on a tiny Iris network: --chips makes one
 * column per chip count, a network the converter refuses keeps its rows with the reason, and
 * --report writes the estimate report's page with exactly the --json rows embedded.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_IRIS } from '../helpers/tiny-iris.ts';
import { removeTempFiles, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';
import { embeddedData } from '../helpers/report.ts';

// tanh has no integrate-and-fire equivalent (a neuron's rate is never negative), so kiln convert refuses this one.
const TANH = TINY_IRIS.replace('dense(x, 8) -> relu', 'dense(x, 8) -> tanh');

afterAll(removeTempFiles);

interface Row { variant: string; target: string; kind: string; accuracy: number; energy_j: number | null; pareto: boolean; chips?: number; timesteps?: number; error?: string }

describe('kiln explore --chips --report', () => {
  const dir = tempFiles({ 'tiny.kiln': TINY_IRIS, 'tanh.kiln': TANH });
  const html = path.join(dir, 'explore.html');
  const args = ['explore', path.join(dir, 'tiny.kiln'), '--ptq', '--precision', 'f32,i8,binary', '--timesteps', '8',
    '--target', 'avx2_laptop', '--target', 'loihi_32chip', '--chips', '1,2'];
  const withReport = runMain([...args, '--report', html]);
  const json = runMain([...args, '--json']);
  const rows = json.code === 0 ? (JSON.parse(json.out) as { rows: Row[]; timesteps: number }).rows : [];

  it('makes one neuromorphic column per chip count, each variant converted at the given step count', () => {
    expect(withReport.code, withReport.err).toBe(0);
    expect(json.code, json.err).toBe(0);
    expect(withReport.err).not.toMatch(STACK_TRACE);
    expect([...new Set(rows.map((r) => r.target))]).toEqual(['avx2_laptop', 'loihi_32chip (1 chip)', 'loihi_32chip (2 chips)']);
    const chip2 = rows.filter((r) => r.chips === 2);
    // Binary's relu reads sign activations: steps, exact in one time step whatever T was asked for.
    expect(chip2.map((r) => r.variant)).toEqual(['f32 → SNN T=8', 'i8 → SNN T=8', 'binary → SNN T=1']);
    expect(chip2.every((r) => r.timesteps === (r.variant.startsWith('binary') ? 1 : 8) && r.energy_j !== null)).toBe(true);
    // The conversion is per variant, not per column: both chip counts report the same accuracy.
    expect(rows.filter((r) => r.chips === 1).map((r) => r.accuracy)).toEqual(chip2.map((r) => r.accuracy));
    expect(withReport.out).toMatch(/loihi_32chip \(2 chips\) \(neuromorphic\), per inference:/);
    // The second run converted and partitioned nothing: every variant came from the cache.
    expect(json.err).toMatch(/3 variants, 3 from the cache, 0 computed/);
  });

  it('the report embeds exactly the --json rows and draws the scatter, per-layer charts and partition maps', () => {
    const page = readFileSync(html, 'utf8');
    expect(embeddedData(page).explore).toEqual({ rows });
    const pareto = /<figure id="chart-pareto">([\s\S]*?)<\/figure>/.exec(page)![1]!;
    for (const t of ['avx2_laptop', 'loihi_32chip (1 chip)', 'loihi_32chip (2 chips)']) expect(pareto).toContain(`>${t}</text>`);
    expect(pareto).toMatch(/aria-label="X-axis titled '[^']*' for a log scale/);
    // Per-layer estimates of the Pareto-optimal rows only, each named column · variant.
    const estimate = embeddedData(page).estimate as { results: { target: string }[] };
    expect(estimate.results.map((r) => r.target).sort()).toEqual(rows.filter((r) => r.pareto).map((r) => `${r.target} · ${r.variant}`).sort());
    expect(page).toContain('<figure id="chart-energy">');
    expect(page).toContain('<figure id="chart-latency">');
    expect(page.match(/<h2>Partition map: loihi_32chip \((1 chip|2 chips)\) · [^<]+<\/h2>\n<div class="map"><svg /g)).toHaveLength(2);
  });

  it('a network the converter refuses keeps its neuromorphic rows, with the reason', () => {
    const r = runMain(['explore', path.join(dir, 'tanh.kiln'), '--ptq', '--precision', 'f32,binary', '--target', 'loihi_32chip', '--json']);
    expect(r.code, r.err).toBe(0);
    const got = (JSON.parse(r.out) as { rows: Row[] }).rows;
    expect(got).toHaveLength(2);
    for (const x of got) {
      expect(x.energy_j).toBeNull();
      expect(x.error).toMatch(/^cannot convert to spiking: `h` \(tanh\) cannot be converted to spiking neurons/);
    }
  });
});

/**
 * The HTML report opens in a real browser: Chromium loads it from a file (no network), logs no
 * error, and lays out the charts' SVG with a real size; for `kiln estimate --report` and `kiln explore --report`. Skipped, saying why, only where no
 * chromium binary exists.
 */
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium, NO_BROWSER } from '../helpers/browser.ts';
import { TINY_SNN as SNN } from '../helpers/tiny-snn.ts';
import { TINY_IRIS } from '../helpers/tiny-iris.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);



if (!chromiumPath) {
  console.warn(`report-browser.test.ts skipped: ${NO_BROWSER}`);
  it.skip(`opens the report in chromium — skipped: ${NO_BROWSER}`, () => {});
}

describe.skipIf(!chromiumPath)('the estimate report in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('loads offline without console errors, with every chart and the partition map drawn', async () => {
    const dir = tempFiles({ 's.kiln': SNN });
    const file = path.join(dir, 'report.html');
    const r = runMain(['estimate', path.join(dir, 's.kiln'), '--target', 'loihi_1chip', '--target', 'systolic_32x32', '--rate', '0.05', '--report', file]);
    expect(r.code).toBe(0);
    const { page, context, problems, requests } = await open(file);

    for (const id of ['chart-energy', 'chart-latency']) {
      const box = await page.locator(`#${id} > svg`).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(100);
    }
    // Stacked bars are SVG paths the browser draws with a non-empty box.
    const bars = await page.locator('#chart-energy svg path[aria-roledescription="bar"]').count();
    expect(bars).toBeGreaterThan(5);
    expect(await page.locator('.map > svg').count()).toBe(1);
    const data = JSON.parse((await page.locator('#kiln-data').textContent())!) as { estimate: { results: { target: string }[] } };
    expect(data.estimate.results.map((x) => x.target)).toEqual(['loihi_1chip', 'systolic_32x32']);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('opens the kiln explore report: the Pareto scatter, per-layer charts and the partition map, and the --json rows', async () => {
    const dir = tempFiles({ 'tiny.kiln': TINY_IRIS });
    const file = path.join(dir, 'explore.html');
    const args = ['explore', path.join(dir, 'tiny.kiln'), '--ptq', '--precision', 'f32,i8,binary', '--timesteps', '8', '--target', 'avx2_laptop', '--target', 'loihi_1chip'];
    const r = runMain([...args, '--report', file]);
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(runMain([...args, '--json']).out) as { rows: unknown[] };
    const { page, context, problems, requests } = await open(file);
    for (const id of ['chart-pareto', 'chart-energy', 'chart-latency']) {
      const box = await page.locator(`#${id} > svg`).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width).toBeGreaterThan(300);
    }
    // One point per priced row: three variants on each of two targets.
    expect(await page.locator('#chart-pareto svg path[aria-roledescription="point"]').count()).toBe(6);
    expect(await page.locator('.map > svg').count()).toBe(1);
    const data = JSON.parse((await page.locator('#kiln-data').textContent())!) as { explore: { rows: unknown[] } };
    expect(data.explore.rows).toEqual(json.rows);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  /** The page from a file, offline, with its console problems and requests recorded. */
  async function open(file: string) {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    return { page, context, problems, requests };
  }
});

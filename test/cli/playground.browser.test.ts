/**
 * The playground end to end in a real browser: `kiln serve` (the bundle a user runs) on a free
 * port, Chromium through playwright-core; type a network with a mistake, see the diagnostic the
 * command line gives at the same place, fix it, and read back exactly what `kiln estimate --json`
 * prints for the same text. Skipped, saying why, only where no chromium binary exists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.ts';
import { fmtJ } from '../../targets/config.ts';
import { chromiumPath, launchChromium, NO_BROWSER } from '../helpers/browser.ts';
import { TINY_SNN } from '../helpers/tiny-snn.ts';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';
import { repoRoot } from '../helpers/paths.ts';

afterAll(removeTempFiles);

if (!chromiumPath) {
  console.warn(`playground.browser.test.ts skipped: ${NO_BROWSER}`);
  it.skip(`drives the playground in chromium — skipped: ${NO_BROWSER}`, () => {});
}

const TARGETS = ['avx2_laptop', 'loihi_1chip'];

/** `kiln serve --port 0`, resolved with the URL it prints once it listens. */
function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/kiln.js'), 'serve', '--port', '0', ...TARGETS.flatMap((t) => ['--target', t])], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /Kiln playground: (http:\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`kiln serve exited ${code} before listening: ${err}`)));
  });
}

/** Replace the editor's whole text, as a user pasting it would. */
async function setText(page: Page, text: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

/**
 * Replace the page's workers: the first `planted` it makes run `src` instead of the analysis
 * worker, the rest are real. Every one made is kept in `window.made`; the result counts them.
 */
async function plantWorkers(page: Page, src: string, planted = Number.MAX_SAFE_INTEGER): Promise<() => Promise<number>> {
  await page.addInitScript(({ src, planted }) => {
    const Real = window.Worker;
    const w = window as unknown as { made: Worker[] };
    w.made = [];
    window.Worker = class extends Real {
      constructor(url: string | URL, opts?: WorkerOptions) {
        super(w.made.length < planted ? URL.createObjectURL(new Blob([src], { type: 'text/javascript' })) : url, opts);
        w.made.push(this);
      }
    };
  }, { src, planted });
  return () => page.evaluate(() => (window as unknown as { made: Worker[] }).made.length);
}

describe.skipIf(!chromiumPath)('the playground in chromium', () => {
  let browser: Browser;
  let server: { child: ChildProcess; url: string };
  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), serve()]);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('shows a located diagnostic as you type, then the estimate kiln estimate --json prints', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForSelector('body[data-analysed]');
    expect(await page.locator('#presets input:checked').evaluateAll((xs) => xs.map((x) => (x as HTMLInputElement).value))).toEqual(TARGETS);

    const bad = TINY_SNN.replace('-> lif\n  y', '-> lfi\n  y');
    await setText(page, bad);
    // The mistake is underlined where the command line places it, and listed in its words.
    const mark = page.locator('.cm-lintRange-error');
    await mark.first().waitFor();
    expect(await mark.allTextContents()).toEqual(['lfi']);
    const dir = tempFiles({ 'bad.kiln': bad, 's.kiln': TINY_SNN });
    const check = runMain(['check', path.join(dir, 'bad.kiln')]);
    const cliError = /bad\.kiln:(\d+:\d+: error: [^\n]*)/.exec(check.err)![1]!;
    expect(await page.locator('#problems li.error').first().textContent()).toContain(`playground.kiln:${cliError}`);
    expect(await page.locator('body').getAttribute('data-state')).toBe('error');

    await setText(page, TINY_SNN);
    await page.waitForSelector('body[data-state="ok"]');
    await expect.poll(() => mark.count()).toBe(0);
    const cli = JSON.parse(runMain(['estimate', path.join(dir, 's.kiln'), ...TARGETS.flatMap((t) => ['--target', t]), '--json']).out) as { results: { target: string; summary: { per_inference: { energy_j: number } } }[] };
    await expect.poll(async () => JSON.parse((await page.locator('#estimate-json').textContent()) || '{}') as unknown).toEqual(cli);
    // The table shows the same figures, formatted as the reports format them.
    for (const r of cli.results) {
      expect(await page.locator(`#estimates tr[data-target="${r.target}"] td:nth-child(4)`).textContent()).toBe(fmtJ(r.summary.per_inference.energy_j));
    }
    const nodes = Object.keys(compile(path.join(dir, 's.kiln')).module.nodes);
    expect(await page.locator('#graph svg g[data-node]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-node')))).toEqual(nodes);
    expect(await page.locator('#maps .map > svg').count()).toBe(1);
    expect(problems).toEqual([]);
  }, 30_000);

  it('keeps taking keystrokes while a large network is analysed (in a Web Worker)', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForSelector('body[data-analysed]');
    // Mapping this network onto loihi_1chip's cores takes about a second of CPU (docs/playground.md).
    await setText(page, readFileSync(path.join(repoRoot, 'examples/spiking_cnn.kiln'), 'utf8'));
    await page.waitForSelector('body[data-busy]');
    const busy = Date.now();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('# typed while busy');
    await page.locator('.cm-content', { hasText: '# typed while busy' }).waitFor();
    const echoed = Date.now() - busy;
    await page.waitForSelector('body:not([data-busy])', { timeout: 60_000 });
    const analysed = Date.now() - busy;
    // On the main thread the keystrokes would wait for the analysis; in the worker they are in the
    // editor long before it ends (the typing restarts it, and it runs its course again).
    expect(echoed, `keystrokes echoed after ${echoed} ms, analysis done after ${analysed} ms`).toBeLessThan(analysed / 2);
    await page.waitForSelector('body[data-state="ok"]');
    expect(await page.locator('#estimates tr[data-target="loihi_1chip"] td:nth-child(4)').textContent()).toMatch(/J$/);
    expect(problems).toEqual([]);
  }, 90_000);

  it('shows an exception the worker did not catch as an error on the page, not "busy" for ever', async () => {
    const page = await browser.newPage();
    // Every worker the page starts answers the presets, then throws on each analysis, past any catch.
    const made = await plantWorkers(page, "self.onmessage = (e) => { if (e.data.kind === 'presets') self.postMessage({ kind: 'presets', presets: [] }); else throw new Error('planted failure'); };");
    await page.goto(server.url);
    await page.waitForSelector('body[data-analysed="1"]', { timeout: 10_000 });
    const body = page.locator('body');
    expect(await body.getAttribute('data-busy')).toBeNull();
    expect(await body.getAttribute('data-state')).toBe('error');
    expect(await page.locator('#problems li.error').first().textContent()).toMatch(/internal error \(a bug in Kiln\): the analysis worker failed: .*planted failure/);
    expect(await made()).toBe(1);
    // The next pause in typing starts a new worker (whose failure shows the same way).
    await setText(page, TINY_SNN);
    await page.waitForSelector('body[data-analysed="2"]');
    expect(await body.getAttribute('data-busy')).toBeNull();
    expect(await made()).toBe(2);
  }, 30_000);

  it('shows the preset checkboxes from the worker that replaced one that failed before answering, and ignores a replaced worker\'s errors', async () => {
    const page = await browser.newPage();
    // The first worker throws on its first message (the preset list); later ones are the real worker.
    const made = await plantWorkers(page, "self.onmessage = () => { throw new Error('planted failure'); };", 1);
    await page.goto(server.url);
    await page.waitForSelector('body[data-analysed="1"]', { timeout: 10_000 });
    // Whether the failure ended the first analysis or came before it, one more makes sure a real worker answered.
    await setText(page, TINY_SNN);
    await page.waitForSelector('body[data-analysed="2"]', { timeout: 60_000 });
    await page.waitForSelector('body[data-state="ok"]', { timeout: 60_000 });
    expect(await made()).toBe(2);
    expect(await page.locator('#presets input[type="checkbox"]').count()).toBeGreaterThan(0);
    // An error event from the replaced worker is about no analysis: nothing shown, and the current worker is kept.
    await page.evaluate(() => (window as unknown as { made: Worker[] }).made[0]!.dispatchEvent(new ErrorEvent('error', { message: 'stale failure' })));
    await setText(page, `${TINY_SNN}\n# again`);
    await page.waitForSelector('body[data-analysed="3"]', { timeout: 60_000 });
    expect(await page.locator('body').getAttribute('data-state')).toBe('ok');
    expect(await page.locator('#problems').textContent()).not.toMatch(/stale failure/);
    expect(await made()).toBe(2);
  }, 90_000);

  it('stops on Ctrl-C (SIGINT) with status 0', async () => {
    const exited = new Promise<number | null>((resolve) => server.child.on('exit', resolve));
    server.child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

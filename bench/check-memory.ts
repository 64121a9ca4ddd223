/**
 * Peak memory of `kiln check` on 2 MB sources (issue 9: "a 2 MB source checks in under 200 MB of
 * memory", in under 5 s): a generated residual conv network of 55,426 layers (2.3 MB, one layer a
 * line) and one statement chaining 262,144 relus (2 MB). Each runs as a fresh process from the
 * bundle in dist/; the child reports its own peak resident set size (getrusage's ru_maxrss) on exit.
 * `npx tsx bench/check-memory.ts`; `kiln check examples/mlp.kiln` is measured too, as the floor.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../bin/dist-stamp.js';
import { reluChain } from './front-end.ts';
import { generateNetwork } from './generate-network.ts';
import { ensureDist } from './startup.ts';

export interface MemoryRow { source: string; megabytes: number; peakRssMb: number; seconds: number }

export function benchCheckMemory(): MemoryRow[] {
  ensureDist();
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-check-memory-'));
  const hook = path.join(dir, 'rss.cjs');
  writeFileSync(hook, "process.on('exit', () => process.stderr.write(`\\nKILN_MAX_RSS_KB ${process.resourceUsage().maxRSS}\\n`));\n");
  const sources: [string, string][] = [
    ['examples/mlp.kiln', path.join(ROOT, 'examples/mlp.kiln')],
    ['55,426-layer network', path.join(dir, 'mixed.kiln')],
    ['262,144-relu chain', path.join(dir, 'chain.kiln')],
  ];
  writeFileSync(sources[1]![1], generateNetwork(55_426));
  writeFileSync(sources[2]![1], reluChain(262_144));
  try {
    return sources.map(([source, file]) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['--require', hook, 'bin/kiln.js', 'check', file], { cwd: ROOT, encoding: 'utf8' });
      const seconds = (performance.now() - t0) / 1000;
      const kb = /KILN_MAX_RSS_KB (\d+)/.exec(r.stderr)?.[1];
      if (r.status !== 0 || kb === undefined) throw new Error(`kiln check ${source} failed: ${r.stderr}`);
      return { source, megabytes: statSync(file).size / 1e6, peakRssMb: Number(kb) / 1024, seconds };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('kiln check, peak RSS of a fresh process (goal for 2 MB: < 200 MB, < 5 s)');
  for (const r of benchCheckMemory()) console.log(`  ${r.source.padEnd(22)} ${r.megabytes.toFixed(2).padStart(5)} MB source  ${r.peakRssMb.toFixed(0).padStart(5)} MB peak  ${r.seconds.toFixed(2).padStart(6)} s`);
}

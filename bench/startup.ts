/**
 * Start-up of the `kiln` command (issue 9): `kiln --version` and `kiln estimate
 * examples/lenet5.kiln --target tpu_v1_like`, each run as a fresh process from the bundle in dist/
 * and from the TypeScript sources (KILN_FROM_SOURCE=1, through tsx). Reports the median wall time
 * and the median process CPU time (user + sys, which other jobs on the machine disturb less).
 * Goals with the bundle: ≤ 0.2 s CPU for --version, ≤ 0.6 s for the estimate.
 * `npx tsx bench/startup.ts [--runs N]` (default 7); builds dist/ first if it is stale.
 */
import { spawnSync } from 'node:child_process';
import { distIsCurrent, ROOT } from '../bin/dist-stamp.js';
import { KilnChild } from './kiln-child.ts';
import { median } from './timing.ts';

const COMMANDS: Record<string, string[]> = {
  '--version': ['--version'],
  'estimate lenet5': ['estimate', 'examples/lenet5.kiln', '--target', 'tpu_v1_like'],
};

export interface StartupRow { mode: 'dist' | 'source'; command: string; wallS: number; cpuS: number }

/** Build dist/ when it is stale, so a measured `kiln` runs the bundle (tsx would add its own cost). */
export function ensureDist(): void {
  if (!distIsCurrent()) {
    const b = spawnSync(process.execPath, ['scripts/build.js'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
}

export function benchStartup(runs = 7): StartupRow[] {
  ensureDist();
  const kiln = new KilnChild();
  const rows: StartupRow[] = [];
  try {
    for (const mode of ['dist', 'source'] as const) {
      for (const [command, argv] of Object.entries(COMMANDS)) {
        const wall: number[] = [], cpu: number[] = [];
        for (let i = 0; i <= runs; i++) {
          const r = kiln.run(argv, { KILN_FROM_SOURCE: mode === 'source' ? '1' : '0' });
          if (r.status !== 0) throw new Error(`kiln ${argv.join(' ')} (${mode}) failed: ${r.stderr}`);
          // A source edited mid-run sends KILN_FROM_SOURCE=0 back to tsx: that sample timed the wrong code.
          if (r.entry !== mode) throw new Error(`kiln ${argv.join(' ')} ran from ${r.entry}, not ${mode}: a source changed during the bench; run it again`);
          if (i === 0) continue; // warm-up: file cache, tsx's compile cache
          wall.push(r.wallS);
          cpu.push(r.cpuS);
        }
        rows.push({ mode, command, wallS: median(wall), cpuS: median(cpu) });
      }
    }
  } finally {
    kiln.dispose();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 7;
  console.log(`kiln start-up, median of ${runs} fresh processes after a warm-up (CPU = user + sys)`);
  console.log('  from     command            wall      CPU');
  for (const r of benchStartup(runs)) console.log(`  ${r.mode.padEnd(7)}  ${r.command.padEnd(16)} ${r.wallS.toFixed(2).padStart(6)} s ${r.cpuS.toFixed(2).padStart(6)} s`);
}

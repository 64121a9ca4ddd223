/**
 * Runs the built `kiln` command (bin/kiln.js) as a fresh child process and reports the child's own
 * CPU time (user + sys), for benchmarks of whole commands (bench/startup.ts, bench/binary-run.ts).
 * The child reports it on exit through a CommonJS preload (process.cpuUsage covers every thread of
 * the process; an ESM preload would cost start-up time of its own), so no external `time` command
 * is needed and the report line is taken out of the stderr handed back. The same line says which
 * code ran: bin/kiln.js falls back to the TypeScript sources through tsx when a source changed after
 * the last build, and a benchmark of the bundle must refuse such a sample (`entry`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../bin/dist-stamp.js';

/**
 * `entry`: the code bin/kiln.js chose, 'dist' (the bundle) or 'source' (tsx); 'none' when the child
 * ended before choosing.
 */
export interface ChildRun { status: number | null; stdout: string; stderr: string; cpuS: number; wallS: number; entry: 'dist' | 'source' | 'none' }

const REPORT = /\nKILN_CPU_US (\d+) (dist|source|none)\n/;

export class KilnChild {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'kiln-child-'));
  private readonly hook = path.join(this.dir, 'cpu.cjs');

  constructor() {
    writeFileSync(this.hook, "process.on('exit', () => { const u = process.cpuUsage(); "
      + "process.stderr.write(`\\nKILN_CPU_US ${u.user + u.system} ${globalThis[Symbol.for('kiln.entry')] ?? 'none'}\\n`); });\n");
  }

  /** `node bin/kiln.js ...argv` from the package root, with `env` added to this process's environment. */
  run(argv: readonly string[], env: Record<string, string> = {}): ChildRun {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--require', this.hook, 'bin/kiln.js', ...argv], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20,
    });
    const wallS = (performance.now() - t0) / 1000;
    const m = REPORT.exec(r.stderr);
    if (!m) throw new Error(`kiln ${argv.join(' ')} reported no CPU time (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(REPORT, ''), cpuS: Number(m[1]) / 1e6, wallS, entry: m[2] as ChildRun['entry'] };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

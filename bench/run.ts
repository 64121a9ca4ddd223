/**
 * `npm run bench`: every benchmark in one run, on this machine, printed as the tables
 * docs/benchmarks.md records. Each benchmark is also runnable alone (`npx tsx bench/NAME.ts`).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
// partition compares with gpmetis on networks up to 1M neurons (about 30 minutes), and conversion
// trains four networks and runs six conversions for 200 steps (about an hour): ask for them by name.
const ALL = ['startup', 'front-end', 'check-memory', 'estimate', 'scalesim', 'kernels', 'precision', 'training', 'training-cost', 'mapping', 'partition', 'conversion'];
const BY_NAME = ['partition', 'conversion'];
const benches = (only.length ? ALL : ALL.filter((b) => !BY_NAME.includes(b))).filter((b) => only.length === 0 || only.includes(b));

let failed = 0;
for (const b of benches) {
  console.log(`\n### ${b}\n`);
  // A process each, so one benchmark's JIT state and garbage do not colour the next.
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${b}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`(${b} exited with ${r.status ?? r.signal})`);
  }
}
process.exitCode = failed ? 1 : 0;

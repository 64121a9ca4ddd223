/**
 * Before any test file: build dist/ if it is missing or older than the sources, so the tests
 * that spawn bin/kiln.js run the bundle a user gets from `npm install` (about 0.3 s a process
 * instead of 2-3 s compiling TypeScript through tsx). A current build is left alone.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { distIsCurrent, ROOT } from '../bin/dist-stamp.js';

export function setup(): void {
  if (distIsCurrent()) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.js')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`building dist/ failed (exit ${r.status ?? r.signal}); run \`npm run build\` to see why`);
}

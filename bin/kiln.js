#!/usr/bin/env node
// The kiln command. It runs the bundle in dist/ (built by `npm run build`, which `npm install` and
// `npm ci` run as the `prepare` script) when that bundle was built from the sources as they are
// now; otherwise, or with KILN_FROM_SOURCE=1, it runs the TypeScript sources through tsx's loader
// (2-3 s slower to start, since tsx compiles them). So an edited source file is never shadowed by
// a stale bundle: it runs from source until the next `npm run build`.
import { pathToFileURL } from 'node:url';
import { distIsCurrent, ROOT } from './dist-stamp.js';

let entry, ran;
if (process.env.KILN_FROM_SOURCE !== '1' && distIsCurrent()) {
  entry = pathToFileURL(`${ROOT}/dist/main.js`).href;
  ran = 'dist';
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../cli/main.ts', import.meta.url).href;
  ran = 'source';
}
// Which code this process runs, for a benchmark's preload to read at exit (bench/kiln-child.ts):
// a sample timed on tsx's compiler instead of the bundle must be refused, not averaged in.
Object.defineProperty(globalThis, Symbol.for('kiln.entry'), { value: ran });
const { cli } = await import(entry);
process.exitCode = await cli(process.argv.slice(2));

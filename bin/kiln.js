#!/usr/bin/env node
// The kiln command. It runs the bundle in dist/ (built by `npm run build`, which `npm install` and
// `npm ci` run as the `prepare` script) when that bundle was built from the sources as they are
// now; otherwise, or with KILN_FROM_SOURCE=1, it runs the TypeScript sources through tsx's loader
// (2-3 s slower to start, since tsx compiles them). So an edited source file is never shadowed by
// a stale bundle: it runs from source until the next `npm run build`.
import { pathToFileURL } from 'node:url';
import { distIsCurrent, ROOT } from './dist-stamp.js';

let entry;
if (process.env.KILN_FROM_SOURCE !== '1' && distIsCurrent()) {
  entry = pathToFileURL(`${ROOT}/dist/main.js`).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../cli/main.ts', import.meta.url).href;
}
const { cli } = await import(entry);
process.exitCode = await cli(process.argv.slice(2));

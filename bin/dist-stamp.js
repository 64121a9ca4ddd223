// The stamp that says which sources dist/ was built from: every bundled source file with its size
// and modification time when the bundle was written. bin/kiln.js runs dist/ only when every one
// of them is unchanged, so an edited, deleted or checked-out source file (or a new one, which only
// runs once an edited file imports it) sends the command back to the TypeScript sources instead
// of a stale bundle. Checking is one stat a file (about 180 files, a few milliseconds).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (this file is in bin/). */
export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** @param {string} root */
const stampFile = (root) => path.join(root, 'dist', 'build.json');

/**
 * Record the sources (paths relative to `root`) the bundle in `root`/dist was built from.
 * @param {string[]} files
 */
export function writeStamp(files, root = ROOT) {
  /** @type {Record<string, { size: number, mtimeMs: number }>} */
  const inputs = {};
  for (const f of files.slice().sort()) {
    const s = statSync(path.join(root, f));
    inputs[f] = { size: s.size, mtimeMs: s.mtimeMs };
  }
  writeFileSync(stampFile(root), JSON.stringify({ inputs }, null, 1) + '\n');
}

/**
 * The stamp's text (undefined when there is none): two equal texts are the same build, so a
 * benchmark can tell that dist/ was rebuilt between its samples.
 */
export function readStamp(root = ROOT) {
  try {
    return readFileSync(stampFile(root), 'utf8');
  } catch {
    return undefined;
  }
}

/** True when `root`/dist holds a complete build of the sources as they are now. */
export function distIsCurrent(root = ROOT) {
  /** @type {{ inputs: Record<string, { size: number, mtimeMs: number }> }} */
  let stamp;
  try {
    stamp = JSON.parse(readStamp(root) ?? '');
  } catch {
    return false; // never built, or the build did not finish (the stamp is written last)
  }
  // A stamp that parses but lists no inputs was not written by this build: treat it as no build,
  // so the command falls back to the sources instead of failing on every run.
  if (typeof stamp?.inputs !== 'object' || stamp.inputs === null) return false;
  for (const [f, want] of Object.entries(stamp.inputs)) {
    let s;
    try {
      s = statSync(path.join(root, f));
    } catch {
      return false;
    }
    if (s.size !== want.size || s.mtimeMs !== want.mtimeMs) return false;
  }
  return true;
}

// The stamp that says which sources dist/ was built from: every bundled source file with its size
// and modification time when the bundle was written. bin/kiln.js runs dist/ only when every one
// of them is unchanged, so an edited, added-and-imported, deleted or checked-out source file
// sends the command back to the TypeScript sources instead of a stale bundle. Checking is one stat
// a file (about 150 files, a few milliseconds).
import { readFileSync, statSync, writeFileSync } from 'node:fs';

export const ROOT = new URL('..', import.meta.url);
export const DIST_ENTRY = new URL('dist/main.js', ROOT);
const STAMP = new URL('dist/build.json', ROOT);

/** Record the sources (paths relative to the package root) the bundle was built from. */
export function writeStamp(files) {
  const inputs = {};
  for (const f of files.slice().sort()) {
    const s = statSync(new URL(f, ROOT));
    inputs[f] = { size: s.size, mtimeMs: s.mtimeMs };
  }
  writeFileSync(STAMP, JSON.stringify({ inputs }, null, 1) + '\n');
}

/** True when dist/ holds a complete build of the sources as they are now. */
export function distIsCurrent() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return false; // never built, or the build did not finish (the stamp is written last)
  }
  for (const [f, want] of Object.entries(stamp.inputs)) {
    let s;
    try {
      s = statSync(new URL(f, ROOT));
    } catch {
      return false;
    }
    if (s.size !== want.size || s.mtimeMs !== want.mtimeMs) return false;
  }
  return true;
}

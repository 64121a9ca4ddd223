/**
 * A clone of Kiln is all a user gets: nothing may read, or send a reader to, a folder beside the
 * repository. Reference data the tests need is copied into test/fixtures, each folder with a
 * README saying where it came from, and published figures are cited from docs/references.md.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from '../helpers/fixtures.ts';
import { repoRoot } from '../helpers/paths.ts';

const SKIP_DIRS = new Set(['node_modules', '.git', 'fixtures', 'out', 'tmp']);
const TEXT = /\.(ts|js|md|kiln|json|cfg|csv)$/;

function textFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) { if (!SKIP_DIRS.has(e.name)) out.push(...textFiles(rel)); } else if (TEXT.test(e.name)) out.push(rel);
  }
  return out;
}

describe('the repository stands on its own', () => {
  const files = textFiles('.');

  it('finds the files it checks', () => {
    for (const f of ['README.md', 'docs/references.md', 'targets/presets/loihi-1chip.kiln', 'test/helpers/fixtures.ts']) expect(files, f).toContain(path.normalize(f));
  });

  it('names no path to a shared reference folder outside the repository', () => {
    // The pattern is split so that this file does not match itself.
    const outside = new RegExp(['shared', 'reference'].join('\\/') + '|\\.\\.\\/shared\\b');
    const hits = files.filter((f) => outside.test(readFileSync(path.join(repoRoot, f), 'utf8')));
    expect(hits).toEqual([]);
  });

  it('gives every fixture folder a README saying where its files came from', () => {
    const folders = readdirSync(fixturesDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders).toEqual(expect.arrayContaining(['onnx-node', 'scalesim']));
    for (const f of folders) expect(existsSync(path.join(fixturesDir, f, 'README.md')), f).toBe(true);
  });
});

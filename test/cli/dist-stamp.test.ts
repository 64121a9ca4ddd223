/** bin/kiln.js runs dist/ only while the stamp matches the sources it was built from. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { distIsCurrent, writeStamp } from '../../bin/dist-stamp.js';
import { removeTempFiles, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

function builtPackage(): string {
  const root = tempFiles({ 'cli/main.ts': 'export const a = 1;\n', 'compiler/b.ts': 'export const b = 2;\n', 'package-lock.json': '{}\n' });
  mkdirSync(path.join(root, 'dist'));
  writeStamp(['cli/main.ts', 'compiler/b.ts', 'package-lock.json'], root);
  return root;
}

describe('dist/ stamp', () => {
  it('is current right after a build, and stays so when nothing changes', () => {
    const root = builtPackage();
    expect(distIsCurrent(root)).toBe(true);
    expect(distIsCurrent(root)).toBe(true);
  });

  it('is stale when a source is edited, even to the same size', () => {
    const root = builtPackage();
    writeFileSync(path.join(root, 'compiler/b.ts'), 'export const b = 22;\n');
    expect(distIsCurrent(root)).toBe(false);

    const same = builtPackage();
    const file = path.join(same, 'cli/main.ts');
    const t = statSync(file).mtime;
    utimesSync(file, t, new Date(t.getTime() + 1000));
    expect(distIsCurrent(same)).toBe(false);
  });

  it('is stale when a source is deleted or the dependencies change', () => {
    const root = builtPackage();
    rmSync(path.join(root, 'compiler/b.ts'));
    expect(distIsCurrent(root)).toBe(false);

    const deps = builtPackage();
    writeFileSync(path.join(deps, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    expect(distIsCurrent(deps)).toBe(false);
  });

  it('is not current when never built or when the build did not finish (no stamp)', () => {
    const root = builtPackage();
    rmSync(path.join(root, 'dist/build.json'));
    expect(distIsCurrent(root)).toBe(false);
    expect(distIsCurrent(tempFiles({ 'cli/main.ts': '' }))).toBe(false);
  });

  it('is not current, and does not throw, when the stamp parses but lists no inputs', () => {
    for (const text of ['{}', 'null', '{"inputs": null}', '3']) {
      const root = builtPackage();
      writeFileSync(path.join(root, 'dist/build.json'), text);
      expect(distIsCurrent(root)).toBe(false);
    }
  });
});

/** Paths of the repository, independent of the directory vitest runs from. */
import * as path from 'node:path';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const examplesDir = path.join(repoRoot, 'examples');
export const presetsDir = path.join(repoRoot, 'targets/presets');
export const goldenDir = path.join(repoRoot, 'test/golden');

/** `.kiln` files of a directory (not recursive), sorted, as absolute paths. */
export function kilnFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.kiln'))
    .sort()
    .map((f) => path.join(dir, f));
}

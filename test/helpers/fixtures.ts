/**
 * The reference data tests compare against lives in test/fixtures/ inside the repository (see the
 * README.md of each folder for where it came from), so a fresh clone tests itself. A missing
 * fixture is a broken checkout, never a reason to skip: it fails here, saying what is gone.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths.ts';

export const fixturesDir = path.join(repoRoot, 'test/fixtures');

/** Absolute path of a fixture folder or file, or an error naming it and how to get it back. */
export function fixture(relative: string): string {
  const p = path.join(fixturesDir, relative);
  if (!existsSync(p)) {
    throw new Error(`test fixture test/fixtures/${relative} is missing; it is part of the repository, ` +
      `restore it with \`git checkout -- test/fixtures\` (test/fixtures/*/README.md says where it came from)`);
  }
  return p;
}

/**
 * Golden files: a test compares its output with test/golden/NAME; `UPDATE_GOLDEN=1 npx vitest run`
 * rewrites them instead. A regenerated golden is a claim about correct output, so read the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { goldenDir } from './paths.ts';

export const updatingGoldens = process.env.UPDATE_GOLDEN === '1';

export function expectGolden(name: string, actual: string): void {
  const file = path.join(goldenDir, name);
  if (updatingGoldens) {
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) expect.fail(`golden file test/golden/${name} is missing; create it with UPDATE_GOLDEN=1 npx vitest run test/examples`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/**
 * gpmetis (METIS 5.1, Debian's `metis` package) is an optional tool: the tests that compare Kiln's
 * partitioners with it cannot run without it. They are skipped then, visibly: the reason goes into
 * the suite's name (shown by `--reporter=verbose`) and onto stderr (shown by every reporter), so a
 * run without METIS says what it did not check and how to check it.
 */
import { describe } from 'vitest';
import { gpmetisMissing } from '../../targets/neuromorphic/partition/gpmetis.ts';

const absent = gpmetisMissing();

/** A suite that needs gpmetis: run when it is installed, else skipped with the reason. */
export function describeWithGpmetis(name: string, body: () => void): void {
  if (absent !== undefined) console.warn(`SKIPPED "${name}": ${absent}`);
  describe.skipIf(absent !== undefined)(absent === undefined ? name : `${name} (skipped: ${absent})`, body);
}

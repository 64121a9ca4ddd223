/**
 * Which sums the folded binary layers of a lowered program actually compared while `run` ran:
 * the estimate prices a fold as an integer compare of whole sums, and `kiln run` makes it only
 * when the batch's sums come out whole (else fp32 sums and the unrounded threshold), so a test of
 * "the estimate's folds are what kiln run executes" must look at the sums each call returned.
 */
import { vi } from 'vitest';
import type { PrecisionProgram } from '../../runtime/lowered/precision/lower.ts';

/** Per folded layer, the `whole` of every accumulate call made during `run`. */
export function foldedSums(p: PrecisionProgram, run: () => void): Map<string, boolean[]> {
  const spies = [...p.foldedLayers].map(([id, f]) => [id, vi.spyOn(f.binary, 'accumulate')] as const);
  try {
    run();
    return new Map(spies.map(([id, s]) => [id, s.mock.results.map((r) => (r.value as { whole: boolean }).whole)]));
  } finally {
    for (const [, s] of spies) s.mockRestore();
  }
}

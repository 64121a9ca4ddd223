/**
 * Which sums the folded binary layers of a lowered program actually compared while `run` ran:
 * the estimate prices a fold as an integer compare of whole sums, and `kiln run` makes it only
 * when the batch's sums come out whole (else fp32 sums and the unrounded threshold), so a test of
 * "the estimate's folds are what kiln run executes" must look at the sums each call produced.
 */
import { vi } from 'vitest';
import type { PrecisionProgram } from '../../runtime/lowered/precision/lower.ts';
import { newCounts } from '../../runtime/lowered/precision/types.ts';

/**
 * Per folded layer, whether each batch `run` handed to its compare sums whole. `kiln run` reaches
 * a folded layer only through `compare`, which sums inside the layer (the XNOR path without
 * `accumulate` at all), so the batch is summed again here through `accumulate`, the same sums.
 */
export function foldedSums(p: PrecisionProgram, run: () => void): Map<string, boolean[]> {
  const seen = new Map<string, boolean[]>();
  const spies = [...p.foldedLayers].map(([id, f]) => {
    const calls: boolean[] = [];
    seen.set(id, calls);
    const compare = f.binary.compare;
    return vi.spyOn(f.binary, 'compare').mockImplementation((m, A, counts, th, low) => {
      calls.push(f.binary.accumulate(m, A, newCounts()).whole);
      return compare(m, A, counts, th, low);
    });
  });
  try {
    run();
    return seen;
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

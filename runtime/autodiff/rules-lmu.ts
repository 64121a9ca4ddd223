/**
 * Backward rules of `lmu` (BPTT, kernels/lmu.ts) and `sigma_delta` (straight through: the
 * quantizer's output moves one for one with its input, its rounding error treated as a constant,
 * kernels/sigma-delta.ts).
 */
import type { Tensor } from '../tensor.ts';
import { type LmuCache, lmuBackward } from '../kernels/lmu.ts';
import { lmuWeights, swapBatchTime } from '../interpreter/lmu.ts';
import type { BackwardRule, RuleArgs, RuleResult } from './types.ts';

function lmuRule(a: RuleArgs): RuleResult {
  const { input, cache } = a.entry.saved.lmu as { input: Tensor; cache: LmuCache };
  const last = a.node.attrs.sequence === 'last';
  const { dx, ...params } = lmuBackward(input, lmuWeights(a.entry.params), cache, last ? undefined : swapBatchTime(a.dy!), last ? a.dy! : undefined);
  return { inputs: [a.want[0] ? swapBatchTime(dx) : undefined], params: params as Record<string, Tensor> };
}

export const LMU_RULES: Record<string, BackwardRule> = {
  lmu: lmuRule,
  sigma_delta: (a) => ({ inputs: [a.dy!] }),
};

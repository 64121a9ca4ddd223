/**
 * Size limits on what Kiln accepts (docs/language.md, "Limits"). Every figure Kiln derives (MACs,
 * bytes, cycles, joules) is a product of dimensions, so a dimension of 10^23 would print as
 * Infinity, and an integer past 2^53 is not even represented exactly. The caps sit far above any
 * real network, so they only ever refuse hostile or mistyped input, and they keep every product of
 * them finite and every count exact.
 */

export const LIMITS = {
  /**
   * Largest magnitude of any number, 2^53 − 1: from 2^53 on a double skips integers (2^53 + 1
   * reads as 2^53), so a number that reads as 2^53 may have been written as something else.
   */
  maxNumber: Number.MAX_SAFE_INTEGER,
  /**
   * Largest dimension (and time-step count): 2^31 − 1, the largest int32, as ONNX runtimes and
   * most kernels index axes with int32. GPT-3's largest axis (its 50,257-word vocabulary) is 2^16.
   */
  maxDim: 2 ** 31 - 1,
  /**
   * Most elements in one tensor: 2^40 (≈ 1.1 × 10^12, 4 TiB as f32). GPT-3's largest weight
   * (12,288 × 49,152) has 6 × 10^8 elements; a batch-256 ResNet-50 activation 2.6 × 10^7.
   */
  maxElements: 2 ** 40,
  /** Most learnable parameters in one network: also 2^40; GPT-3 has 1.75 × 10^11. */
  maxParams: 2 ** 40,
} as const;

const fmt = (n: number) => (Number.isSafeInteger(n) ? String(n) : n.toExponential(2));

/** Why a number is out of Kiln's range, or undefined. */
export function numberProblem(v: number): string | undefined {
  if (!Number.isFinite(v)) return `${v} is not a finite number`;
  if (Math.abs(v) > LIMITS.maxNumber) return `${fmt(v)} is larger than Kiln's largest number, 2^53 − 1 (${LIMITS.maxNumber})`;
  return undefined;
}

/** Why a shape is over the caps (a dimension, or the element count), or undefined. */
export function shapeProblem(shape: readonly number[]): string | undefined {
  let elements = 1;
  for (const d of shape) {
    if (d > LIMITS.maxDim) return `dimension ${fmt(d)} is larger than Kiln's largest dimension, 2^31 − 1 (${LIMITS.maxDim})`;
    elements *= d;
  }
  if (elements > LIMITS.maxElements) return `${fmt(elements)} elements (${shape.join(' × ')}) is more than Kiln's largest tensor, 2^40 elements`;
  return undefined;
}

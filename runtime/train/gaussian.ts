/**
 * The standard normal CDF Φ in the log domain, and the ratio φ(z)/Φ(z), both accurate where Φ
 * underflows: expectation backpropagation divides by Φ(y·μ/σ), which for a confidently wrong
 * output is far below the smallest double. Φ(z) = erfc(−z/√2)/2 with erfc from the Chebyshev fit
 * of Press et al., Numerical Recipes (2nd ed., §6.2, `erfcc`): erfc(a) = t·exp(−a² + P(t)),
 * t = 1/(1 + a/2), fractional error below 1.2e-7 everywhere. Keeping exp(−a²) apart lets φ/Φ
 * cancel it analytically.
 */

/** P(t) of erfcc, so that erfc(a) = t·exp(−a² + P(t)) for a ≥ 0. */
function poly(t: number): number {
  return -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log Φ(z). */
export function logPhi(z: number): number {
  const a = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * a);
  if (z < 0) return Math.log(0.5 * t) - a * a + poly(t);
  return Math.log1p(-0.5 * t * Math.exp(-a * a + poly(t)));
}

/** φ(z)/Φ(z) (the inverse Mills ratio of −z); tends to −z as z → −∞. */
export function millsRatio(z: number): number {
  if (z >= 0) return Math.exp(-0.5 * z * z - LOG_SQRT_2PI - logPhi(z));
  const a = -z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * a);
  // φ(z) = e^(−a²)/√(2π) and Φ(z) = (t/2)·e^(−a² + P(t)): the e^(−a²) cancel.
  return Math.exp(-LOG_SQRT_2PI - Math.log(0.5 * t) - poly(t));
}

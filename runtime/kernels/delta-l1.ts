/**
 * The L1 cost delta-network training puts on a signal's changes (Neil et al. 2017 train with an
 * L1 penalty on the deltas so that fewer units cross the threshold). Kiln puts it on the change
 * before the threshold, v_t − v_{t−1}, which has a gradient everywhere but at ties; the references'
 * own deltas are a step function of the same change. Sequences are time first, [T, N].
 */

/** Σ_t Σ_k |v[t, k] − v[t − 1, k]|, with v[−1] = 0 (the encoder's first reference). */
export function changeL1(v: ArrayLike<number>, t: number, n: number): number {
  let sum = 0;
  for (let s = 0; s < t; s++) for (let k = 0; k < n; k++) sum += Math.abs(v[s * n + k]! - (s === 0 ? 0 : v[(s - 1) * n + k]!));
  return sum;
}

/** g += λ·∂changeL1/∂v: the sign of the step into v[t] minus the sign of the step out of it. */
export function addChangeL1Grad(v: ArrayLike<number>, t: number, n: number, lambda: number, g: Float32Array): void {
  for (let s = 0; s < t; s++) {
    for (let k = 0; k < n; k++) {
      const q = s * n + k;
      const into = Math.sign(v[q]! - (s === 0 ? 0 : v[q - n]!));
      const out = s + 1 < t ? Math.sign(v[q + n]! - v[q]!) : 0;
      g[q] = g[q]! + lambda * (into - out);
    }
  }
}

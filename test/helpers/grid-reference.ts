/**
 * The integer reference for binary-weight products on grid inputs (bit-planes, the integer fp32
 * GEMM): Σ_t q_it·w_jt with w's signs (w ≥ 0 is +1, as training binarizes), in doubles, exact since
 * every partial sum stays far below 2^53.
 */
export function signedSums(q: ArrayLike<number>, w: ArrayLike<number>, m: number, n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += q[i * k + t]! * (w[j * k + t]! >= 0 ? 1 : -1);
    out.push(s);
  }
  return out;
}

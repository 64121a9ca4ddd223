/**
 * The small dense eigenproblem of Lanczos (initial-spectral.ts): after m steps the Ritz values and
 * vectors come from the m × m tridiagonal matrix of the recurrence's coefficients. A file of its
 * own because it is a textbook algorithm with its own tests, not part of the partitioner's logic.
 */

/**
 * Eigenpairs of the symmetric tridiagonal matrix (diagonal a, off-diagonal b), by the implicit
 * QL method (tql2 of EISPACK, as in Numerical Recipes' tqli); returns eigenvalues and the
 * eigenvectors as the columns of a row-major n × n array (z[row · n + col]).
 */
export function tridiagonalEigen(a: Float64Array, b: Float64Array): { values: Float64Array; vectors: Float64Array } {
  const n = a.length;
  const d = a.slice();
  const e = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) e[i] = b[i]!;
  const z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i * n + i] = 1;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m === l || iter++ > 60) break;
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        let f = s * e[i]!;
        const bb = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * bb;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - bb;
        // Column i and i + 1 of the eigenvector matrix (z[row * n + col]).
        for (let k = 0; k < n; k++) {
          f = z[k * n + i + 1]!;
          z[k * n + i + 1] = s * z[k * n + i]! + c * f;
          z[k * n + i] = c * z[k * n + i]! - s * f;
        }
      }
      if (r === 0 && i >= l) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return { values: d, vectors: z };
}

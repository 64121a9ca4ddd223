import { describe, expect, it } from 'vitest';
import { tridiagonalEigen } from '../../../../targets/neuromorphic/partition/tridiagonal-eigen.ts';

describe('tridiagonalEigen', () => {
  // The path's Laplacian (tridiagonal 1, 2, …, 2, 1 and −1 off the diagonal) has eigenvalues
  // 2 − 2 cos(πj/n), j = 0 … n − 1 (its eigenvectors are cosines).
  it('finds the eigenvalues of a tridiagonal matrix', () => {
    const n = 12;
    const a = Float64Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 1 : 2));
    const b = new Float64Array(n - 1).fill(-1);
    const { values, vectors } = tridiagonalEigen(a, b);
    const sorted = [...values].sort((x, y) => x - y);
    sorted.forEach((v, j) => expect(v).toBeCloseTo(2 - 2 * Math.cos((Math.PI * j) / n), 10));
    // Each column is an eigenvector: T z = λ z.
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < n; i++) {
        const tz = a[i]! * vectors[i * n + c]! + (i > 0 ? b[i - 1]! * vectors[(i - 1) * n + c]! : 0) + (i < n - 1 ? b[i]! * vectors[(i + 1) * n + c]! : 0);
        expect(tz).toBeCloseTo(values[c]! * vectors[i * n + c]!, 9);
      }
    }
  });
});

/**
 * The LMU's A, B (Voelker et al. 2019, eq. 2) and their zero-order-hold discretisation, against
 * values worked out by hand, and the memory's defining behaviour: a sliding window of its input.
 */
import { describe, expect, it } from 'vitest';
import { expm, legendreA, legendreB, lmuMatrices } from '../../../runtime/kernels/lmu-matrices.ts';

const near = (got: ArrayLike<number>, want: number[], tol = 1e-12) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i]! - w), `[${i}] ${got[i]} vs ${w}`).toBeLessThan(tol));
};

describe('LMU matrices', () => {
  it('A and B of order 3 follow a_ij = (2i+1)·(−1 if i<j else (−1)^(i−j+1)), b_i = (2i+1)(−1)^i', () => {
    near(legendreA(3), [-1, -1, -1, 3, -3, -3, -5, 5, -5]);
    near(legendreB(3), [1, -3, 5]);
  });

  it('expm of a diagonal, a nilpotent and a rotation generator matches the closed forms', () => {
    near(expm(Float64Array.from([2, 0, 0, -3]), 2), [Math.exp(2), 0, 0, Math.exp(-3)], 1e-12 * Math.exp(2));
    near(expm(Float64Array.from([0, 5, 0, 0]), 2), [1, 5, 0, 1]);
    const w = 7.5; // large enough that scaling and squaring takes several squarings
    near(expm(Float64Array.from([0, -w, w, 0]), 2), [Math.cos(w), -Math.sin(w), Math.sin(w), Math.cos(w)], 1e-12);
  });

  it('order 1: Ā = e^(−1/θ), B̄ = 1 − e^(−1/θ) (a leaky integrator of unit gain)', () => {
    for (const theta of [1, 4, 784]) {
      const m = lmuMatrices(1, theta);
      near(m.a, [Math.exp(-1 / theta)]);
      near(m.b, [1 - Math.exp(-1 / theta)]);
    }
  });

  it('order 2, θ = 1: the 2×2 closed form e^{At} = e^{μt}(cos νt·I + sin νt/ν·(A − μI)), B̄ = A⁻¹(Ā − I)B', () => {
    // A = [[−1, −1], [3, −3]]: trace −4, determinant 6, eigenvalues −2 ± i√2.
    const mu = -2, nu = Math.SQRT2, e = Math.exp(mu), c = Math.cos(nu), s = Math.sin(nu) / nu;
    const ad = [e * (c + s * 1), e * (s * -1), e * (s * 3), e * (c + s * -1)];
    // A⁻¹ = [[−3, 1], [−3, −1]] / 6; (Ā − I)·B with B = [1, −3].
    const v = [(ad[0]! - 1) * 1 + ad[1]! * -3, ad[2]! * 1 + (ad[3]! - 1) * -3];
    const bd = [(-3 * v[0]! + v[1]!) / 6, (-3 * v[0]! - v[1]!) / 6];
    const m = lmuMatrices(2, 1);
    near(m.a, ad);
    near(m.b, bd);
  });

  it('the memory of a step holds a window of the last θ steps: decoded delays read 1 inside it, 0 before it', () => {
    // The shifted Legendre polynomials decode u(t − r·θ) ≈ Σ_i P̃_i(r)·m_i(t) (Voelker et al.
    // 2019, eq. 3): P̃_i(r) = (−1)^i·Σ_j C(i, j)·C(i + j, j)·(−r)^j.
    const order = 12, theta = 100;
    const { a, b } = lmuMatrices(order, theta);
    const binom = (n: number, k: number): number => (k === 0 ? 1 : (binom(n, k - 1) * (n - k + 1)) / k);
    const pt = (i: number, r: number) => (i % 2 ? -1 : 1) * Array.from({ length: i + 1 }, (_, j) => binom(i, j) * binom(i + j, j) * (-r) ** j).reduce((p, q) => p + q, 0);
    let m = new Float64Array(order);
    const decode = (r: number) => m.reduce((acc, mi, i) => acc + pt(i, r) * mi, 0);
    for (let t = 0; t < 50; t++) {
      const next = new Float64Array(order);
      for (let i = 0; i < order; i++) {
        let v = b[i]! * 1;
        for (let j = 0; j < order; j++) v += a[i * order + j]! * m[j]!;
        next[i] = v;
      }
      m = next;
    }
    // After 50 steps of a unit step, the last 50 steps were 1 and the 50 before them 0.
    expect(Math.abs(decode(0.1) - 1)).toBeLessThan(0.1);
    expect(Math.abs(decode(0.3) - 1)).toBeLessThan(0.1);
    expect(Math.abs(decode(0.7))).toBeLessThan(0.1);
    expect(Math.abs(decode(0.9))).toBeLessThan(0.1);
  });
});

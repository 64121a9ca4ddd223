/**
 * Finite-difference gradient checks. Kernels compute in float32, so the loss is a float64 dot
 * product of the outputs with fixed random weights, central differences use a step large enough
 * to swamp float32 rounding, and only a sample of coordinates is probed to keep tests quick.
 */
import { expect } from 'vitest';
import { mulberry32 } from '../../../../runtime/tensor.ts';

/** Σ y·r in float64: a scalar loss whose gradient with respect to y is r. */
export function weightedSum(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
  return s;
}

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const rng = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng() * 2 - 1) * scale;
  return a;
}

export interface GradCheckCase {
  name: string;
  /** Perturbed in place; `loss` must read it afresh on every call. */
  param: Float32Array;
  grad: ArrayLike<number>;
}

export interface GradCheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  samples?: number;
  seed?: number;
}

export function gradCheck(loss: () => number, cases: GradCheckCase[], o: GradCheckOptions = {}): void {
  const eps = o.eps ?? 1e-2;
  const atol = o.atol ?? 2e-3;
  const rtol = o.rtol ?? 2e-2;
  const samples = o.samples ?? 24;
  const rng = mulberry32(o.seed ?? 7);
  for (const c of cases) {
    expect(c.grad.length, `${c.name} gradient length`).toBe(c.param.length);
    const n = c.param.length;
    const picks = n <= samples ? [...Array(n).keys()] : Array.from({ length: samples }, () => Math.floor(rng() * n));
    for (const i of picks) {
      const keep = c.param[i]!;
      c.param[i] = keep + eps;
      const up = loss();
      c.param[i] = keep - eps;
      const down = loss();
      c.param[i] = keep;
      const numeric = (up - down) / (2 * eps);
      const analytic = c.grad[i]!;
      const tol = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic));
      if (!(Math.abs(numeric - analytic) <= tol)) {
        expect.fail(`${c.name}[${i}]: analytic ${analytic} vs numeric ${numeric} (tol ${tol.toExponential(2)})`);
      }
    }
  }
}

/** Element-wise closeness with a readable failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-4, rtol = 1e-4, what = 'value'): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`${what}[${i}]: got ${a}, expected ${e}`);
    }
  }
}

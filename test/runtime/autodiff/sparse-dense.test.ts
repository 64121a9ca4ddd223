/**
 * The sparse dense path training takes on mostly-zero inputs (sparse-dense.ts) computes what the
 * GEMM computes, within float32 rounding, for any width (register blocks of eight outputs with a
 * ragged last block), any sparsity (including all-zero rows and columns) and leading axes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sparseDense, sparseDenseWeightGrad, trainingDense } from '../../../runtime/autodiff/sparse-dense.ts';
import { dense, denseBackward } from '../../../runtime/kernels/dense.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { type Tensor, mulberry32, randomUniform } from '../../../runtime/tensor.ts';

function close(got: Tensor, want: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  want.data.forEach((v, i) => expect(Math.abs(got.data[i]! - v), `[${i}]`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v))));
}

describe('sparse dense = GEMM dense', () => {
  it('forward and weight gradient, random shapes and sparsity', () => {
    fc.assert(fc.property(fc.record({ rows: fc.integer({ min: 1, max: 12 }), t: fc.integer({ min: 0, max: 3 }), inF: fc.integer({ min: 1, max: 40 }),
      outF: fc.integer({ min: 1, max: 35 }), keep: fc.double({ min: 0, max: 1, noNaN: true }), bias: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }) }), (c) => {
      const rng = mulberry32(c.seed);
      const shape = c.t ? [c.rows, c.t, c.inF] : [c.rows, c.inF];
      const x = randomUniform(shape, rng, -1, 1);
      x.data.forEach((_, i) => { if (rng() >= c.keep) x.data[i] = 0; });
      const w = randomUniform([c.outF, c.inF], rng, -1, 1);
      const b = c.bias ? randomUniform([c.outF], rng, -1, 1) : undefined;
      close(sparseDense(x, w, b), dense(x, w, b));
      const dy = randomUniform([...shape.slice(0, -1), c.outF], rng, -1, 1);
      close(sparseDenseWeightGrad(x, dy, c.outF, c.inF), denseBackward(x, w, dy, { weight: true }).dw!);
    }), { numRuns: 150, seed: 7 });
  });

  it('training takes the sparse path only for big, mostly-zero products', () => {
    const path = (rows: number, inF: number, outF: number, keep: number) => {
      const rng = mulberry32(1);
      const x = randomUniform([rows, inF], rng, 0, 1);
      x.data.forEach((_, i) => { if (rng() >= keep) x.data[i] = 0; });
      const saved: Record<string, unknown> = {};
      const w = randomUniform([outF, inF], rng, -1, 1);
      close(trainingDense(x, w, undefined, (k, v) => { saved[k] = v; }), dense(x, w));
      return saved.nonzeros !== undefined ? 'sparse' : 'gemm';
    };
    expect([path(64, 784, 256, 0.02), path(64, 784, 256, 0.5), path(4, 16, 8, 0.01)]).toEqual(['sparse', 'gemm', 'gemm']);
    // MNIST-like density: sparse beats the JS GEMM, not the WebAssembly one.
    try {
      setKernelBackend('js');
      expect(path(64, 784, 256, 0.2)).toBe('sparse');
      setKernelBackend('wasm');
      expect(path(64, 784, 256, 0.2)).toBe('gemm');
    } finally {
      setKernelBackend(undefined);
    }
  });
});

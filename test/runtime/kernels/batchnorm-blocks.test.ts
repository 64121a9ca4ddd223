/**
 * Batch norm over T blocks with each block's own statistics (wasm/batchnorm.ts, what a spiking
 * layer's time steps need in training) = batchnorm.ts's kernels block by block: outputs, the
 * statistics saved for the backward pass, dx, and dγ, dβ summed over the blocks. The statistics
 * come from one shifted pass in four float64 lanes instead of two passes in one, so float32
 * results may differ in the last bit.
 */
import { describe, expect, it } from 'vitest';
import { batchNorm, batchNormBackward } from '../../../runtime/kernels/batchnorm.ts';
import { wasmBatchNormBlocks, wasmBatchNormBlocksBackward } from '../../../runtime/kernels/wasm/batchnorm.ts';
import { mulberry32, randomUniform } from '../../../runtime/tensor.ts';

const near = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i]!)));
};

describe('batch norm over blocks (WebAssembly) = batchnorm.ts per block', () => {
  // inner 7 and 1: odd lengths take the kernels' one-value tails; 16 only whole pairs.
  for (const [blocks, n, c, inner] of [[3, 4, 5, 7], [2, 5, 3, 16], [4, 6, 4, 1]] as const) {
    it(`${blocks} blocks of [${n}, ${c}, ${inner}]`, () => {
      const size = n * c * inner;
      // An offset well above the spread, where a one-pass variance would lose digits.
      const x = randomUniform([blocks * size], mulberry32(5), 3, 5).data;
      const dy = randomUniform([blocks * size], mulberry32(6), -1, 1).data;
      const gamma = randomUniform([c], mulberry32(7), 0.5, 1.5), beta = randomUniform([c], mulberry32(8), -0.5, 0.5);
      const shape = { blocks, n, c, inner };
      const y = new Float32Array(x.length);
      const stats = wasmBatchNormBlocks(shape, x, gamma.data, beta.data, 1e-5, y);
      const dx = new Float32Array(x.length);
      const g = wasmBatchNormBlocksBackward(shape, x, dy, gamma.data, stats, dx);
      const dgamma = new Float32Array(c), dbeta = new Float32Array(c);
      for (let t = 0; t < blocks; t++) {
        const xs = { shape: [n, c, inner], data: x.slice(t * size, (t + 1) * size) };
        const zero = { shape: [c], data: new Float32Array(c) }, one = { shape: [c], data: new Float32Array(c).fill(1) };
        const r = batchNorm(xs, gamma, beta, zero, one, { training: true, eps: 1e-5 });
        near(y.subarray(t * size, (t + 1) * size), r.y.data, `y block ${t}`);
        near(stats.mean.subarray(t * c, (t + 1) * c), r.mean, `mean block ${t}`);
        near(stats.invStd.subarray(t * c, (t + 1) * c), r.invStd, `invStd block ${t}`);
        // momentum 0.9 from running (0, 1): the running mean is 0.1·μ exactly when μ is the float64 one.
        r.runningMean.data.forEach((m, ch) => expect(Math.abs(m - 0.1 * stats.mu[t * c + ch]!)).toBeLessThanOrEqual(1e-6 * Math.abs(m)));
        const b = batchNormBackward(xs, gamma, { shape: xs.shape, data: dy.slice(t * size, (t + 1) * size) }, r.mean, r.invStd, true);
        near(dx.subarray(t * size, (t + 1) * size), b.dx.data, `dx block ${t}`);
        b.dgamma.data.forEach((v, ch) => { dgamma[ch] = dgamma[ch]! + v; dbeta[ch] = dbeta[ch]! + b.dbeta.data[ch]!; });
      }
      near(g.dgamma, dgamma, 'dgamma');
      near(g.dbeta, dbeta, 'dbeta');
    });
  }

  it('a mean 10⁵ times the spread: the one-pass variance keeps its digits', () => {
    // Σx² − (Σx)²/count here would cancel about ten of float64's sixteen digits.
    const [n, c, inner] = [8, 3, 10], size = n * c * inner;
    const x = randomUniform([size], mulberry32(9), 1e5, 1e5 + 1).data;
    const gamma = new Float32Array(c).fill(1), beta = new Float32Array(c);
    const stats = wasmBatchNormBlocks({ blocks: 1, n, c, inner }, x, gamma, beta, 0, new Float32Array(size));
    const zero = { shape: [c], data: new Float32Array(c) }, one = { shape: [c], data: new Float32Array(c).fill(1) };
    const r = batchNorm({ shape: [n, c, inner], data: x }, { shape: [c], data: gamma }, { shape: [c], data: beta }, zero, one, { training: true, eps: 0 });
    near(stats.invStd, r.invStd, 'invStd');
    near(stats.mean, r.mean, 'mean');
  });
});

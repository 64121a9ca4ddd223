/**
 * batchnorm.wat on JavaScript arrays: training-mode batch norm of a [T·n, c, …] tensor whose T
 * blocks of n samples (a spiking layer's time steps) each have their own statistics, as
 * batchnorm.ts computes them block by block. The operands are copied into the kernels' memory
 * once per call. Per block and channel: the mean and variance in float64 (the running statistics
 * are moved with them), and the float32 mean and 1/√(var + ε) that normalized it, which the
 * backward pass reads.
 */
import { copyIn, f32At, f64At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './batchnorm.wasm.ts';

interface BatchNormExports {
  bn_moments(x: number, n: number, c: number, inner: number, mean: number, variance: number): void;
  bn_apply(x: number, y: number, n: number, c: number, inner: number, scale: number, shift: number): void;
  bn_grad_sums(x: number, dy: number, n: number, c: number, inner: number, mean: number, is: number, sumDy: number, sumDyXhat: number): void;
  bn_grad_dx(x: number, dy: number, dx: number, n: number, c: number, inner: number, m: number,
    mean: number, is: number, coef: number, sumDy: number, sumDyXhat: number): void;
}

const ex = (): BatchNormExports => wasmExports<BatchNormExports>('batchnorm', wasmBase64);

/** [blocks][n][c][inner] floats. */
export interface BlockShape { blocks: number; n: number; c: number; inner: number }

export interface BlockStats {
  /** Per block and channel ([blocks·c]), float64: what moves the running statistics. */
  mu: Float64Array;
  variance: Float64Array;
  /** The same rounded to float32, as batchnorm.ts saves them for the backward pass. */
  mean: Float32Array;
  invStd: Float32Array;
}

/** y = γ·(x − μ)/√(σ² + ε) + β with each block's batch statistics, into y. */
export function wasmBatchNormBlocks(s: BlockShape, x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, y: Float32Array): BlockStats {
  const { blocks, n, c, inner } = s, size = n * c * inner;
  const stats: BlockStats = { mu: new Float64Array(blocks * c), variance: new Float64Array(blocks * c), mean: new Float32Array(blocks * c), invStd: new Float32Array(blocks * c) };
  withScratch(() => {
    const k = ex();
    const xAt = copyIn(x), yAt = scratchAlloc(4 * x.length);
    const mean = scratchAlloc(8 * c), vars = scratchAlloc(8 * c);
    const scale = scratchAlloc(8 * c), shift = scratchAlloc(8 * c);
    for (let t = 0; t < blocks; t++) {
      const at = xAt + 4 * t * size;
      k.bn_moments(at, n, c, inner, mean, vars);
      const mu = f64At(mean, c), vs = f64At(vars, c);
      const sc = f64At(scale, c), sh = f64At(shift, c);
      for (let ch = 0; ch < c; ch++) {
        const i = t * c + ch, variance = vs[ch]!;
        stats.mu[i] = mu[ch]!;
        stats.variance[i] = variance;
        stats.mean[i] = mu[ch]!;
        stats.invStd[i] = 1 / Math.sqrt(variance + eps);
        sc[ch] = gamma[ch]! * stats.invStd[i]!;
        sh[ch] = beta[ch]! - stats.mean[i]! * sc[ch]!;
      }
      k.bn_apply(at, yAt + 4 * t * size, n, c, inner, scale, shift);
    }
    y.set(f32At(yAt, x.length));
  });
  return stats;
}

/** The training-mode backward pass of wasmBatchNormBlocks: dx, and dγ, dβ summed over the blocks. */
export function wasmBatchNormBlocksBackward(s: BlockShape, x: Float32Array, dy: Float32Array, gamma: Float32Array, stats: BlockStats,
  dx: Float32Array): { dgamma: Float32Array; dbeta: Float32Array } {
  const { blocks, n, c, inner } = s, size = n * c * inner, m = n * inner;
  const dgamma = new Float64Array(c), dbeta = new Float64Array(c);
  withScratch(() => {
    const k = ex();
    const xAt = copyIn(x), dyAt = copyIn(dy), dxAt = scratchAlloc(4 * x.length);
    const mean = scratchAlloc(8 * c), is = scratchAlloc(8 * c), coef = scratchAlloc(8 * c), sumDy = scratchAlloc(8 * c), sumDyXhat = scratchAlloc(8 * c);
    for (let t = 0; t < blocks; t++) {
      const off = 4 * t * size;
      f64At(mean, c).set(stats.mean.subarray(t * c, (t + 1) * c));
      f64At(is, c).set(stats.invStd.subarray(t * c, (t + 1) * c));
      k.bn_grad_sums(xAt + off, dyAt + off, n, c, inner, mean, is, sumDy, sumDyXhat);
      const sd = f64At(sumDy, c), sq = f64At(sumDyXhat, c), co = f64At(coef, c);
      for (let ch = 0; ch < c; ch++) {
        dbeta[ch] = dbeta[ch]! + sd[ch]!;
        dgamma[ch] = dgamma[ch]! + sq[ch]!;
        co[ch] = (gamma[ch]! * stats.invStd[t * c + ch]!) / m;
      }
      k.bn_grad_dx(xAt + off, dyAt + off, dxAt + off, n, c, inner, m, mean, is, coef, sumDy, sumDyXhat);
    }
    dx.set(f32At(dxAt, x.length));
  });
  return { dgamma: Float32Array.from(dgamma), dbeta: Float32Array.from(dbeta) };
}

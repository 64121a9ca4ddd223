/**
 * Batch normalization over axis 1 of [N, C, ...] (so [N, C] for dense layers and NCHW for images),
 * following ONNX BatchNormalization (opset 15):
 *   train: y = γ·(x − μ_B)/√(σ²_B + ε) + β with the batch's biased variance, and
 *          running = running·momentum + batch·(1 − momentum)   (ONNX's momentum, default 0.9;
 *          PyTorch's momentum m corresponds to ONNX 1 − m)
 *   eval:  y = γ·(x − running_mean)/√(running_var + ε) + β
 * PyTorch updates the running variance with the unbiased batch variance; `unbiasedRunningVar`
 * selects that behaviour.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { expect } from './check.ts';
import { outputTensor } from './step-buffers.ts';
import { WASM_ELEMENTWISE_MIN, useWasmKernels } from './wasm/instance.ts';
import { wasmBatchNormRows, wasmBatchNormRowsBackward } from './wasm/bn-rows.ts';

export interface BatchNormOptions {
  training: boolean;
  eps?: number;
  momentum?: number;
  unbiasedRunningVar?: boolean;
}

export interface BatchNormResult {
  y: Tensor;
  /** The statistics used for normalization (batch stats in training, running stats in eval). */
  mean: Float32Array;
  invStd: Float32Array;
  /** Updated running statistics (unchanged copies in eval mode). */
  runningMean: Tensor;
  runningVar: Tensor;
}

function dims(kernel: string, x: Tensor, ...perChannel: Tensor[]): { n: number; c: number; inner: number } {
  expect(kernel, x.shape.length >= 2, `expects [N, C, ...], got [${x.shape.join(', ')}]`);
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  for (const t of perChannel) expect(kernel, t.data.length === c, `per-channel parameters need ${c} values, got ${t.data.length}`);
  return { n, c, inner: x.data.length / (n * c) };
}

/** One step of the running statistics' moving average (ONNX's momentum: the share the old value keeps). */
export const movingAverage = (running: number, batch: number, momentum: number): number => running * momentum + batch * (1 - momentum);

// The loops below walk samples in memory order (sample, channel, position) rather than channel by
// channel: a dense layer's [N, C] then reads each cache line once instead of one value per line
// (channel by channel took 5 ms for a [100, 1024] forward and backward); a dense layer's (one
// position per channel) sums get loops of their own. Each channel still adds its values in the
// same order (sample, then position) in float64, so the sums keep their bits.

export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
  o: BatchNormOptions): BatchNormResult {
  const { n, c, inner } = dims('batchnorm', x, gamma, beta, runningMean, runningVar);
  const eps = o.eps ?? 1e-5;
  const momentum = o.momentum ?? 0.9;
  const mean = new Float32Array(c);
  const invStd = new Float32Array(c);
  const newMean = zeros([c]);
  const newVar = zeros([c]);
  const count = n * inner;
  const xd = x.data;
  const y = outputTensor(x.shape);
  const yd = y.data;
  const result = () => ({ y, mean, invStd, runningMean: newMean, runningVar: newVar });
  /** The batch's statistics from its float64 means and sums of squared deviations. */
  const batchStatistics = (mu: Float64Array, ss: Float64Array) => {
    for (let ch = 0; ch < c; ch++) {
      const variance = ss[ch]! / count;
      mean[ch] = mu[ch]!;
      invStd[ch] = 1 / Math.sqrt(variance + eps);
      const runVar = o.unbiasedRunningVar && count > 1 ? ss[ch]! / (count - 1) : variance;
      newMean.data[ch] = movingAverage(runningMean.data[ch]!, mu[ch]!, momentum);
      newVar.data[ch] = movingAverage(runningVar.data[ch]!, runVar, momentum);
    }
  };
  // Each channel's scale and shift once, in float64 as the loop at the end computes them per value
  // (a dense layer has one value per channel and sample, so that loop redid them for every one).
  const denseFactors = (scale: Float64Array, shift: Float64Array) => {
    for (let ch = 0; ch < c; ch++) { scale[ch] = gamma.data[ch]! * invStd[ch]!; shift[ch] = beta.data[ch]! - mean[ch]! * scale[ch]!; }
  };
  if (!o.training) {
    for (let ch = 0; ch < c; ch++) {
      mean[ch] = runningMean.data[ch]!;
      invStd[ch] = 1 / Math.sqrt(runningVar.data[ch]! + eps);
      newMean.data[ch] = runningMean.data[ch]!;
      newVar.data[ch] = runningVar.data[ch]!;
    }
  } else if (inner === 1 && xd.length >= WASM_ELEMENTWISE_MIN && useWasmKernels()) {
    // The same passes and factors in WebAssembly (bn-rows.wat), bit for bit.
    wasmBatchNormRows(xd, n, c, yd, ({ mu, ss }, scale, shift) => {
      batchStatistics(mu, ss);
      denseFactors(scale, shift);
    });
    return result();
  } else {
    // Two passes in float64: the one-pass E[x²] − E[x]² form loses everything when |μ| ≫ σ.
    const mu = new Float64Array(c), ss = new Float64Array(c);
    if (inner === 1) {
      for (let r = 0; r < n * c; r += c) for (let ch = 0; ch < c; ch++) mu[ch] = mu[ch]! + xd[r + ch]!;
    } else {
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const off = (b * c + ch) * inner;
          let s = mu[ch]!;
          for (let i = off; i < off + inner; i++) s += xd[i]!;
          mu[ch] = s;
        }
      }
    }
    for (let ch = 0; ch < c; ch++) mu[ch] = mu[ch]! / count;
    if (inner === 1) {
      for (let r = 0; r < n * c; r += c) for (let ch = 0; ch < c; ch++) { const d = xd[r + ch]! - mu[ch]!; ss[ch] = ss[ch]! + d * d; }
    } else {
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const off = (b * c + ch) * inner, m = mu[ch]!;
          let s = ss[ch]!;
          for (let i = off; i < off + inner; i++) { const d = xd[i]! - m; s += d * d; }
          ss[ch] = s;
        }
      }
    }
    batchStatistics(mu, ss);
  }
  if (inner === 1) {
    const scale = new Float64Array(c), shift = new Float64Array(c);
    denseFactors(scale, shift);
    for (let r = 0; r < n * c; r += c) for (let ch = 0; ch < c; ch++) yd[r + ch] = xd[r + ch]! * scale[ch]! + shift[ch]!;
    return result();
  }
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const scale = gamma.data[ch]! * invStd[ch]!;
      const shift = beta.data[ch]! - mean[ch]! * scale;
      const off = (b * c + ch) * inner;
      for (let i = off; i < off + inner; i++) yd[i] = xd[i]! * scale + shift;
    }
  }
  return result();
}

/** γ·invStd/n per channel in float64: training's dx factor for [N, C], shared with bn-rows.wat so both give the same bits. */
function denseCoefficients(gamma: Float32Array, invStd: Float32Array, n: number): Float64Array {
  const coef = new Float64Array(gamma.length);
  for (let ch = 0; ch < coef.length; ch++) coef[ch] = (gamma[ch]! * invStd[ch]!) / n;
  return coef;
}

/** Training's dx of a [N, C] batch norm with the per-channel factors (float64, as below) made once. */
function denseDx(xd: Float32Array, gd: Float32Array, out: Float32Array, n: number, c: number, coef: Float64Array,
  mean: Float32Array, invStd: Float32Array, sumDy: Float64Array, sumDyXhat: Float64Array): void {
  for (let r = 0; r < n * c; r += c) {
    for (let ch = 0; ch < c; ch++) {
      const xhat = (xd[r + ch]! - mean[ch]!) * invStd[ch]!;
      out[r + ch] = coef[ch]! * (n * gd[r + ch]! - sumDy[ch]! - xhat * sumDyXhat[ch]!);
    }
  }
}

export interface BatchNormGrads {
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

/**
 * Backward given the forward's `mean` and `invStd`. In training mode the statistics depend on x:
 *   dx = γ·invStd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)),  M = N·spatial;
 * in eval mode they are constants and dx = γ·invStd·dy.
 */
export function batchNormBackward(x: Tensor, gamma: Tensor, dy: Tensor, mean: Float32Array, invStd: Float32Array,
  training: boolean): BatchNormGrads {
  const { n, c, inner } = dims('batchnorm backward', x, gamma);
  expect('batchnorm backward', dy.data.length === x.data.length, 'output gradient must have the shape of the input');
  const dx = outputTensor(x.shape);
  const m = n * inner;
  const xd = x.data, gd = dy.data, out = dx.data;
  const sums = (sumDy: Float64Array, sumDyXhat: Float64Array) => ({ dx, dgamma: { shape: [c], data: Float32Array.from(sumDyXhat) }, dbeta: { shape: [c], data: Float32Array.from(sumDy) } });
  // The kernel declines shapes it cannot take (a single channel), which then stay in JS.
  if (inner === 1 && training && xd.length >= WASM_ELEMENTWISE_MIN && useWasmKernels()) {
    const s = wasmBatchNormRowsBackward(xd, gd, n, c, denseCoefficients(gamma.data, invStd, n), mean, invStd, out);
    if (s) return sums(s.sumDy, s.sumDyXhat);
  }
  const sumDy = new Float64Array(c), sumDyXhat = new Float64Array(c);
  if (inner === 1) {
    for (let r = 0; r < n * c; r += c) {
      for (let ch = 0; ch < c; ch++) { const g = gd[r + ch]!; sumDy[ch] = sumDy[ch]! + g; sumDyXhat[ch] = sumDyXhat[ch]! + g * (xd[r + ch]! - mean[ch]!) * invStd[ch]!; }
    }
  } else for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const off = (b * c + ch) * inner, mu = mean[ch]!, is = invStd[ch]!;
      let s = sumDy[ch]!, q = sumDyXhat[ch]!;
      for (let i = off; i < off + inner; i++) { const g = gd[i]!; s += g; q += g * (xd[i]! - mu) * is; }
      sumDy[ch] = s;
      sumDyXhat[ch] = q;
    }
  }
  if (inner === 1 && training) denseDx(xd, gd, out, n, c, denseCoefficients(gamma.data, invStd, n), mean, invStd, sumDy, sumDyXhat);
  else for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const mu = mean[ch]!, is = invStd[ch]!, k = gamma.data[ch]! * is;
      const off = (b * c + ch) * inner;
      if (!training) { for (let i = off; i < off + inner; i++) out[i] = k * gd[i]!; continue; }
      const sd = sumDy[ch]!, sq = sumDyXhat[ch]!;
      for (let i = off; i < off + inner; i++) {
        const xhat = (xd[i]! - mu) * is;
        out[i] = (k / m) * (m * gd[i]! - sd - xhat * sq);
      }
    }
  }
  return sums(sumDy, sumDyXhat);
}

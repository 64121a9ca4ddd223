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
import { outputArray } from './step-buffers.ts';
import { useWasmKernels } from './wasm/instance.ts';
import { wasmBatchNormBlocks, wasmBatchNormBlocksBackward } from './wasm/batchnorm.ts';

/**
 * From this many values training's batch norm runs in WebAssembly, as one block of the time-folded
 * kernel (same float64 sums in the same order, same bits): the JS loops walk each channel down the
 * batch, a cache line per value on a dense layer's [N, C].
 */
const WASM_BN_MIN = 4096;

const wasmTraining = (x: Tensor, o: { training: boolean; unbiasedRunningVar?: boolean }) =>
  o.training && !o.unbiasedRunningVar && x.data.length >= WASM_BN_MIN && useWasmKernels();

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

export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
  o: BatchNormOptions): BatchNormResult {
  const { n, c, inner } = dims('batchnorm', x, gamma, beta, runningMean, runningVar);
  const eps = o.eps ?? 1e-5;
  const momentum = o.momentum ?? 0.9;
  if (wasmTraining(x, o)) {
    const y = { shape: [...x.shape], data: outputArray(x.data.length) };
    const st = wasmBatchNormBlocks({ blocks: 1, n, c, inner }, x.data, gamma.data, beta.data, eps, y.data);
    const runMean = zeros([c]), runVar = zeros([c]);
    for (let ch = 0; ch < c; ch++) {
      runMean.data[ch] = movingAverage(runningMean.data[ch]!, st.mu[ch]!, momentum);
      runVar.data[ch] = movingAverage(runningVar.data[ch]!, st.variance[ch]!, momentum);
    }
    return { y, mean: st.mean, invStd: st.invStd, runningMean: runMean, runningVar: runVar };
  }
  const mean = new Float32Array(c);
  const invStd = new Float32Array(c);
  const newMean = zeros([c]);
  const newVar = zeros([c]);
  const count = n * inner;
  for (let ch = 0; ch < c; ch++) {
    if (!o.training) {
      mean[ch] = runningMean.data[ch]!;
      invStd[ch] = 1 / Math.sqrt(runningVar.data[ch]! + eps);
      newMean.data[ch] = runningMean.data[ch]!;
      newVar.data[ch] = runningVar.data[ch]!;
      continue;
    }
    // Two passes in float64: the one-pass E[x²] − E[x]² form loses everything when |μ| ≫ σ.
    let s = 0;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * inner;
      for (let i = off; i < off + inner; i++) s += x.data[i]!;
    }
    const mu = s / count;
    let ss = 0;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * inner;
      for (let i = off; i < off + inner; i++) { const d = x.data[i]! - mu; ss += d * d; }
    }
    const variance = ss / count;
    mean[ch] = mu;
    invStd[ch] = 1 / Math.sqrt(variance + eps);
    const runVar = o.unbiasedRunningVar && count > 1 ? ss / (count - 1) : variance;
    newMean.data[ch] = movingAverage(runningMean.data[ch]!, mu, momentum);
    newVar.data[ch] = movingAverage(runningVar.data[ch]!, runVar, momentum);
  }
  const y = zeros(x.shape);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const scale = gamma.data[ch]! * invStd[ch]!;
      const shift = beta.data[ch]! - mean[ch]! * scale;
      const off = (b * c + ch) * inner;
      for (let i = off; i < off + inner; i++) y.data[i] = x.data[i]! * scale + shift;
    }
  }
  return { y, mean, invStd, runningMean: newMean, runningVar: newVar };
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
  if (wasmTraining(x, { training })) {
    const dx = { shape: [...x.shape], data: outputArray(x.data.length) };
    const g = wasmBatchNormBlocksBackward({ blocks: 1, n, c, inner }, x.data, dy.data, gamma.data, { mu: new Float64Array(0), variance: new Float64Array(0), mean, invStd }, dx.data);
    return { dx, dgamma: { shape: [c], data: g.dgamma }, dbeta: { shape: [c], data: g.dbeta } };
  }
  const dx = zeros(x.shape);
  const dgamma = zeros([c]);
  const dbeta = zeros([c]);
  const m = n * inner;
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch]!;
    const is = invStd[ch]!;
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * inner;
      for (let i = off; i < off + inner; i++) {
        const g = dy.data[i]!;
        sumDy += g;
        sumDyXhat += g * (x.data[i]! - mu) * is;
      }
    }
    dgamma.data[ch] = sumDyXhat;
    dbeta.data[ch] = sumDy;
    const k = gamma.data[ch]! * is;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * inner;
      for (let i = off; i < off + inner; i++) {
        if (!training) { dx.data[i] = k * dy.data[i]!; continue; }
        const xhat = (x.data[i]! - mu) * is;
        dx.data[i] = (k / m) * (m * dy.data[i]! - sumDy - xhat * sumDyXhat);
      }
    }
  }
  return { dx, dgamma, dbeta };
}

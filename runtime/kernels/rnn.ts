/**
 * Elman RNN over a sequence (ONNX RNN with the default tanh activation, one direction):
 *   h_t = tanh(x_t·Wᵀ + h_{t−1}·Rᵀ + Wb + Rb)
 * and its backpropagation through time.
 */
import { type Tensor, zeros } from '../tensor.ts';
import {
  type RecurrentDims, type RecurrentGrads, type RecurrentWeights, addRecurrent, backRecurrent, checkOutputGrads,
  inputProjection, previousStates, recurrentDims, weightGrads,
} from './rnn-common.ts';

export interface RnnCache {
  dims: RecurrentDims;
  h0: Float32Array;
  y: Float32Array;
}

export interface RnnResult {
  /** Hidden state at every step [T, B, H]. */
  y: Tensor;
  hT: Tensor;
  cache: RnnCache;
}

export function rnn(x: Tensor, wt: RecurrentWeights, h0?: Tensor): RnnResult {
  const d = recurrentDims('rnn', x, wt, 1, h0);
  const bh = d.b * d.h;
  const a = inputProjection(x, wt, d);
  const h0d = h0 ? h0.data.slice() : new Float32Array(bh);
  const y = new Float32Array(d.t * bh);
  for (let t = 0; t < d.t; t++) {
    const off = t * bh;
    if (t === 0) addRecurrent(h0d, 0, wt.r, d, a, off);
    else addRecurrent(y, off - bh, wt.r, d, a, off);
    for (let j = off; j < off + bh; j++) y[j] = Math.tanh(a[j]!);
  }
  const hT = zeros([d.b, d.h]);
  hT.data.set(y.subarray((d.t - 1) * bh));
  return { y: { shape: [d.t, d.b, d.h], data: y }, hT, cache: { dims: d, h0: h0d, y } };
}

/** BPTT given dL/dY (all steps) and/or dL/dh_T; either may be omitted. */
export function rnnBackward(x: Tensor, wt: RecurrentWeights, cache: RnnCache, dy?: Tensor, dhT?: Tensor): RecurrentGrads {
  const d = cache.dims;
  checkOutputGrads('rnn backward', d, dy, dhT);
  const bh = d.b * d.h;
  const dA = new Float32Array(d.t * bh);
  let dh = dhT ? dhT.data.slice() : new Float32Array(bh);
  for (let t = d.t - 1; t >= 0; t--) {
    const off = t * bh;
    for (let j = 0; j < bh; j++) {
      const yv = cache.y[off + j]!;
      dA[off + j] = (dh[j]! + (dy ? dy.data[off + j]! : 0)) * (1 - yv * yv);
    }
    dh = new Float32Array(bh);
    backRecurrent(dA, off, wt.r, d, dh);
  }
  return weightGrads(x, wt, d, dA, dA, previousStates(cache.y, cache.h0, d), dh);
}

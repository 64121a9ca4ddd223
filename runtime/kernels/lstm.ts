/**
 * LSTM over a sequence, one direction, without peepholes (ONNX LSTM defaults):
 *   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o),   a = x_t·Wᵀ + h_{t−1}·Rᵀ + Wb + Rb
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
 * Gate blocks are stacked along W's and R's rows in `gateOrder`: 'ifgo' (PyTorch, the default)
 * or 'iofc' (ONNX, whose c is the g gate here).
 */
import type { Tensor } from '../tensor.ts';
import { expectShape } from './check.ts';
import {
  type RecurrentDims, type RecurrentGrads, type RecurrentWeights, addRecurrent, backRecurrent, checkOutputGrads,
  inputProjection, previousStates, recurrentDims, sigm, weightGrads,
} from './rnn-common.ts';

export type LstmGateOrder = 'ifgo' | 'iofc';

export interface LstmOptions {
  gateOrder?: LstmGateOrder;
  /**
   * Per hidden unit, [H]: 0 drops the unit (its cell and hidden state stay zero), any other value
   * multiplies its hidden state, which both the output and the recurrence see — an inverted
   * dropout mask on whole units (structured dropout inside the cell).
   */
  scale?: Float32Array;
}

/** Column offsets (in units of H) of the i, f, g, o blocks. */
function blocks(order: LstmGateOrder): [number, number, number, number] {
  return order === 'ifgo' ? [0, 1, 2, 3] : [0, 2, 3, 1];
}

export interface LstmCache {
  dims: RecurrentDims;
  order: LstmGateOrder;
  h0: Float32Array;
  c0: Float32Array;
  y: Float32Array;
  /** Cell state after every step [T, B, H]. */
  c: Float32Array;
  /** Activated gates of every step [T·B, 4H], in storage order. */
  gates: Float32Array;
  scale?: Float32Array;
}

export interface LstmResult {
  y: Tensor;
  hT: Tensor;
  cT: Tensor;
  cache: LstmCache;
}

export function lstm(x: Tensor, wt: RecurrentWeights, h0?: Tensor, c0?: Tensor, opts: LstmOptions = {}): LstmResult {
  const d = recurrentDims('lstm', x, wt, 4, h0);
  if (c0) expectShape('lstm', 'initial cell state', c0.shape, [d.b, d.h]);
  const order = opts.gateOrder ?? 'ifgo';
  const [bi, bf, bg, bo] = blocks(order).map((k) => k * d.h) as [number, number, number, number];
  const { b, h } = d;
  const scale = opts.scale;
  if (scale) expectShape('lstm', 'unit scale', [scale.length], [h]);
  const bh = b * h;
  const gh = 4 * h;
  const a = inputProjection(x, wt, d);
  const h0d = h0 ? h0.data.slice() : new Float32Array(bh);
  const c0d = c0 ? c0.data.slice() : new Float32Array(bh);
  const y = new Float32Array(d.t * bh);
  const c = new Float32Array(d.t * bh);
  for (let t = 0; t < d.t; t++) {
    const aOff = t * b * gh;
    if (t === 0) addRecurrent(h0d, 0, wt.r, d, a, aOff);
    else addRecurrent(y, (t - 1) * bh, wt.r, d, a, aOff);
    for (let n = 0; n < b; n++) {
      const row = aOff + n * gh;
      for (let j = 0; j < h; j++) {
        const sj = scale ? scale[j]! : 1;
        if (sj === 0) continue;
        const ig = sigm(a[row + bi + j]!);
        const fg = sigm(a[row + bf + j]!);
        const gg = Math.tanh(a[row + bg + j]!);
        const og = sigm(a[row + bo + j]!);
        a[row + bi + j] = ig; a[row + bf + j] = fg; a[row + bg + j] = gg; a[row + bo + j] = og;
        const q = t * bh + n * h + j;
        const cPrev = t === 0 ? c0d[n * h + j]! : c[q - bh]!;
        const cv = fg * cPrev + ig * gg;
        c[q] = cv;
        y[q] = sj * og * Math.tanh(cv);
      }
    }
  }
  const last = (src: Float32Array): Tensor => ({ shape: [b, h], data: src.slice((d.t - 1) * bh) });
  return { y: { shape: [d.t, b, h], data: y }, hT: last(y), cT: last(c), cache: { dims: d, order, h0: h0d, c0: c0d, y, c, gates: a, scale } };
}

export interface LstmGrads extends RecurrentGrads {
  dc0: Tensor;
}

/** BPTT given dL/dY and/or the gradients of the final hidden and cell states. */
export function lstmBackward(x: Tensor, wt: RecurrentWeights, cache: LstmCache, dy?: Tensor, dhT?: Tensor, dcT?: Tensor): LstmGrads {
  const d = cache.dims;
  checkOutputGrads('lstm backward', d, dy, dhT);
  if (dcT) expectShape('lstm backward', 'final cell-state gradient', dcT.shape, [d.b, d.h]);
  const [bi, bf, bg, bo] = blocks(cache.order).map((k) => k * d.h) as [number, number, number, number];
  const { b, h } = d;
  const bh = b * h;
  const gh = 4 * h;
  const g = cache.gates;
  const dA = new Float32Array(d.t * b * gh);
  let dh = dhT ? dhT.data.slice() : new Float32Array(bh);
  const dc = dcT ? dcT.data.slice() : new Float32Array(bh);
  for (let t = d.t - 1; t >= 0; t--) {
    for (let n = 0; n < b; n++) {
      const row = (t * b + n) * gh;
      for (let j = 0; j < h; j++) {
        const sj = cache.scale ? cache.scale[j]! : 1;
        const s = n * h + j;
        // A dropped unit's state is a constant zero: no gradient reaches its gates or c0.
        if (sj === 0) { dc[s] = 0; continue; }
        const q = t * bh + s;
        const ig = g[row + bi + j]!, fg = g[row + bf + j]!, gg = g[row + bg + j]!, og = g[row + bo + j]!;
        const cPrev = t === 0 ? cache.c0[s]! : cache.c[q - bh]!;
        const tc = Math.tanh(cache.c[q]!);
        const dhv = sj * (dh[s]! + (dy ? dy.data[q]! : 0));
        const dcv = dc[s]! + dhv * og * (1 - tc * tc);
        dA[row + bi + j] = dcv * gg * ig * (1 - ig);
        dA[row + bf + j] = dcv * cPrev * fg * (1 - fg);
        dA[row + bg + j] = dcv * ig * (1 - gg * gg);
        dA[row + bo + j] = dhv * tc * og * (1 - og);
        dc[s] = dcv * fg;
      }
    }
    dh = new Float32Array(bh);
    backRecurrent(dA, t * b * gh, wt.r, d, dh);
  }
  const grads = weightGrads(x, wt, d, dA, dA, previousStates(cache.y, cache.h0, d), dh);
  return { ...grads, dc0: { shape: [b, h], data: dc } };
}

/**
 * GRU over a sequence, one direction (ONNX GRU):
 *   z = σ(x·Wzᵀ + h·Rzᵀ + Wbz + Rbz)   r = σ(x·Wrᵀ + h·Rrᵀ + Wbr + Rbr)
 *   linear_before_reset = 0:  n = tanh(x·Whᵀ + (r ⊙ h)·Rhᵀ + Rbh + Wbh)      (ONNX default)
 *   linear_before_reset = 1:  n = tanh(x·Whᵀ + Wbh + r ⊙ (h·Rhᵀ + Rbh))      (PyTorch, cuDNN)
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
 * Gate blocks along W's and R's rows: 'zrh' (ONNX, the default) or 'rzn' (PyTorch, which
 * also needs linearBeforeReset).
 */
import type { Tensor } from '../tensor.ts';
import {
  type RecurrentDims, type RecurrentGrads, type RecurrentWeights, addRecurrent, backRecurrent, checkOutputGrads,
  inputProjection, previousStates, recurrentDims, sigm, weightGrads,
} from './rnn-common.ts';
import { sgemm } from './gemm.ts';

export type GruGateOrder = 'zrh' | 'rzn';

export interface GruOptions {
  linearBeforeReset?: boolean;
  gateOrder?: GruGateOrder;
}

export interface GruCache {
  dims: RecurrentDims;
  lbr: boolean;
  blocks: [number, number, number];
  h0: Float32Array;
  y: Float32Array;
  /** Activated z, r, n of every step [T·B, 3H], in storage order. */
  gates: Float32Array;
  /** Per step [T·B, H]: h·Rhᵀ + Rbh when linear-before-reset, else r ⊙ h_{t−1}. */
  aux: Float32Array;
}

export interface GruResult {
  y: Tensor;
  hT: Tensor;
  cache: GruCache;
}

export function gru(x: Tensor, wt: RecurrentWeights, h0?: Tensor, opts: GruOptions = {}): GruResult {
  const d = recurrentDims('gru', x, wt, 3, h0);
  const lbr = opts.linearBeforeReset ?? false;
  const order = opts.gateOrder ?? 'zrh';
  const blk: [number, number, number] = order === 'zrh' ? [0, 1, 2] : [1, 0, 2];
  const [bz, br, bn] = blk.map((k) => k * d.h) as [number, number, number];
  const { b, h } = d;
  const bh = b * h;
  const gh = 3 * h;
  const a = inputProjection(x, wt, d, (block) => !(lbr && block === blk[2]));
  const h0d = h0 ? h0.data.slice() : new Float32Array(bh);
  const y = new Float32Array(d.t * bh);
  const aux = new Float32Array(d.t * bh);
  const rec = new Float32Array(b * gh);
  const rhR = new Float32Array(bh);
  for (let t = 0; t < d.t; t++) {
    const aOff = t * b * gh;
    const hp = t === 0 ? h0d : y;
    const hpOff = t === 0 ? 0 : (t - 1) * bh;
    rec.fill(0);
    addRecurrent(hp, hpOff, wt.r, d, rec, 0);
    for (let n = 0; n < b; n++) {
      const row = aOff + n * gh;
      for (let j = 0; j < h; j++) {
        const z = sigm(a[row + bz + j]! + rec[n * gh + bz + j]!);
        const r = sigm(a[row + br + j]! + rec[n * gh + br + j]!);
        a[row + bz + j] = z;
        a[row + br + j] = r;
        const q = t * bh + n * h + j;
        aux[q] = lbr ? rec[n * gh + bn + j]! + (wt.rb?.data[bn + j] ?? 0) : r * hp[hpOff + n * h + j]!;
      }
    }
    if (!lbr) sgemm({ m: b, n: h, k: h, a: aux, aOffset: t * bh, b: wt.r.data, bOffset: bn * h, transB: true, c: rhR });
    for (let n = 0; n < b; n++) {
      const row = aOff + n * gh;
      for (let j = 0; j < h; j++) {
        const q = t * bh + n * h + j;
        const z = a[row + bz + j]!;
        const pre = lbr ? a[row + bn + j]! + a[row + br + j]! * aux[q]! : a[row + bn + j]! + rhR[n * h + j]!;
        const nv = Math.tanh(pre);
        a[row + bn + j] = nv;
        y[q] = (1 - z) * nv + z * hp[hpOff + n * h + j]!;
      }
    }
  }
  return {
    y: { shape: [d.t, b, h], data: y },
    hT: { shape: [b, h], data: y.slice((d.t - 1) * bh) },
    cache: { dims: d, lbr, blocks: blk, h0: h0d, y, gates: a, aux },
  };
}

/** BPTT given dL/dY and/or dL/dh_T. */
export function gruBackward(x: Tensor, wt: RecurrentWeights, cache: GruCache, dy?: Tensor, dhT?: Tensor): RecurrentGrads {
  const d = cache.dims;
  checkOutputGrads('gru backward', d, dy, dhT);
  const { lbr } = cache;
  const [bz, br, bn] = cache.blocks.map((k) => k * d.h) as [number, number, number];
  const { b, h } = d;
  const bh = b * h;
  const gh = 3 * h;
  const g = cache.gates;
  const dAx = new Float32Array(d.t * b * gh);
  const dAr = new Float32Array(d.t * b * gh);
  const step = new Float32Array(b * gh);
  const drh = new Float32Array(bh);
  let dh = dhT ? dhT.data.slice() : new Float32Array(bh);
  const hPrev = previousStates(cache.y, cache.h0, d);
  for (let t = d.t - 1; t >= 0; t--) {
    const next = new Float32Array(bh);
    for (let n = 0; n < b; n++) {
      const row = (t * b + n) * gh;
      for (let j = 0; j < h; j++) {
        const s = n * h + j;
        const q = t * bh + s;
        const z = g[row + bz + j]!, nv = g[row + bn + j]!;
        const dhv = dh[s]! + (dy ? dy.data[q]! : 0);
        next[s] = dhv * z;
        dAx[row + bz + j] = dhv * (hPrev[q]! - nv) * z * (1 - z);
        dAx[row + bn + j] = dhv * (1 - z) * (1 - nv * nv);
      }
    }
    // Gradient reaching r ⊙ h (before reset) or h·Rhᵀ + Rbh (linear before reset).
    if (!lbr) sgemm({ m: b, n: h, k: h, a: dAx, aOffset: t * b * gh + bn, lda: gh, b: wt.r.data, bOffset: bn * h, c: drh });
    for (let n = 0; n < b; n++) {
      const row = (t * b + n) * gh;
      for (let j = 0; j < h; j++) {
        const s = n * h + j;
        const q = t * bh + s;
        const r = g[row + br + j]!;
        const dan = dAx[row + bn + j]!;
        const dr = lbr ? dan * cache.aux[q]! : drh[s]! * hPrev[q]!;
        if (!lbr) next[s] = next[s]! + drh[s]! * r;
        dAx[row + br + j] = dr * r * (1 - r);
        dAr[row + bz + j] = dAx[row + bz + j]!;
        dAr[row + br + j] = dAx[row + br + j]!;
        dAr[row + bn + j] = lbr ? dan * r : dan;
        step[n * gh + bz + j] = dAr[row + bz + j]!;
        step[n * gh + br + j] = dAr[row + br + j]!;
        // Without linear-before-reset the candidate's path to h went through r ⊙ h above.
        step[n * gh + bn + j] = lbr ? dan * r : 0;
      }
    }
    backRecurrent(step, 0, wt.r, d, next);
    dh = next;
  }
  const grads = weightGrads(x, wt, d, dAx, dAr, hPrev, dh);
  if (!lbr) {
    // The candidate block's recurrent operand is r ⊙ h_{t−1}, not h_{t−1}.
    sgemm({ m: h, n: h, k: d.t * b, a: dAr, aOffset: bn, lda: gh, transA: true, b: cache.aux, c: grads.dr.data, cOffset: bn * h });
  }
  return grads;
}

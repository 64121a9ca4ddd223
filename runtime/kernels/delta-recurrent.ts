/**
 * Delta rnn / gru / lstm layers (Neil et al. 2017, delta-encode.ts), one direction, time first,
 * Kiln's parameter layout (one bias, gate blocks rnn · , gru z r h, lstm i f g o). Both the input
 * x_t and the previous hidden state h_{t−1} are delta-encoded, and two accumulators carry the
 * pre-activations across steps, starting from the bias and from zero:
 *   Mx_t = Mx_{t−1} + W·Δx_t      Mh_t = Mh_{t−1} + R·Δh_{t−1}
 * so Mx_t = W·x̂_t + b and Mh_t = R·ĥ_{t−1} for the references x̂, ĥ. The GRU is the paper's (and
 * cuDNN's) linear-before-reset form, n = tanh(Mx_n + r ⊙ Mh_n): ONNX's default (r ⊙ h)·Rᵀ would
 * change every column whenever r changes, leaving nothing to skip. The state update itself uses
 * the true h_{t−1} and c_{t−1}. BPTT treats the encoder as the identity (straight-through, as the
 * paper trains), and can add the gradient of an L1 cost on the state's changes h_t − h_{t−1}.
 */
import type { Tensor } from '../tensor.ts';
import { DeltaChannel, type MacCount, transposeWeight } from './delta-encode.ts';
import { addChangeL1Grad, changeL1 } from './delta-l1.ts';
import {
  type RecurrentDims, type RecurrentGrads, type RecurrentWeights, backRecurrent, checkOutputGrads, recurrentDims, sigm, weightGrads,
} from './rnn-common.ts';

export type DeltaCell = 'rnn' | 'gru' | 'lstm';
const GATES: Record<DeltaCell, number> = { rnn: 1, gru: 3, lstm: 4 };

export interface DeltaRecurrentCache {
  cell: DeltaCell;
  dims: RecurrentDims;
  /** The input references x̂_t each step multiplied [T·B, I]. */
  xhat: Float32Array;
  /** The state references ĥ_{t−1} each step multiplied [T·B, H]. */
  hhat: Float32Array;
  /** The true states h_{t−1} [T·B, H] and h_t (y) [T·B, H]. */
  hPrev: Float32Array;
  y: Float32Array;
  /** Activated gates [T·B, G·H]; gru: Mh_n per step [T·B, H]; lstm: cell states c_t [T·B, H]. */
  gates: Float32Array;
  aux: Float32Array;
  /** Σ over steps, rows and units of |h_t − h_{t−1}| (the L1 cost's value before its weight). */
  changeL1: number;
}

export interface DeltaRecurrentResult {
  y: Tensor;
  hT: Tensor;
  cache: DeltaRecurrentCache;
  macs: MacCount;
}

export function deltaRecurrent(cell: DeltaCell, x: Tensor, wt: RecurrentWeights, theta: number): DeltaRecurrentResult {
  const d = recurrentDims(`delta ${cell}`, x, wt, GATES[cell]);
  const { t: T, b: B, i: I, h: H } = d;
  const gh = d.g * H, bh = B * H;
  const wxT = transposeWeight(wt.w.data, gh, I), rT = transposeWeight(wt.r.data, gh, H);
  const mx = new Float64Array(B * gh), mh = new Float64Array(B * gh);
  for (let n = 0; n < B; n++) for (let j = 0; j < gh; j++) mx[n * gh + j] = wt.wb?.data[j] ?? 0;
  const xin = new DeltaChannel(B, I, theta), hin = new DeltaChannel(B, H, theta);
  const cache: DeltaRecurrentCache = {
    cell, dims: d, xhat: new Float32Array(T * B * I), hhat: new Float32Array(T * bh), hPrev: new Float32Array(T * bh),
    y: new Float32Array(T * bh), gates: new Float32Array(T * B * gh), aux: new Float32Array(cell === 'rnn' ? 0 : T * bh), changeL1: 0,
  };
  const h = new Float32Array(bh), c = new Float32Array(bh);
  let sent = 0;
  for (let t = 0; t < T; t++) {
    sent += xin.step(x.data, t * B * I, wxT, gh, mx);
    sent += hin.step(h, 0, rT, gh, mh);
    cache.xhat.set(xin.ref, t * B * I);
    cache.hhat.set(hin.ref, t * bh);
    cache.hPrev.set(h, t * bh);
    for (let n = 0; n < B; n++) {
      const row = n * gh, g = (t * B + n) * gh;
      for (let j = 0; j < H; j++) {
        const s = n * H + j, q = t * bh + s;
        let hv: number;
        if (cell === 'rnn') {
          hv = Math.tanh(mx[row + j]! + mh[row + j]!);
          cache.gates[g + j] = hv;
        } else if (cell === 'gru') {
          const z = sigm(mx[row + j]! + mh[row + j]!), r = sigm(mx[row + H + j]! + mh[row + H + j]!);
          const mhn = mh[row + 2 * H + j]!;
          const nv = Math.tanh(mx[row + 2 * H + j]! + r * mhn);
          cache.gates[g + j] = z; cache.gates[g + H + j] = r; cache.gates[g + 2 * H + j] = nv;
          cache.aux[q] = mhn;
          hv = (1 - z) * nv + z * h[s]!;
        } else {
          const ig = sigm(mx[row + j]! + mh[row + j]!), fg = sigm(mx[row + H + j]! + mh[row + H + j]!);
          const gg = Math.tanh(mx[row + 2 * H + j]! + mh[row + 2 * H + j]!), og = sigm(mx[row + 3 * H + j]! + mh[row + 3 * H + j]!);
          cache.gates[g + j] = ig; cache.gates[g + H + j] = fg; cache.gates[g + 2 * H + j] = gg; cache.gates[g + 3 * H + j] = og;
          c[s] = fg * c[s]! + ig * gg;
          cache.aux[q] = c[s]!;
          hv = og * Math.tanh(c[s]!);
        }
        cache.y[q] = hv;
      }
    }
    h.set(cache.y.subarray(t * bh, (t + 1) * bh));
  }
  cache.changeL1 = changeL1(cache.y, T, bh);
  return {
    y: { shape: [T, B, H], data: cache.y },
    hT: { shape: [B, H], data: h },
    cache,
    macs: { done: sent * gh, dense: T * B * (I + H) * gh },
  };
}

/** BPTT given dL/dY and/or dL/dh_T; `l1` weighs the change cost's gradient (0: none). */
export function deltaRecurrentBackward(x: Tensor, wt: RecurrentWeights, cache: DeltaRecurrentCache, dy?: Tensor, dhT?: Tensor, l1 = 0): RecurrentGrads {
  const d = cache.dims;
  checkOutputGrads(`delta ${cache.cell} backward`, d, dy, dhT);
  const { t: T, b: B, h: H } = d;
  const gh = d.g * H, bh = B * H;
  const gt = cache.gates;
  const dAx = new Float32Array(T * B * gh), dAr = new Float32Array(T * B * gh);
  let dh = dhT ? dhT.data.slice() : new Float32Array(bh);
  const dc = new Float32Array(bh);
  const dl1 = new Float32Array(l1 ? T * bh : 0);
  if (l1) addChangeL1Grad(cache.y, T, bh, l1, dl1);
  for (let t = T - 1; t >= 0; t--) {
    const next = new Float32Array(bh);
    for (let n = 0; n < B; n++) {
      const g = (t * B + n) * gh;
      for (let j = 0; j < H; j++) {
        const s = n * H + j, q = t * bh + s;
        const dhv = dh[s]! + (dy ? dy.data[q]! : 0) + (l1 ? dl1[q]! : 0);
        if (cache.cell === 'rnn') {
          const hv = gt[g + j]!;
          dAx[g + j] = dAr[g + j] = dhv * (1 - hv * hv);
        } else if (cache.cell === 'gru') {
          const z = gt[g + j]!, r = gt[g + H + j]!, nv = gt[g + 2 * H + j]!;
          const dpre = dhv * (1 - z) * (1 - nv * nv);
          dAx[g + 2 * H + j] = dpre;
          dAr[g + 2 * H + j] = dpre * r;
          dAx[g + H + j] = dAr[g + H + j] = dpre * cache.aux[q]! * r * (1 - r);
          dAx[g + j] = dAr[g + j] = dhv * (cache.hPrev[q]! - nv) * z * (1 - z);
          next[s] = dhv * z;
        } else {
          const ig = gt[g + j]!, fg = gt[g + H + j]!, gg = gt[g + 2 * H + j]!, og = gt[g + 3 * H + j]!;
          const tc = Math.tanh(cache.aux[q]!);
          const dcv = dc[s]! + dhv * og * (1 - tc * tc);
          const cPrev = t === 0 ? 0 : cache.aux[q - bh]!;
          dAx[g + j] = dAr[g + j] = dcv * gg * ig * (1 - ig);
          dAx[g + H + j] = dAr[g + H + j] = dcv * cPrev * fg * (1 - fg);
          dAx[g + 2 * H + j] = dAr[g + 2 * H + j] = dcv * ig * (1 - gg * gg);
          dAx[g + 3 * H + j] = dAr[g + 3 * H + j] = dhv * tc * og * (1 - og);
          dc[s] = dcv * fg;
        }
      }
    }
    // The product used ĥ_{t−1}; straight-through, its gradient is h_{t−1}'s.
    backRecurrent(dAr, t * B * gh, wt.r, d, next);
    dh = next;
  }
  return weightGrads({ shape: x.shape, data: cache.xhat }, wt, d, dAx, dAr, cache.hhat, dh);
}

/**
 * Ternary weights (Ternary Weight Networks, Li, Zhang & Liu 2016): w ≈ α·t with t ∈ {−1, 0, +1},
 * threshold Δ = 0.7·mean|w| and α = mean of |w| over the weights above Δ, per tensor or per
 * output channel. A ternary matmul needs no multiplications inside the sum: each output adds the
 * inputs under +1 weights, subtracts those under −1, and scales once by α.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { aroundAxis, expect, normAxis } from './check.ts';

export interface TernaryTensor {
  shape: number[];
  values: Int8Array;
  /** One α per tensor, or one per slice along `axis`. */
  scale: Float32Array;
  axis?: number;
}

export interface TernarizeOptions {
  /** Δ = factor · mean|w|; 0.7 is TWN's approximation of the optimal threshold. */
  thresholdFactor?: number;
  /** Per-channel thresholds and scales along this axis (0 for weights [out, ...]). */
  axis?: number;
}

export function ternarize(w: Tensor, o: TernarizeOptions = {}): TernaryTensor {
  const factor = o.thresholdFactor ?? 0.7;
  const axis = o.axis === undefined ? undefined : normAxis('ternarize', o.axis, w.shape.length);
  const { outer, len, inner } = axis === undefined ? { outer: 1, len: 1, inner: w.data.length } : aroundAxis(w.shape, axis);
  const values = new Int8Array(w.data.length);
  const scale = new Float32Array(len);
  for (let c = 0; c < len; c++) {
    let sumAbs = 0;
    for (let ob = 0; ob < outer; ob++) {
      const base = (ob * len + c) * inner;
      for (let i = base; i < base + inner; i++) sumAbs += Math.abs(w.data[i]!);
    }
    const delta = (factor * sumAbs) / (outer * inner || 1);
    let kept = 0;
    let keptAbs = 0;
    for (let ob = 0; ob < outer; ob++) {
      const base = (ob * len + c) * inner;
      for (let i = base; i < base + inner; i++) {
        const v = w.data[i]!;
        if (Math.abs(v) > delta) { values[i] = v > 0 ? 1 : -1; kept++; keptAbs += Math.abs(v); }
      }
    }
    scale[c] = kept > 0 ? keptAbs / kept : 0;
  }
  return { shape: [...w.shape], values, scale, axis };
}

export function dequantizeTernary(t: TernaryTensor): Tensor {
  const y = zeros(t.shape);
  const { outer, len, inner } = t.axis === undefined ? { outer: 1, len: 1, inner: y.data.length } : aroundAxis(t.shape, t.axis);
  for (let ob = 0; ob < outer; ob++) {
    for (let c = 0; c < len; c++) {
      const base = (ob * len + c) * inner;
      for (let i = base; i < base + inner; i++) y.data[i] = t.values[i]! * t.scale[c]!;
    }
  }
  return y;
}

/**
 * y[m × out] = x[m × in] · (α ⊙ T)ᵀ for ternary weights T [out, in] (dense layout), per-tensor or
 * per-output-channel (axis 0) scale: additions and subtractions only, then one multiply per output.
 */
export function ternaryMatmul(x: Tensor, w: TernaryTensor): Tensor {
  expect('ternary matmul', w.shape.length === 2 && (w.axis === undefined || w.axis === 0),
    'weights must be [out, in] with a per-tensor or per-output-channel scale');
  const [outF, inF] = w.shape as [number, number];
  expect('ternary matmul', x.shape[x.shape.length - 1] === inF, `input's last axis must be ${inF}`);
  const m = x.data.length / inF;
  // Index lists make the inner loops pure gathers: no branch on the weight value.
  const plus: Int32Array[] = [];
  const minus: Int32Array[] = [];
  for (let o = 0; o < outF; o++) {
    const p: number[] = [];
    const q: number[] = [];
    for (let i = 0; i < inF; i++) {
      const t = w.values[o * inF + i]!;
      if (t > 0) p.push(i);
      else if (t < 0) q.push(i);
    }
    plus.push(Int32Array.from(p));
    minus.push(Int32Array.from(q));
  }
  const y = zeros([...x.shape.slice(0, -1), outF]);
  for (let r = 0; r < m; r++) {
    const xo = r * inF;
    for (let o = 0; o < outF; o++) {
      let s = 0;
      const p = plus[o]!, q = minus[o]!;
      for (let i = 0; i < p.length; i++) s += x.data[xo + p[i]!]!;
      for (let i = 0; i < q.length; i++) s -= x.data[xo + q[i]!]!;
      y.data[r * outF + o] = s * w.scale[w.axis === 0 ? o : 0]!;
    }
  }
  return y;
}

/**
 * Binary layers (BinaryNet, Courbariaux, Hubara et al. 2016; XNOR-Net, Rastegari et al. 2016).
 * Weights are sign(w) (+1 for w ≥ 0, as training binarizes them), bit-packed 32 to a Uint32 word.
 * When the layer's input is itself ±1 (it comes from `sign`), the input rows are packed too and
 * the products are XNOR-popcounts, Σ a·b = k − 2·popcount(a XOR b) (kernels/binary.ts). A real
 * input (the first layer sees pixels) is summed under the weight signs: additions and
 * subtractions only. A binary layer followed by batchnorm → sign folds both into one integer
 * threshold per channel, so the hidden layers never leave integers (binaryThresholds).
 */
import type { Tensor } from '../../tensor.ts';
import { packSignBits, xnorGemm, type PackedBits } from '../../kernels/binary.ts';
import type { IntegerLayer, LayerCounts } from './types.ts';

/** Index lists of the +1 and −1 entries of each row: a signed sum is then two gathers. */
export interface SignedRows { plus: Int32Array[]; minus: Int32Array[] }

export function signedRows(n: number, k: number, code: (row: number, col: number) => number): SignedRows {
  const plus: Int32Array[] = [], minus: Int32Array[] = [];
  for (let o = 0; o < n; o++) {
    const p: number[] = [], q: number[] = [];
    for (let i = 0; i < k; i++) { const t = code(o, i); if (t > 0) p.push(i); else if (t < 0) q.push(i); }
    plus.push(Int32Array.from(p));
    minus.push(Int32Array.from(q));
  }
  return { plus, minus };
}

/** out[i·n + o] = Σ_{plus} A_i − Σ_{minus} A_i, in double precision. */
export function signedSums(m: number, k: number, A: Float32Array, r: SignedRows, out: Float64Array): void {
  const n = r.plus.length;
  for (let i = 0; i < m; i++) {
    const xo = i * k;
    for (let o = 0; o < n; o++) {
      let s = 0;
      const p = r.plus[o]!, q = r.minus[o]!;
      for (let t = 0; t < p.length; t++) s += A[xo + p[t]!]!;
      for (let t = 0; t < q.length; t++) s -= A[xo + q[t]!]!;
      out[i * n + o] = s;
    }
  }
}

export interface BinaryLayer extends IntegerLayer {
  /** Packed sign bits of the weights, one row per output channel. */
  packed: PackedBits;
  /** The integer sums Σ a·w (XNOR path) without the bias. */
  accumulate(m: number, A: Float32Array, counts: LayerCounts): Int32Array;
  xnor: boolean;
}

export function lowerBinary(weight: Tensor, bias: Tensor | undefined, inputIsSign: boolean): BinaryLayer {
  const n = weight.shape[0]!, k = weight.data.length / n;
  const packed = packSignBits(weight.data, n, k);
  const rows = inputIsSign ? undefined : signedRows(n, k, (o, i) => (weight.data[o * k + i]! >= 0 ? 1 : -1));
  const accumulate = (m: number, A: Float32Array, counts: LayerCounts): Int32Array => {
    counts.macs += m * n * k;
    return xnorGemm(packSignBits(A, m, k), packed);
  };
  return {
    precision: 'binary', packed, accumulate, xnor: inputIsSign,
    why: inputIsSign ? `xnor-popcount ${n}×${k} on packed ±1 inputs` : `signed sums ${n}×${k} (real input, ±1 weights: adds and subtracts)`,
    weightBytes: packed.bits.byteLength + (bias ? 4 * n : 0),
    gemm(m, A, counts) {
      const y = new Float32Array(m * n);
      if (rows) {
        const s = new Float64Array(m * n);
        signedSums(m, k, A, rows, s);
        counts.macs += m * n * k;
        for (let i = 0; i < y.length; i++) y[i] = s[i]!;
      } else {
        const acc = accumulate(m, A, counts);
        for (let i = 0; i < y.length; i++) y[i] = acc[i]!;
      }
      if (bias) for (let i = 0; i < y.length; i++) y[i] = y[i]! + bias.data[i % n]!;
      return y;
    },
  };
}

/**
 * batchnorm (inference: running statistics) then sign, on acc + bias, as one comparison per
 * channel: γ·(acc + b − μ)/σ + β ≥ 0 ⇔ acc ≥ ⌈μ − b − β·σ/γ⌉ for γ > 0, acc ≤ ⌊…⌋ for γ < 0, and
 * the sign of β alone for γ = 0 (σ = √(var + eps) > 0). sign(0) = +1, as the interpreter's.
 */
export interface Thresholds { tau: Float64Array; dir: Int8Array }

export function binaryThresholds(bn: { gamma: Tensor; beta: Tensor; mean: Tensor; variance: Tensor; eps: number }, bias: Tensor | undefined): Thresholds {
  const c = bn.gamma.data.length;
  const tau = new Float64Array(c), dir = new Int8Array(c);
  for (let ch = 0; ch < c; ch++) {
    const g = bn.gamma.data[ch]!, b = bn.beta.data[ch]!;
    const sigma = Math.sqrt(bn.variance.data[ch]! + bn.eps);
    const t = bn.mean.data[ch]! - (bias ? bias.data[ch]! : 0) - (b * sigma) / g;
    if (g > 0) { dir[ch] = 1; tau[ch] = Math.ceil(t); }
    else if (g < 0) { dir[ch] = -1; tau[ch] = Math.floor(t); }
    else { dir[ch] = 0; tau[ch] = b >= 0 ? 1 : -1; }
  }
  return { tau, dir };
}

/** ±1 outputs of the folded batchnorm → sign over integer sums acc [rows × c] (channels last). */
export function applyThresholds(acc: ArrayLike<number>, th: Thresholds): Float32Array {
  const c = th.tau.length;
  const y = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const ch = i % c, d = th.dir[ch]!, t = th.tau[ch]!;
    y[i] = d === 0 ? t : (d > 0 ? acc[i]! >= t : acc[i]! <= t) ? 1 : -1;
  }
  return y;
}

/**
 * The delta encoder of delta networks (Neil, Lee, Delbruck & Liu, "Delta Networks for Optimized
 * Recurrent Network Computation", ICML 2017). A vector sent to a product keeps, per unit, the last
 * value it transmitted (its reference, 0 at the start); at each step a unit transmits
 * Δ = v − ref only when |v − ref| > θ, and only then moves its reference to v. The product
 * M_t = M_{t−1} + W·Δ_t then touches only the columns of W whose unit transmitted, and M_t equals
 * W·ref_t exactly in real arithmetic: the network computes with the references (the quantized
 * signal), which is why the gradient may pass straight through the encoder.
 */

/** Multiply-accumulates a delta layer did, and what the dense layer would have done. */
export interface MacCount {
  done: number;
  dense: number;
}

/**
 * One step of the encoder on B rows of F units. `ref` is updated in place; `delta` receives Δ
 * (zero where nothing was sent) and `sent` the transmitting units' indices, per row:
 * sent[n·F .. n·F + counts[n]). Returns the units sent in all.
 */
export function encodeStep(v: ArrayLike<number>, vOff: number, ref: Float32Array, theta: number, b: number, f: number,
  delta: Float32Array, sent: Int32Array, counts: Int32Array): number {
  let total = 0;
  for (let n = 0; n < b; n++) {
    let c = 0;
    for (let i = 0; i < f; i++) {
      const k = n * f + i;
      const d = v[vOff + k]! - ref[k]!;
      // Strictly greater: at θ = 0 a unit whose value did not change still sends nothing.
      if (Math.abs(d) > theta) {
        delta[k] = d;
        ref[k] = v[vOff + k]!;
        sent[n * f + c++] = i;
      } else delta[k] = 0;
    }
    counts[n] = c;
    total += c;
  }
  return total;
}

/**
 * acc[n, :] += Σ over the sent units i of Δ[n, i]·wT[i, :], for B rows; wT is [F, O] (a weight
 * transposed so that a unit's column is one contiguous row). Units that sent nothing cost nothing.
 */
export function accumulateSent(acc: Float64Array, delta: Float32Array, sent: Int32Array, counts: Int32Array,
  wT: Float32Array, b: number, f: number, o: number): void {
  for (let n = 0; n < b; n++) {
    const row = n * o;
    for (let c = 0; c < counts[n]!; c++) {
      const i = sent[n * f + c]!;
      const d = delta[n * f + i]!;
      const w = i * o;
      for (let j = 0; j < o; j++) acc[row + j] = acc[row + j]! + d * wT[w + j]!;
    }
  }
}

/** W [O, F] → Wᵀ [F, O]. */
export function transposeWeight(w: Float32Array, o: number, f: number): Float32Array {
  const t = new Float32Array(o * f);
  for (let r = 0; r < o; r++) for (let i = 0; i < f; i++) t[i * o + r] = w[r * f + i]!;
  return t;
}

/** Scratch buffers of one encoded vector of B rows × F units. */
export class DeltaChannel {
  readonly ref: Float32Array;
  readonly delta: Float32Array;
  readonly sent: Int32Array;
  readonly counts: Int32Array;
  constructor(readonly b: number, readonly f: number, readonly theta: number) {
    this.ref = new Float32Array(b * f);
    this.delta = new Float32Array(b * f);
    this.sent = new Int32Array(b * f);
    this.counts = new Int32Array(b);
  }

  /** Encode v (at vOff) and add W·Δ into acc; returns the units sent. */
  step(v: ArrayLike<number>, vOff: number, wT: Float32Array, o: number, acc: Float64Array): number {
    const sent = encodeStep(v, vOff, this.ref, this.theta, this.b, this.f, this.delta, this.sent, this.counts);
    accumulateSent(acc, this.delta, this.sent, this.counts, wT, this.b, this.f, o);
    return sent;
  }
}

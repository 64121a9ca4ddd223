/**
 * Plain reference implementations of ONNX semantics, written from the operator specification
 * (onnx/docs/Operators.md) in float64 with explicit indices, to check imported models against.
 */

export interface Arr { shape: number[]; data: number[] }

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Row-major index → coordinates. */
function coords(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) { c[a] = i % shape[a]!; i = Math.floor(i / shape[a]!); }
  return c;
}

function at(x: Arr, c: readonly number[]): number {
  let off = 0;
  const r = x.shape.length;
  for (let a = 0; a < r; a++) {
    const ci = c[c.length - r + a]!;
    off = off * x.shape[a]! + (x.shape[a] === 1 ? 0 : ci);
  }
  return x.data[off]!;
}

/** NumPy broadcasting elementwise op. */
export function broadcast(x: Arr, y: Arr, f: (a: number, b: number) => number): Arr {
  const r = Math.max(x.shape.length, y.shape.length);
  const shape = Array.from({ length: r }, (_, i) => Math.max(x.shape[x.shape.length - r + i] ?? 1, y.shape[y.shape.length - r + i] ?? 1));
  const data = Array.from({ length: size(shape) }, (_, i) => { const c = coords(i, shape); return f(at(x, c), at(y, c)); });
  return { shape, data };
}

/** NumPy matmul with 1-D promotion and batch broadcasting. */
export function matmulRef(a: Arr, b: Arr): Arr {
  const A = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const m = A.shape[A.shape.length - 2]!, k = A.shape[A.shape.length - 1]!, n = B.shape[B.shape.length - 1]!;
  const ba = A.shape.slice(0, -2), bb = B.shape.slice(0, -2);
  const r = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: r }, (_, i) => Math.max(ba[ba.length - r + i] ?? 1, bb[bb.length - r + i] ?? 1));
  const data: number[] = [];
  for (let q = 0; q < size(batch); q++) {
    const c = coords(q, batch);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += at(A, [...c, i, p]) * at(B, [...c, p, j]);
        data.push(s);
      }
    }
  }
  return { shape: [...batch, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])], data };
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * ONNX LSTM, one forward direction, layout 0, gates i, o, f, c in W/R/B, zero initial state:
 *   it = σ(Xt·Wiᵀ + Ht-1·Riᵀ + Wbi + Rbi), ft, ot alike, ct~ = tanh(…), Ct = ft⊙Ct-1 + it⊙ct~, Ht = ot⊙tanh(Ct)
 * Returns Y [T, 1, B, H].
 */
export function onnxLstm(x: Arr, w: number[], r: number[], bias: number[], h: number): Arr {
  const [t, b, inF] = x.shape as [number, number, number];
  const H = new Array<number>(b * h).fill(0), C = new Array<number>(b * h).fill(0);
  const y: number[] = [];
  const gate = (g: number, n: number, j: number, step: number, hPrev: number[]) => {
    let s = bias[g * h + j]! + bias[4 * h + g * h + j]!;
    for (let p = 0; p < inF; p++) s += x.data[(step * b + n) * inF + p]! * w[(g * h + j) * inF + p]!;
    for (let p = 0; p < h; p++) s += hPrev[n * h + p]! * r[(g * h + j) * h + p]!;
    return s;
  };
  for (let step = 0; step < t; step++) {
    const hPrev = [...H];
    for (let n = 0; n < b; n++) {
      for (let j = 0; j < h; j++) {
        const i = sig(gate(0, n, j, step, hPrev)), o = sig(gate(1, n, j, step, hPrev)), f = sig(gate(2, n, j, step, hPrev)), c = Math.tanh(gate(3, n, j, step, hPrev));
        C[n * h + j] = f * C[n * h + j]! + i * c;
        H[n * h + j] = o * Math.tanh(C[n * h + j]!);
      }
    }
    y.push(...H);
  }
  return { shape: [t, 1, b, h], data: y };
}

export function softmaxRows(x: number[], rowLen: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < x.length; o += rowLen) {
    const row = x.slice(o, o + rowLen);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / s));
  }
  return out;
}

/** Deterministic pseudo-random values in [-1, 1) for test inputs. */
export function values(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return Math.fround((s / 2 ** 32) * 2 - 1);
  });
}

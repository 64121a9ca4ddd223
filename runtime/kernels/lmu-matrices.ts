/**
 * The LMU's fixed memory matrices (Voelker, Kajić & Eliasmith, "Legendre Memory Units", NeurIPS
 * 2019, eq. 2): the continuous-time system θ·ṁ = A·m + B·u whose state m ∈ R^order holds the
 * Legendre coefficients of u's last θ time units,
 *   a_ij = (2i + 1)·(−1 if i < j else (−1)^(i−j+1)),   b_i = (2i + 1)·(−1)^i,
 * discretised for a step of 1 by zero-order hold (the input held constant across a step), as the
 * paper and keras-lmu do: Ā = e^{A/θ}, B̄ = ∫₀¹ e^{sA/θ} ds · B/θ, both read off one exponential of
 * the augmented matrix [[A/θ, B/θ], [0, 0]] (Van Loan 1978), which needs no inverse of A.
 * Everything is float64 here; the kernels use float32 copies, as keras-lmu's float32 weights do.
 */

/** Row-major continuous-time A [order × order]. */
export function legendreA(order: number): Float64Array {
  const a = new Float64Array(order * order);
  for (let i = 0; i < order; i++) {
    for (let j = 0; j < order; j++) a[i * order + j] = (2 * i + 1) * (i < j ? -1 : (i - j + 1) % 2 === 0 ? 1 : -1);
  }
  return a;
}

/** Continuous-time B [order]. */
export function legendreB(order: number): Float64Array {
  return Float64Array.from({ length: order }, (_, i) => (2 * i + 1) * (i % 2 === 0 ? 1 : -1));
}

function matmul64(x: Float64Array, y: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const v = x[i * n + k]!;
      if (v === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] = out[i * n + j]! + v * y[k * n + j]!;
    }
  }
  return out;
}

/** Solve Q·X = P for X (n × n) by Gaussian elimination with partial pivoting. */
function solve64(q: Float64Array, p: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(q), x = Float64Array.from(p);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[piv * n + c]!)) piv = r;
    if (piv !== c) {
      for (let j = 0; j < n; j++) {
        [a[c * n + j], a[piv * n + j]] = [a[piv * n + j]!, a[c * n + j]!];
        [x[c * n + j], x[piv * n + j]] = [x[piv * n + j]!, x[c * n + j]!];
      }
    }
    const d = a[c * n + c]!;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c]! / d;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] = a[r * n + j]! - f * a[c * n + j]!;
        x[r * n + j] = x[r * n + j]! - f * x[c * n + j]!;
      }
    }
  }
  for (let r = 0; r < n; r++) {
    const d = a[r * n + r]!;
    for (let j = 0; j < n; j++) x[r * n + j] = x[r * n + j]! / d;
  }
  return x;
}

/** Padé [6/6] coefficients c_k = (12 − k)!·6! / (12!·k!·(6 − k)!). */
const PADE6 = [1, 1 / 2, 5 / 44, 1 / 66, 1 / 792, 1 / 15840, 1 / 665280];

/**
 * e^M for a row-major n × n matrix: scaling and squaring with a [6/6] Padé approximant. M is
 * scaled by 2^−s until its 1-norm is ≤ 1/2, where the approximant's relative error bound
 * 2^(3−p−q)·p!·q!/((p+q)!·(p+q+1)!) is 3.4e−16 for p = q = 6 (Moler & Van Loan, "Nineteen
 * dubious ways to compute the exponential of a matrix", 2003, section 3), then squared s times.
 */
export function expm(m: Float64Array, n: number): Float64Array {
  let norm = 0;
  for (let j = 0; j < n; j++) {
    let col = 0;
    for (let i = 0; i < n; i++) col += Math.abs(m[i * n + j]!);
    norm = Math.max(norm, col);
  }
  const s = norm > 0.5 ? Math.ceil(Math.log2(norm / 0.5)) : 0;
  const x = m.map((v) => v / 2 ** s);
  const num = new Float64Array(n * n), den = new Float64Array(n * n);
  let power: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) power[i * n + i] = 1;
  for (let k = 0; k < PADE6.length; k++) {
    if (k > 0) power = matmul64(power, x, n);
    const c = PADE6[k]!, sign = k % 2 === 0 ? 1 : -1;
    for (let i = 0; i < n * n; i++) {
      num[i] = num[i]! + c * power[i]!;
      den[i] = den[i]! + sign * c * power[i]!;
    }
  }
  let e: Float64Array = solve64(den, num, n);
  for (let k = 0; k < s; k++) e = matmul64(e, e, n);
  return e;
}

export interface LmuMatrices {
  order: number;
  /** Ā [order × order], row-major: m_t = Ā·m_{t−1} + B̄·u_t. */
  a: Float64Array;
  b: Float64Array;
}

/** Zero-order-hold discretisation of (A/θ, B/θ) for a step of 1. */
export function lmuMatrices(order: number, theta: number): LmuMatrices {
  const a = legendreA(order), b = legendreB(order);
  const n = order + 1;
  const aug = new Float64Array(n * n);
  for (let i = 0; i < order; i++) {
    for (let j = 0; j < order; j++) aug[i * n + j] = a[i * order + j]! / theta;
    aug[i * n + order] = b[i]! / theta;
  }
  const e = expm(aug, n);
  const ad = new Float64Array(order * order), bd = new Float64Array(order);
  for (let i = 0; i < order; i++) {
    for (let j = 0; j < order; j++) ad[i * order + j] = e[i * n + j]!;
    bd[i] = e[i * n + order]!;
  }
  return { order, a: ad, b: bd };
}

const CACHE = new Map<string, { a: Float32Array; b: Float32Array }>();

/** Float32 Ā and B̄, computed once per (order, θ). */
export function lmuMatrices32(order: number, theta: number): { a: Float32Array; b: Float32Array } {
  const key = `${order}/${theta}`;
  let m = CACHE.get(key);
  if (!m) {
    const d = lmuMatrices(order, theta);
    m = { a: Float32Array.from(d.a), b: Float32Array.from(d.b) };
    CACHE.set(key, m);
  }
  return m;
}

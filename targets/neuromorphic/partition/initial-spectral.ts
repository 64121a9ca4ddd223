/**
 * A spectral bisection candidate (Pothen, Simon & Liou 1990; for hypergraphs through the clique
 * expansion, as in Hagen & Kahng 1992): the Fiedler vector of the clique-expanded Laplacian, each
 * net's pairs weighted w(e)/(|e|−1), with the vertex weights as the mass matrix, then the
 * balanced sweep cut of minimum (λ−1) along it. The caller refines it with the same two-way FM as
 * the growth tries.
 *
 * The expansion is never built: for net e with pin sum S_e, (L x)_v = Σ_{e∋v} w(e)/(|e|−1) ·
 * (|e| x_v − S_e), so a product costs O(pins) whatever the nets' sizes. The eigenvector comes
 * from a fixed number of Lanczos steps started from a seeded random vector, so its cost is
 * bounded and the result deterministic per seed.
 */
import type { EngineHypergraph } from './engine-hypergraph.ts';
import type { Rng } from './rng.ts';
import { ascendingOrder } from './ascending-order.ts';
import { tridiagonalEigen } from './tridiagonal-eigen.ts';

export interface SpectralConfig {
  /** Lanczos steps (Krylov dimension); each is one Laplacian product. */
  readonly steps: number;
  /**
   * Sweep cuts along this many of the smallest non-trivial Ritz vectors (default 1). The rule
   * (`SPECTRAL` in partitioner.ts) uses one: without reorthogonalisation the Lanczos steps can
   * give ghost copies of converged Ritz values, so the second and later vectors may repeat the
   * first; more than one is for experiments only (they lost 2% on the U-Net, k = 8).
   */
  readonly vectors?: number;
  /** Independent Lanczos runs from other random starts (default 1). */
  readonly starts?: number;
  /**
   * At most this many two-way FM passes refine each candidate before the best is kept (never
   * more than the bisection's own, `BisectConfig.fm`, which the growth tries keep; default:
   * those). The rule sets one (partitioner.ts).
   */
  readonly fmPasses?: number;
}

/**
 * y = M^{-1/2} L M^{-1/2} x, with M the first weight dimension (1 where a vertex weighs 0), and
 * returns y·x. L's diagonal `diag` is Σ_{e∋v} w(e)|e|/(|e|−1), so each pin costs one load of y
 * and one store, not the two loads of summing w(e)/(|e|−1)·(|e| z_v − S_e) pin by pin.
 */
function applyOperator(h: EngineHypergraph, coef: Float64Array, diag: Float64Array, isq: Float64Array, x: Float64Array, z: Float64Array, y: Float64Array): number {
  const { nv, ne, eptr, pins } = h;
  for (let v = 0; v < nv; v++) {
    const zv = x[v]! * isq[v]!;
    z[v] = zv;
    y[v] = diag[v]! * zv;
  }
  for (let e = 0; e < ne; e++) {
    const c = coef[e]!;
    if (c === 0) continue;
    const s = eptr[e]!;
    const end = eptr[e + 1]!;
    let sum = 0;
    for (let i = s; i < end; i++) sum += z[pins[i]!]!;
    const t = c * sum;
    for (let i = s; i < end; i++) y[pins[i]!]! -= t;
  }
  let dot = 0;
  for (let v = 0; v < nv; v++) {
    const yv = y[v]! * isq[v]!;
    y[v] = yv;
    dot += yv * x[v]!;
  }
  return dot;
}

/**
 * The Lanczos basis is kept whole (steps × nv doubles) to form the Ritz vectors; above this many
 * doubles (32 MiB: 20 steps up to 209,715 vertices, the U-Net's top bisections have ~3,400)
 * `spectralBisect` gives no candidate and the caller grows instead, rather than recomputing the
 * recurrence in a second pass for twice the Laplacian products.
 */
export const MAX_LANCZOS_DOUBLES = 2 ** 22;

/** The Krylov dimension of `steps` Lanczos steps on nv vertices. */
const krylovDim = (steps: number, nv: number) => Math.max(2, Math.min(steps, nv - 1));

/** Whether the Lanczos basis of `steps` steps on nv vertices exceeds MAX_LANCZOS_DOUBLES. */
export const overLanczosCap = (steps: number, nv: number) => krylovDim(steps, nv) * nv > MAX_LANCZOS_DOUBLES;

/** The operator's per-hypergraph arrays, the same for every Lanczos start on it. */
export interface Operator {
  /** Each net's pair weight w(e)/(|e|−1) (0 for a one-pin net). */
  readonly coef: Float64Array;
  /** L's diagonal. */
  readonly diag: Float64Array;
  /** M^{-1/2}. */
  readonly isq: Float64Array;
  /** The unit trivial eigenvector M^{1/2} 1 / ‖M^{1/2} 1‖. */
  readonly u0: Float64Array;
  /** Each net's pin count (the sweep cut's too). */
  readonly size: Int32Array;
}

/** Each net's pin count. */
function netSizes(h: EngineHypergraph): Int32Array {
  const size = new Int32Array(h.ne);
  for (let e = 0; e < h.ne; e++) size[e] = h.eptr[e + 1]! - h.eptr[e]!;
  return size;
}

/** Built once per bisection and shared by its Lanczos starts (a pass over the pins each). */
export function operatorOf(h: EngineHypergraph): Operator {
  const { nv, ne, d, eptr, pins, ewgt, w } = h;
  const coef = new Float64Array(ne);
  const diag = new Float64Array(nv);
  const size = netSizes(h);
  for (let e = 0; e < ne; e++) {
    const n = size[e]!;
    const c = n > 1 ? ewgt[e]! / (n - 1) : 0;
    coef[e] = c;
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) diag[pins[i]!]! += c * n;
  }
  const isq = new Float64Array(nv);
  const sq = new Float64Array(nv);
  for (let v = 0; v < nv; v++) {
    const m = w[v * d]! > 0 ? w[v * d]! : 1;
    sq[v] = Math.sqrt(m);
    isq[v] = 1 / sq[v]!;
  }
  // The trivial eigenvector of M^{-1/2} L M^{-1/2} is M^{1/2} 1; every Krylov vector is kept
  // orthogonal to it, so the smallest Ritz values are the non-trivial ones.
  let norm0 = 0;
  for (let v = 0; v < nv; v++) norm0 += sq[v]! * sq[v]!;
  const u0 = new Float64Array(nv);
  const n0 = Math.sqrt(norm0);
  for (let v = 0; v < nv; v++) u0[v] = sq[v]! / n0;
  return { coef, diag, isq, u0, size };
}

/**
 * The `count` smallest non-trivial generalized eigenvectors of (L, M), as vertex values (the
 * M-orthogonal complement of the constant vector), from `cfg.steps` Lanczos steps.
 */
export function fiedlerVectors(h: EngineHypergraph, rng: Rng, cfg: SpectralConfig, count = 1, op = operatorOf(h)): Float64Array[] {
  const { nv } = h;
  const { coef, diag, isq, u0 } = op;
  const m = krylovDim(cfg.steps, nv);
  const Q: Float64Array[] = [];
  const alpha = new Float64Array(m);
  const beta = new Float64Array(m);
  const z = new Float64Array(nv);
  let q = new Float64Array(nv);
  for (let v = 0; v < nv; v++) q[v] = rng.float() - 0.5;
  // The start off the trivial vector, at unit length.
  let dot0 = 0;
  for (let v = 0; v < nv; v++) dot0 += q[v]! * u0[v]!;
  for (let v = 0; v < nv; v++) q[v]! -= dot0 * u0[v]!;
  let ss0 = 0;
  for (let v = 0; v < nv; v++) ss0 += q[v]! * q[v]!;
  const n0 = Math.sqrt(ss0);
  if (n0 > 0) for (let v = 0; v < nv; v++) q[v]! /= n0;
  let steps = 0;
  // ‖T‖ ≥ max |α_j| estimates the operator's norm from below, so the breakdown test scales
  // with the net weights (an absolute 1e-10 stopped at once on weights of 1e-12).
  let scale = 0;
  for (let j = 0; j < m; j++) {
    Q.push(q);
    steps++;
    const y = new Float64Array(nv);
    const a = applyOperator(h, coef, diag, isq, q, z, y);
    alpha[j] = a;
    scale = Math.max(scale, Math.abs(a));
    // The three-term recurrence alone, kept off the trivial vector: over so few steps the lost
    // orthogonality does not reach the smallest Ritz vectors. Full reorthogonalisation (twice)
    // gave the U-Net, k = 8, the same partitions on seeds 1–24 for an eighth more of the call's time.
    // The recurrence, the orthogonalisation and the normalisation in three passes over y (the
    // dot product and the sum of squares ride on the first two), not five.
    const b = j > 0 ? beta[j - 1]! : 0;
    const prev = j > 0 ? Q[j - 1]! : q;
    let dot = 0;
    for (let v = 0; v < nv; v++) {
      const yv = y[v]! - (a * q[v]! + b * prev[v]!);
      y[v] = yv;
      dot += yv * u0[v]!;
    }
    let ss = 0;
    for (let v = 0; v < nv; v++) {
      const yv = y[v]! - dot * u0[v]!;
      y[v] = yv;
      ss += yv * yv;
    }
    const bn = Math.sqrt(ss);
    // The last step's vector is never used, so it is not normalised.
    if (j === m - 1 || !(bn > 1e-10 * scale)) break;
    for (let v = 0; v < nv; v++) y[v]! /= bn;
    beta[j] = bn;
    q = y;
  }
  const { values, vectors } = tridiagonalEigen(alpha.subarray(0, steps), beta.subarray(0, Math.max(0, steps - 1)));
  const idx = Array.from({ length: steps }, (_, i) => i).sort((i, j) => values[i]! - values[j]!);
  const out: Float64Array[] = [];
  for (let c = 0; c < Math.min(count, steps); c++) {
    const col = idx[c]!;
    const x = new Float64Array(nv);
    for (let j = 0; j < steps; j++) {
      const s = vectors[j * steps + col]!;
      const qj = Q[j]!;
      for (let v = 0; v < nv; v++) x[v]! += s * qj[v]!;
    }
    // Back to vertex values (M^{-1/2} y): the generalized eigenvector.
    for (let v = 0; v < nv; v++) x[v]! *= isq[v]!;
    out.push(x);
  }
  return out;
}

/**
 * Vertices in the order of `x`, moved to side 0 one by one; of every prefix whose two sides both
 * fit their limits, the one of least (λ−1) (ties: nearest to target0 in the first dimension).
 * Both directions of the order are swept. Null when no prefix fits (the caller grows instead).
 */
export function sweepCut(h: EngineHypergraph, x: Float64Array, limits: Float64Array, target0: Float64Array, size = netSizes(h)): { part: Int32Array; cut: number } | null {
  const { nv, ne, d, ewgt, w, vptr, vnets } = h;
  const asc = ascendingOrder(x);
  let best: { part: Int32Array; cut: number } | null = null;
  let bestDev = Infinity;
  const cnt0 = new Int32Array(ne);
  const load0 = new Float64Array(d);
  for (let dir = 0; dir < 2; dir++) {
    cnt0.fill(0);
    load0.fill(0);
    let cut = 0;
    let bestLen = -1;
    let bestCut = Infinity;
    let dev = Infinity;
    for (let i = 0; i < nv; i++) {
      const v = asc[dir === 0 ? i : nv - 1 - i]!;
      for (let j = 0; j < d; j++) load0[j]! += w[v * d + j]!;
      for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
        const e = vnets[k]!;
        const c = ++cnt0[e]!;
        if (c === 1 && size[e]! > 1) cut += ewgt[e]!;
        if (c === size[e] && c > 1) cut -= ewgt[e]!;
      }
      let fits = true;
      for (let j = 0; j < d && fits; j++) fits = load0[j]! <= limits[j]! && h.totalW[j]! - load0[j]! <= limits[d + j]!;
      if (!fits) continue;
      const dv = Math.abs(load0[0]! - target0[0]!);
      if (cut < bestCut || (cut === bestCut && dv < dev)) {
        bestCut = cut;
        bestLen = i + 1;
        dev = dv;
      }
    }
    if (bestLen < 0 || (best && (bestCut > best.cut || (bestCut === best.cut && dev >= bestDev)))) continue;
    const part = new Int32Array(nv).fill(1);
    for (let i = 0; i < bestLen; i++) part[asc[dir === 0 ? i : nv - 1 - i]!] = 0;
    best = { part, cut: bestCut };
    bestDev = dev;
  }
  return best;
}

/** The spectral candidates: the sweep cut along each Ritz vector of each start that fits the limits. */
export function spectralBisect(h: EngineHypergraph, limits: Float64Array, target0: Float64Array, rng: Rng, cfg: SpectralConfig): Int32Array[] {
  if (h.nv < 4 || h.ne === 0 || overLanczosCap(cfg.steps, h.nv)) return [];
  const out: Int32Array[] = [];
  const op = operatorOf(h);
  for (let s = 0; s < (cfg.starts ?? 1); s++) {
    for (const x of fiedlerVectors(h, rng, cfg, cfg.vectors ?? 1, op)) {
      const cut = sweepCut(h, x, limits, target0, op.size);
      if (cut) out.push(cut.part);
    }
  }
  return out;
}

/**
 * The GEMM a lowered program runs: output tile by output tile, reduction chunk by reduction chunk,
 * in f32 (chunks summed with the fast kernel, then added to the tile in order) or in the target's
 * integer numerics (int8 operands, saturating int32 accumulation), counting what it executes.
 */
import { sgemm } from '../kernels/gemm.ts';
import type { GemmPlan, Numerics } from './program.ts';

export interface ExecutionCounts {
  /** Output tiles × reduction chunks visited: a systolic array's folds. */
  folds: number;
  macs: number;
  /** Additions that hit the accumulator's range (integer numerics only). */
  saturations: number;
}

const I32_MIN = -2147483648, I32_MAX = 2147483647;

/** Symmetric per-tensor int8: scale = max|x| / 127, round half to even. */
function quantize(x: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (const v of x) max = Math.max(max, Math.abs(v));
  const scale = max > 0 ? max / 127 : 1;
  const q = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const t = x[i]! / scale;
    const r = Math.round(t);
    q[i] = Math.max(-127, Math.min(127, Math.abs(t % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r));
  }
  return { q, scale };
}

/** C[M×N] = A[M×K] · W[N×K]ᵀ, tiled per plan; `c` must be zeroed or hold the bias. */
export function tiledGemm(m: number, n: number, k: number, a: Float32Array, w: Float32Array, c: Float32Array, plan: GemmPlan, numerics: Numerics, counts: ExecutionCounts): void {
  const chunk = Math.min(k, plan.kChunk);
  if (numerics.word === 'i8' && numerics.accumulator === 'i32') return integerGemm(m, n, k, a, w, c, plan, chunk, counts);
  const partial = new Float32Array(plan.mTile * plan.nTile);
  for (let n0 = 0; n0 < n; n0 += plan.nTile) {
    const nt = Math.min(plan.nTile, n - n0);
    for (let m0 = 0; m0 < m; m0 += plan.mTile) {
      const mt = Math.min(plan.mTile, m - m0);
      for (let k0 = 0; k0 < k; k0 += chunk) {
        counts.folds++;
        const kt = Math.min(chunk, k - k0);
        sgemm({ m: mt, n: nt, k: kt, a, aOffset: m0 * k + k0, lda: k, b: w, bOffset: n0 * k + k0, ldb: k, transB: true, c: partial, ldc: nt, beta: 0 });
        for (let i = 0; i < mt; i++) for (let j = 0; j < nt; j++) c[(m0 + i) * n + n0 + j] = c[(m0 + i) * n + n0 + j]! + partial[i * nt + j]!;
      }
      counts.macs += mt * nt * k;
    }
  }
}

function integerGemm(m: number, n: number, k: number, a: Float32Array, w: Float32Array, c: Float32Array, plan: GemmPlan, chunk: number, counts: ExecutionCounts): void {
  const qa = quantize(a), qw = quantize(w);
  const scale = qa.scale * qw.scale;
  for (let n0 = 0; n0 < n; n0 += plan.nTile) {
    for (let m0 = 0; m0 < m; m0 += plan.mTile) {
      counts.folds += Math.ceil(k / chunk);
      for (let i = m0; i < Math.min(m, m0 + plan.mTile); i++) {
        for (let j = n0; j < Math.min(n, n0 + plan.nTile); j++) {
          let acc = 0;
          for (let k0 = 0; k0 < k; k0 += chunk) {
            // Inside a fold the PE adds one product per cycle; every addition saturates.
            for (let kk = k0; kk < Math.min(k, k0 + chunk); kk++) {
              const s = acc + qa.q[i * k + kk]! * qw.q[j * k + kk]!;
              acc = s > I32_MAX ? (counts.saturations++, I32_MAX) : s < I32_MIN ? (counts.saturations++, I32_MIN) : s;
            }
          }
          c[i * n + j] = c[i * n + j]! + acc * scale;
          counts.macs += k;
        }
      }
    }
  }
}

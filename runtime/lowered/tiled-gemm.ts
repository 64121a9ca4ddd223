/**
 * The f32 GEMM a lowered program runs: output tile by output tile, reduction chunk by reduction
 * chunk (chunks summed with the fast kernel, then added to the tile in order), counting what it
 * executes. Quantized layers do not come here: they run the precision lowering's integer kernels
 * over the same plan's row tiles (execute.ts).
 */
import { sgemm } from '../kernels/gemm.ts';
import type { LayerCounts } from './precision/types.ts';
import type { GemmPlan } from './program.ts';

export interface ExecutionCounts extends LayerCounts {
  /** Output tiles × reduction chunks visited: a systolic array's folds. */
  folds: number;
}

/** Output tiles × reduction chunks of C[M×N] = A[M×K]·Wᵀ under `plan`. */
export function planFolds(plan: GemmPlan, m: number, n: number, k: number): number {
  return Math.ceil(n / plan.nTile) * Math.ceil(m / plan.mTile) * Math.ceil(k / Math.max(1, Math.min(k, plan.kChunk)));
}

/** C[M×N] = A[M×K] · W[N×K]ᵀ in f32, tiled per plan; `c` must be zeroed or hold the bias. */
export function tiledGemm(m: number, n: number, k: number, a: Float32Array, w: Float32Array, c: Float32Array, plan: GemmPlan, counts: ExecutionCounts): void {
  const chunk = Math.min(k, plan.kChunk);
  const partial = new Float32Array(plan.mTile * plan.nTile);
  counts.folds += planFolds(plan, m, n, k);
  counts.macs += m * n * k;
  for (let n0 = 0; n0 < n; n0 += plan.nTile) {
    const nt = Math.min(plan.nTile, n - n0);
    for (let m0 = 0; m0 < m; m0 += plan.mTile) {
      const mt = Math.min(plan.mTile, m - m0);
      for (let k0 = 0; k0 < k; k0 += chunk) {
        const kt = Math.min(chunk, k - k0);
        sgemm({ m: mt, n: nt, k: kt, a, aOffset: m0 * k + k0, lda: k, b: w, bOffset: n0 * k + k0, ldb: k, transB: true, c: partial, ldc: nt, beta: 0 });
        for (let i = 0; i < mt; i++) for (let j = 0; j < nt; j++) c[(m0 + i) * n + n0 + j] = c[(m0 + i) * n + n0 + j]! + partial[i * nt + j]!;
      }
    }
  }
}

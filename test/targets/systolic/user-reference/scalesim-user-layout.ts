/**
 * Where each operand cell sits in SCALE-Sim v2's USER-mode prefetch order, and so in which of the
 * read buffer's "sets" (compute/systolic_compute_{os,ws,is}.create_*_prefetch_mat,
 * memory/read_buffer.prepare_hashed_buffer).
 *
 * Each operand's prefetch matrix stacks its per-fold slices (padded to the array with -1) and is
 * read either by anti-diagonals (row from high to low) or row by row. The valid cells, in that
 * order, are cut into sets of ceil(buffer words / 100) — a final, possibly empty, set included.
 * A demand line of a fold always reads a run of one diagonal or one row, in increasing prefetch
 * order, so a line's sets are the range between those of its first and last cells.
 *
 * Conv ifmaps with overlapping windows hold one address in several cells (and sets); a read hits
 * when any of them is in the active window, so `occurrences` lists them from the geometry.
 */

import type { FoldPlan } from '../../../../targets/systolic/gemm-model.ts';
import type { IfmapCells } from '../../../../targets/systolic/scalesim-user-layout.ts';

export interface RingGeometry {
  rows: number;
  cols: number;
  /** Prefetch order: by anti-diagonals (true) or row-major (false). */
  diag: boolean;
  valid(i: number, j: number): boolean;
}

/** Set index of every cell of the prefetch matrix (of the next valid cell, for invalid ones). */
export class SetMap {
  readonly setAt: Int32Array;
  readonly numSets: number;
  /** Cells of the prefetch matrix, -1 padding included (it sizes the first fill). */
  readonly cells: number;

  constructor(
    readonly g: RingGeometry,
    perSet: number,
  ) {
    const { rows, cols } = g;
    this.cells = rows * cols;
    const setAt = new Int32Array(rows * cols);
    let rank = 0;
    const visit = (i: number, j: number) => {
      setAt[i * cols + j] = Math.floor(rank / perSet);
      if (g.valid(i, j)) rank++;
    };
    if (g.diag) {
      for (let d = 0; d < rows + cols - 1; d++) {
        const hi = Math.min(d, rows - 1);
        const lo = Math.max(0, d - cols + 1);
        for (let i = hi; i >= lo; i--) visit(i, d - i);
      }
    } else {
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) visit(i, j);
    }
    this.setAt = setAt;
    // prepare_hashed_buffer always closes with the (possibly empty) set in progress.
    this.numSets = Math.floor(rank / perSet) + 1;
  }

  set(i: number, j: number): number {
    return this.setAt[i * this.g.cols + j]!;
  }
}

/** Prefetch geometry of the ifmap and the mapping of GEMM cells (m, k) into it. */
export interface IfmapGeometry extends RingGeometry {
  /** Prefetch-matrix cell of GEMM cell (m, k), and back. */
  at(m: number, k: number): [number, number];
  cellOf(i: number, j: number): [number, number];
}

export function ifmapGeometry(plan: FoldPlan, cells: IfmapCells): IfmapGeometry {
  const { arrayRows: R, arrayCols: C, dataflow } = plan;
  const { M, K } = plan.gemm;
  if (dataflow === 'os') {
    // Row folds of the transposed ifmap (K x R each), stacked, by diagonals.
    return {
      rows: plan.rowFolds * K, cols: R, diag: true,
      valid: (i, j) => {
        const fr = Math.floor(i / K);
        const m = fr * R + j;
        return m < M && cells.inBounds(m, i - fr * K);
      },
      at: (m, k) => {
        const fr = Math.floor(m / R);
        return [fr * K + k, m - fr * R];
      },
      cellOf: (i, j) => {
        const fr = Math.floor(i / K);
        return [fr * R + j, i - fr * K];
      },
    };
  }
  if (dataflow === 'ws') {
    // Row folds over K of the M x K ifmap (M x R each), stacked, by diagonals.
    return {
      rows: plan.rowFolds * M, cols: R, diag: true,
      valid: (i, j) => {
        const fr = Math.floor(i / M);
        const k = fr * R + j;
        return k < K && cells.inBounds(i - fr * M, k);
      },
      at: (m, k) => {
        const fr = Math.floor(k / R);
        return [fr * M + m, k - fr * R];
      },
      cellOf: (i, j) => {
        const fr = Math.floor(i / M);
        return [i - fr * M, fr * R + j];
      },
    };
  }
  // IS: column folds over M of the transposed ifmap (K x C each), stacked, row by row.
  return {
    rows: plan.colFolds * K, cols: C, diag: false,
    valid: (i, j) => {
      const fc = Math.floor(i / K);
      const m = fc * C + j;
      return m < M && cells.inBounds(m, i - fc * K);
    },
    at: (m, k) => {
      const fc = Math.floor(m / C);
      return [fc * K + k, m - fc * C];
    },
    cellOf: (i, j) => {
      const fc = Math.floor(i / K);
      return [fc * C + j, i - fc * K];
    },
  };
}

/** Prefetch geometry of the filter (K x N, every address distinct). */
export function filterGeometry(plan: FoldPlan): RingGeometry {
  const { arrayRows: R, arrayCols: C, dataflow } = plan;
  const { N, K } = plan.gemm;
  if (dataflow === 'is') {
    // Row folds over K, transposed (N x R each), stacked, by diagonals.
    return { rows: plan.rowFolds * N, cols: R, diag: true, valid: (i, j) => Math.floor(i / N) * R + j < K };
  }
  // OS (by diagonals) and WS (row by row): column folds over N (K x C each), stacked.
  return { rows: plan.colFolds * K, cols: C, diag: dataflow === 'os', valid: (i, j) => Math.floor(i / K) * C + j < N };
}

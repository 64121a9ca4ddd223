/**
 * Where each operand cell sits in SCALE-Sim v2's USER-mode prefetch order, and so in which of the
 * read buffer's "sets" (compute/systolic_compute_{os,ws,is}.create_*_prefetch_mat,
 * memory/read_buffer.prepare_hashed_buffer).
 *
 * Each operand's prefetch matrix stacks its per-fold slices (padded to the array with -1) and is
 * read either by anti-diagonals (row from high to low) or row by row. The valid cells, in that
 * order, are cut into sets of ceil(buffer words / 100) — a final, possibly empty, set included.
 * A demand line of a fold always reads a run of one diagonal or one row, in increasing prefetch
 * order, so a line's valid cells have consecutive ranks and its sets are a range.
 *
 * Conv ifmaps with overlapping windows hold one address in several cells (and sets); a read hits
 * when any of them is in the active window, so `occurrences` lists them from the geometry.
 * Invalid cells are the padding (a rectangle, `padRow`/`padCol`) and, for ifmaps whose last
 * windows hang over the edge, the out-of-bounds taps that `outOfBounds` enumerates.
 */

import type { ConvShape, FoldPlan } from './gemm-model.ts';

export interface RingGeometry {
  rows: number;
  cols: number;
  /** Prefetch order: by anti-diagonals (true) or row-major (false). */
  diag: boolean;
  /** The -1 padding: columns >= padCol of the rows >= padRow (the last fold's slice). */
  padRow: number;
  padCol: number;
  valid(i: number, j: number): boolean;
}

/** The ifmap address of GEMM cell (m, k) under operand_matrix's conv mapping, or -1 out of bounds. */
export class IfmapCells {
  readonly eh: number;
  readonly ew: number;
  readonly K: number;
  /** Every in-bounds address is held by exactly one cell (windows do not overlap). */
  readonly injective: boolean;
  /** Every cell is in bounds (SCALE-Sim's ceil output size adds no partial window). */
  readonly allInBounds: boolean;
  // Top-left ifmap row / column of each window m, and the offset of each tap k in it.
  private readonly winY: Int32Array;
  private readonly winX: Int32Array;
  private readonly tapY: Int32Array;
  private readonly tapX: Int32Array;

  constructor(readonly conv: ConvShape) {
    const { filterH: fh, filterW: fw, channels: ch, strideH: sh, strideW: sw } = conv;
    this.eh = Math.ceil((conv.ifmapH - fh + sh) / sh);
    this.ew = Math.ceil((conv.ifmapW - fw + sw) / sw);
    this.K = fh * fw * ch;
    this.injective = (fh <= sh || this.eh === 1) && (fw <= sw || this.ew === 1);
    this.allInBounds = (this.eh - 1) * sh + fh <= conv.ifmapH && (this.ew - 1) * sw + fw <= conv.ifmapW;
    const M = this.eh * this.ew;
    this.winY = new Int32Array(M);
    this.winX = new Int32Array(M);
    for (let m = 0; m < M; m++) {
      const oy = Math.floor(m / this.ew);
      this.winY[m] = oy * sh;
      this.winX[m] = (m - oy * this.ew) * sw;
    }
    this.tapY = new Int32Array(this.K);
    this.tapX = new Int32Array(this.K);
    for (let k = 0; k < this.K; k++) {
      const cRow = Math.floor(k / (fw * ch));
      this.tapY[k] = cRow;
      this.tapX[k] = Math.floor((k - cRow * fw * ch) / ch);
    }
  }

  inBounds(m: number, k: number): boolean {
    return this.allInBounds || (this.winY[m]! + this.tapY[k]! < this.conv.ifmapH && this.winX[m]! + this.tapX[k]! < this.conv.ifmapW);
  }

  /** Cell (m2, k2) exists, is in bounds and holds the address of in-bounds cell (m, k). */
  sameAddress(m: number, k: number, m2: number, k2: number): boolean {
    if (m2 < 0 || k2 < 0 || m2 >= this.winY.length || k2 >= this.K || !this.inBounds(m2, k2)) return false;
    const ch = this.conv.channels;
    return k % ch === k2 % ch && this.winY[m]! + this.tapY[k]! === this.winY[m2]! + this.tapY[k2]! && this.winX[m]! + this.tapX[k]! === this.winX[m2]! + this.tapX[k2]!;
  }

  /** Calls back (m, k) for every out-of-bounds cell (taps of the windows hanging over the edge). */
  outOfBounds(each: (m: number, k: number) => void): void {
    if (this.allInBounds) return;
    const { filterH: fh, filterW: fw, channels: ch, strideH: sh, strideW: sw, ifmapH: H, ifmapW: W } = this.conv;
    for (let oy = 0; oy < this.eh; oy++) {
      const overY = oy * sh + fh > H;
      // Only the last windows of a row can hang over the right edge.
      for (let ox = overY ? 0 : Math.max(0, Math.ceil((W - fw + 1) / sw)); ox < this.ew; ox++) {
        for (let cy = 0; cy < fh; cy++) {
          for (let cx = 0; cx < fw; cx++) {
            if (oy * sh + cy < H && ox * sw + cx < W) continue;
            for (let c = 0; c < ch; c++) each(oy * this.ew + ox, (cy * fw + cx) * ch + c);
          }
        }
      }
    }
  }

  /**
   * Sets [shiftLo, shiftHi] to the shifts t for which (m, k + t) and (m2, k2 + t) — or, `alongTaps` false,
   * (m + t, k) and (m2 + t, k2) — still hold one address, given that (m, k) and (m2, k2) do. A
   * copy in the same filter column (window column) stays one as long as both cells exist; any
   * other only while the tap (window) stays in its filter row (output row).
   */
  shiftRange(m: number, k: number, m2: number, k2: number, alongTaps: boolean): void {
    const { filterW: fw, channels: ch } = this.conv;
    if (alongTaps) {
      const q = k % (fw * ch);
      const dx = Math.floor(q / ch) - Math.floor((k2 % (fw * ch)) / ch);
      if (dx === 0) {
        this.shiftLo = -Math.min(k, k2);
        this.shiftHi = this.K - 1 - Math.max(k, k2);
      } else {
        this.shiftLo = Math.max(0, dx) * ch - q;
        this.shiftHi = Math.min(fw, fw + dx) * ch - 1 - q;
      }
      return;
    }
    const ox = m % this.ew;
    const ox2 = m2 % this.ew;
    // A copy d > 0 windows to the right pairs the cell of window column x with the copy in
    // window column x + d, which breaks only for x >= ew - d: when those cells all hang over the
    // right edge they are never read, and the pairing resumes on the next output row.
    const d = ox2 - ox;
    if (ox === ox2 || (d > 0 && (this.ew - d) * this.conv.strideW + Math.floor((k % (fw * ch)) / ch) >= this.conv.ifmapW)) {
      const M = this.eh * this.ew;
      this.shiftLo = -Math.min(m, m2);
      this.shiftHi = M - 1 - Math.max(m, m2);
      // A copy further down has no partner for the last cells, but when they all hang over the
      // bottom edge they are never read either.
      if (m2 > m && Math.floor((M - m2 + m) / this.ew) * this.conv.strideH + Math.floor(k / (fw * ch)) >= this.conv.ifmapH) this.shiftHi = M - 1 - m;
    } else {
      this.shiftLo = -Math.min(ox, ox2);
      this.shiftHi = this.ew - 1 - Math.max(ox, ox2);
    }
  }

  /** shiftRange's answer (kept here rather than allocated: it runs once per copy examined). */
  shiftLo = 0;
  shiftHi = 0;

  /**
   * Writes (m', k') pairs for every cell holding the same address as (m, k), itself included,
   * into `out` (room for 2 * filterH * filterW numbers); returns how many pairs.
   */
  occurrences(m: number, k: number, out: Float64Array): number {
    const { filterH: fh, filterW: fw, channels: ch, strideH: sh, strideW: sw } = this.conv;
    const oy = Math.floor(m / this.ew);
    const ox = m - oy * this.ew;
    const cRow = Math.floor(k / (fw * ch));
    const rest = k - cRow * fw * ch;
    const cCol = Math.floor(rest / ch);
    const c = rest - cCol * ch;
    const py = oy * sh + cRow;
    const px = ox * sw + cCol;
    let n = 0;
    for (let cy = py % sh; cy < fh && cy <= py; cy += sh) {
      const y = (py - cy) / sh;
      if (y >= this.eh) continue;
      for (let cx = px % sw; cx < fw && cx <= px; cx += sw) {
        const x = (px - cx) / sw;
        if (x >= this.ew) continue;
        out[n++] = y * this.ew + x;
        out[n++] = (cy * fw + cx) * ch + c;
      }
    }
    return n / 2;
  }
}

/**
 * Prefetch geometry of the ifmap and the mapping of GEMM cells (m, k) into it: slices of
 * `blockH` rows and `blockW` columns, cut along m (`byM`: row = k) or along k (row = m).
 */
export interface IfmapGeometry extends RingGeometry {
  byM: boolean;
  blockW: number;
  blockH: number;
}

export function ifmapGeometry(plan: FoldPlan, cells: IfmapCells): IfmapGeometry {
  const { arrayRows: R, arrayCols: C, dataflow } = plan;
  const { M, K } = plan.gemm;
  if (dataflow === 'os') {
    // Row folds of the transposed ifmap (K x R each), stacked, by diagonals.
    return {
      rows: plan.rowFolds * K, cols: R, diag: true, byM: true, blockW: R, blockH: K,
      padRow: (plan.rowFolds - 1) * K, padCol: M - (plan.rowFolds - 1) * R,
      valid: (i, j) => {
        const fr = Math.floor(i / K);
        const m = fr * R + j;
        return m < M && cells.inBounds(m, i - fr * K);
      },
    };
  }
  if (dataflow === 'ws') {
    // Row folds over K of the M x K ifmap (M x R each), stacked, by diagonals.
    return {
      rows: plan.rowFolds * M, cols: R, diag: true, byM: false, blockW: R, blockH: M,
      padRow: (plan.rowFolds - 1) * M, padCol: K - (plan.rowFolds - 1) * R,
      valid: (i, j) => {
        const fr = Math.floor(i / M);
        const k = fr * R + j;
        return k < K && cells.inBounds(i - fr * M, k);
      },
    };
  }
  // IS: column folds over M of the transposed ifmap (K x C each), stacked, row by row.
  return {
    rows: plan.colFolds * K, cols: C, diag: false, byM: true, blockW: C, blockH: K,
    padRow: (plan.colFolds - 1) * K, padCol: M - (plan.colFolds - 1) * C,
    valid: (i, j) => {
      const fc = Math.floor(i / K);
      const m = fc * C + j;
      return m < M && cells.inBounds(m, i - fc * K);
    },
  };
}

/** Prefetch-matrix row of GEMM cell (m, k) of the ifmap. */
export function ifmapRow(g: IfmapGeometry, m: number, k: number): number {
  const f = Math.floor((g.byM ? m : k) / g.blockW);
  return f * g.blockH + (g.byM ? k : m);
}

/** Prefetch-matrix column of GEMM cell (m, k) of the ifmap. */
export function ifmapCol(g: IfmapGeometry, m: number, k: number): number {
  const mk = g.byM ? m : k;
  return mk - Math.floor(mk / g.blockW) * g.blockW;
}

/** Prefetch geometry of the filter (K x N, every address distinct). */
export function filterGeometry(plan: FoldPlan): RingGeometry {
  const { arrayRows: R, arrayCols: C, dataflow } = plan;
  const { N, K } = plan.gemm;
  if (dataflow === 'is') {
    // Row folds over K, transposed (N x R each), stacked, by diagonals.
    return {
      rows: plan.rowFolds * N, cols: R, diag: true, padRow: (plan.rowFolds - 1) * N, padCol: K - (plan.rowFolds - 1) * R,
      valid: (i, j) => Math.floor(i / N) * R + j < K,
    };
  }
  // OS (by diagonals) and WS (row by row): column folds over N (K x C each), stacked.
  return {
    rows: plan.colFolds * K, cols: C, diag: dataflow === 'os', padRow: (plan.colFolds - 1) * K, padCol: N - (plan.colFolds - 1) * C,
    valid: (i, j) => Math.floor(i / K) * C + j < N,
  };
}

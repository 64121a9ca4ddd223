/**
 * Set numbers of SCALE-Sim v2's USER-mode read buffers in closed form (memory/read_buffer.
 * prepare_hashed_buffer): a cell's set is its rank among the valid cells of the prefetch order,
 * divided by the set size. The rank is the cell's position in that order less the invalid cells
 * before it: the padding rectangle (counted by arithmetic) and the out-of-bounds taps of windows
 * hanging over the ifmap's edge (few: a sorted list of their positions). No per-cell array.
 */

import type { RingGeometry } from './scalesim-user-layout.ts';

/** Sum over j in [j0, j1] of min(h, max(0, x - j)). */
export function sumClamp(x: number, j0: number, j1: number, h: number): number {
  if (j1 < j0 || h <= 0) return 0;
  const fullEnd = Math.min(j1, x - h);
  let s = fullEnd >= j0 ? (fullEnd - j0 + 1) * h : 0;
  const a = Math.max(j0, x - h + 1);
  const b = Math.min(j1, x - 1);
  if (b >= a) s += ((2 * x - a - b) * (b - a + 1)) / 2;
  return s;
}

export class SetIndex {
  readonly cells: number;
  readonly numSets: number;
  private readonly padH: number;
  /** Sorted positions of the out-of-bounds cells. */
  private readonly oob: Int32Array | Float64Array;

  constructor(
    readonly g: RingGeometry,
    readonly perSet: number,
    outOfBounds: (each: (i: number, j: number) => void) => void = () => {},
  ) {
    const { rows, cols } = g;
    this.cells = rows * cols;
    this.padH = g.padCol < cols ? rows - g.padRow : 0;
    const oob: number[] = [];
    outOfBounds((i, j) => oob.push(this.pos(i, j)));
    // Int32Array sorts about twice as fast; positions need not fit one on huge layers.
    this.oob = (this.cells <= 0x7fffffff ? Int32Array : Float64Array).from(oob).sort();
    const validCells = this.cells - this.padH * (cols - g.padCol) - oob.length;
    // prepare_hashed_buffer always closes with the (possibly empty) set in progress.
    this.numSets = Math.floor(validCells / perSet) + 1;
  }

  /** Index of cell (i, j) in the prefetch order, padding included. */
  pos(i: number, j: number): number {
    const { rows, cols } = this.g;
    if (!this.g.diag) return i * cols + j;
    const d = i + j;
    return sumClamp(d, 0, cols - 1, rows) + Math.min(d, rows - 1) - i;
  }

  /** Valid cells before (i, j) in the prefetch order. */
  rankBefore(i: number, j: number): number {
    return this.rank(i, j, false);
  }

  /** Valid cells up to and including (i, j). */
  rankThrough(i: number, j: number): number {
    return this.rank(i, j, true);
  }

  private rank(i: number, j: number, through: boolean): number {
    const p = this.pos(i, j);
    let invalid = 0;
    let self = 0;
    if (this.padH > 0) {
      const { rows, cols, padRow: r0, padCol: c0 } = this.g;
      if (i >= r0 && j >= c0) self = 1;
      if (this.g.diag) {
        const d = i + j;
        invalid = sumClamp(d - r0, c0, cols - 1, this.padH) + Math.max(0, Math.min(rows - 1, d - c0) - Math.max(i + 1, r0, d - cols + 1) + 1);
      } else if (i >= r0) {
        invalid = (i - r0) * (cols - c0) + Math.max(0, j - c0);
      }
    }
    const oob = this.oob;
    if (oob.length > 0) {
      let lo = 0;
      let hi = oob.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (oob[mid]! < p) lo = mid + 1;
        else hi = mid;
      }
      invalid += lo;
      if (oob[lo] === p) self = 1;
    }
    return p - invalid + (through ? 1 - self : 0);
  }

  /** The set of cell (i, j); of the next valid cell for an invalid one. */
  set(i: number, j: number): number {
    return Math.floor(this.rankBefore(i, j) / this.perSet);
  }
}

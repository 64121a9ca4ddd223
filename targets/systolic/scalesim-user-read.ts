/**
 * One read buffer of SCALE-Sim v2's USER mode seen from the demand lines: what a line costs in
 * refills (closed form when every cell has its own address; cell by cell, with certificates, for
 * conv ifmaps whose windows overlap), and how many of the following lines of a fold cannot refill
 * at all, found by galloping over the lines' last ranks, so that the walk can skip them.
 */

import { ReadRing } from './scalesim-user-buffers.ts';
import { ifmapCol, ifmapRow, type IfmapCells, type IfmapGeometry } from './scalesim-user-layout.ts';
import type { SetIndex } from './scalesim-user-sets.ts';

/** One operand's read ring plus how a demand line's cells map into it. */
export class ReadSide {
  readonly ring: ReadRing;
  private readonly perSet: number;

  constructor(
    private readonly sets: SetIndex,
    words: number,
    bw: number,
    private readonly ifmap?: { geo: IfmapGeometry; cells: IfmapCells; alongTaps: boolean },
  ) {
    this.ring = new ReadRing(sets.numSets, sets.cells, words, bw);
    this.perSet = sets.perSet;
    const cols = sets.g.cols;
    this.certAt = new Float64Array(cols).fill(-1);
    this.certLo = new Float64Array(cols);
    this.certHi = new Float64Array(cols).fill(-1);
    this.missAt = new Float64Array(cols).fill(-1);
    this.missRow = new Float64Array(cols);
    this.missRefills = new Float64Array(cols);
    this.occ = new Float64Array(ifmap ? 2 * ifmap.cells.conv.filterH * ifmap.cells.conv.filterW : 0);
  }

  private readonly occ: Float64Array;

  // Per column of the prefetch matrix: rows certified to hit while the window has not moved
  // since `certAt` refills.
  private readonly certAt: Float64Array;
  private readonly certLo: Float64Array;
  private readonly certHi: Float64Array;
  // Per column: the cell last found to need refills (row, how many) while the ring had refilled
  // missAt times.
  private readonly missAt: Float64Array;
  private readonly missRow: Float64Array;
  private readonly missRefills: Float64Array;

  /**
   * Refills before some cell holding the address of (i, j) is in the window. On a hit, also
   * certifies the cells after it in column j (rows i + dir, i + 2 dir, ..., the way later lines
   * move) that hit through a copy shifted the same way, while that copy stays in the window:
   * a row step moves a cell at most `cols` places in the prefetch order, so at most `cols` ranks.
   */
  private refillsToHit(i: number, j: number, dir: number): number {
    if (this.missAt[j] === this.ring.refills && this.missRow[j] === i) return this.missRefills[j]!;
    const f = this.ifmap!;
    const { byM, blockW: bw, blockH: bh } = f.geo;
    const cols = this.sets.g.cols;
    const fi = Math.floor(i / bh);
    const m = byM ? fi * bw + j : i - fi * bh;
    const k = byM ? i - fi * bh : fi * bw + j;
    this.refills = Infinity;
    // The cell itself first: in the window it often certifies far enough on its own.
    let reach = this.copyReach(m, k, m, k, i, j, dir);
    // Then the copy at the offset that certified last: the windows' geometry repeats, so it
    // usually does again, and the others need not be looked at.
    const { dm, dk } = this;
    const tried = dm !== 0 || dk !== 0;
    if (reach < cols && tried && f.cells.sameAddress(m, k, m + dm, k + dk)) {
      reach = Math.max(reach, this.copyReach(m, k, m + dm, k + dk, ifmapRow(f.geo, m + dm, k + dk), ifmapCol(f.geo, m + dm, k + dk), dir));
    }
    if (reach < cols) {
      const occ = this.occ;
      const n = f.cells.occurrences(m, k, occ);
      for (let o = 0; o < n; o++) {
        const m2 = occ[2 * o]!;
        const k2 = occ[2 * o + 1]!;
        if ((m2 === m && k2 === k) || (tried && m2 === m + dm && k2 === k + dk)) continue;
        const r = this.copyReach(m, k, m2, k2, ifmapRow(f.geo, m2, k2), ifmapCol(f.geo, m2, k2), dir);
        if (r > reach) {
          reach = r;
          this.dm = m2 - m;
          this.dk = k2 - k;
        }
        // A certificate as long as a fold's stationary block: looking further costs more ranks
        // than the lines it would save.
        if (reach >= cols) break;
      }
    }
    if (this.refills === 0) {
      this.certAt[j] = this.ring.refills;
      this.certLo[j] = dir > 0 ? i : i - reach;
      this.certHi[j] = dir > 0 ? i + reach : i;
    } else {
      // Remembered: the line that reads this cell asks again, unless the window moved first.
      this.missAt[j] = this.ring.refills;
      this.missRow[j] = i;
      this.missRefills[j] = this.refills;
    }
    return this.refills;
  }

  // Offset (m2 - m, k2 - k) of the copy that last gave the longest certificate.
  private dm = 0;
  private dk = 0;

  /** The least refills to bring a copy into the window, over the copies copyReach looked at. */
  private refills = Infinity;

  /**
   * How many rows past cell (m, k) (at prefetch (i, j)) its copy (m2, k2) (at (i2, j2)) keeps
   * certifying it, moving the way lines do; -1 (and `refills` lowered) when that copy is out of
   * the window.
   */
  private copyReach(m: number, k: number, m2: number, k2: number, i2: number, j2: number, dir: number): number {
    const { ring, sets, perSet } = this;
    const f = this.ifmap!;
    const r2 = sets.rankBefore(i2, j2);
    const s2 = Math.floor(r2 / perSet);
    if (!ring.inWindow(s2)) {
      this.refills = Math.min(this.refills, ring.refillsTo(s2));
      return -1;
    }
    this.refills = 0;
    f.cells.shiftRange(m, k, m2, k2, f.alongTaps);
    const cols = sets.g.cols;
    return dir > 0
      ? Math.min(f.cells.shiftHi, Math.floor((ring.runHi(s2) * perSet - 1 - r2) / cols))
      : Math.min(-f.cells.shiftLo, Math.floor((r2 - ring.runLo(s2) * perSet) / cols));
  }

  /**
   * Reads cells j in [lo, hi] of diagonal `a` (cell (a - j, j)) or of row `a` (cell (a, j)),
   * in that order, at `cycle`; returns the interface's stall.
   */
  line(cycle: number, diag: boolean, a: number, lo: number, hi: number): number {
    if (lo > hi) return 0;
    const { sets, ring, perSet } = this;
    const g = sets.g;
    // The valid cells of a run of the prefetch order have consecutive ranks.
    const r0 = diag ? sets.rankBefore(a - lo, lo) : sets.rankBefore(a, lo);
    const r1 = sets.rankThrough(diag ? a - hi : a, hi);
    if (r1 <= r0) return 0;
    const s0 = Math.floor(r0 / perSet);
    const s1 = Math.floor((r1 - 1) / perSet);
    if (ring.rangeInWindow(s0, s1)) return 0;
    const before = ring.refills;
    if (!this.ifmap || this.ifmap.cells.injective) {
      ring.refill(ring.refillsToCover(s0, s1));
    } else {
      // A cell whose own set is out of the window may still hit through another copy.
      // Diagonal lines move down their columns from line to line, row lines (is loads) up.
      const dir = diag ? 1 : -1;
      // Demand lines never reach the padding, so only windows over the edge have invalid cells.
      const allValid = this.ifmap.cells.allInBounds;
      let rank = r0;
      for (let j = lo; j <= hi; j++) {
        const i = diag ? a - j : a;
        if (!allValid && !g.valid(i, j)) continue;
        const s = Math.floor(rank++ / perSet);
        if (ring.inWindow(s)) continue;
        if (this.certAt[j] === ring.refills && i >= this.certLo[j]! && i <= this.certHi[j]!) continue;
        ring.refill(this.refillsToHit(i, j, dir));
      }
    }
    return ring.refills > before ? Math.max(0, ring.last - cycle - 1) : 0;
  }

  /**
   * The first t' in [t, tEnd) at which the diagonal line of step t' — cells (a0 + t' - j, j) for
   * j in [max(0, t' - S + 1), min(w - 1, t')] — may need a refill; tEnd if none can. Lines of a
   * fold read ever later cells, so while the window stays put the answer is the first line whose
   * last rank leaves the window's run holding the current line's first set.
   */
  quietDiag(a0: number, S: number, w: number, t: number, tEnd: number): number {
    if (t >= tEnd) return tEnd;
    const { sets, ring, perSet } = this;
    const lo = Math.max(0, t - S + 1);
    const s0 = Math.floor(sets.rankBefore(a0 + t - lo, lo) / perSet);
    if (!ring.inWindow(s0)) return this.certifiedDiag(a0, S, w, t, tEnd);
    const limit = ring.runHi(s0) * perSet;
    const r = this.lastRank(a0, w, t);
    if (r > limit) return this.certifiedDiag(a0, S, w, t, tEnd);
    // A line's last cell is at most cols + 1 places after the previous line's: start the
    // search past the lines that cannot reach the limit.
    let good = Math.min(tEnd - 1, t + Math.floor((limit - r) / (sets.g.cols + 1)));
    let bad = tEnd;
    for (let step = 1; good + step < tEnd; step *= 2) {
      if (this.lastRank(a0, w, good + step) > limit) {
        bad = good + step;
        break;
      }
      good += step;
    }
    while (bad - good > 1) {
      const mid = Math.floor((good + bad) / 2);
      if (this.lastRank(a0, w, mid) > limit) bad = mid;
      else good = mid;
    }
    return bad;
  }

  /**
   * The first step t' >= t whose diagonal line has a cell no certificate covers (see
   * refillsToHit); t when the side has none (every cell its own address).
   */
  private certifiedDiag(a0: number, S: number, w: number, t: number, tEnd: number): number {
    if (!this.ifmap || this.ifmap.cells.injective) return t;
    const now = this.ring.refills;
    let end = tEnd;
    // Column j is on the lines of steps max(j, ...) onwards; later columns join later.
    for (let j = Math.max(0, t - S + 1); j < w; j++) {
      const enter = Math.max(t, j);
      if (enter >= end) break;
      let row = a0 + enter - j;
      if (this.certAt[j] !== now || row < this.certLo[j]! || row > this.certHi[j]!) {
        // Cells hanging over the ifmap's edge are never read: the column's next read cell counts.
        while (row < a0 + S && !this.sets.g.valid(row, j)) row++;
        if (row >= a0 + S) continue;
        // A certificate holds for as long as the window stays put, so one found now for a
        // column's next cell (even a column no line has reached yet) spares stepping that line.
        // Not for a cell in its own set's window: that one certifies little past the window's
        // end, and stepping its line is cheaper than looking at all its copies line by line.
        const certified = this.certAt[j] === now && row >= this.certLo[j]! && row <= this.certHi[j]!;
        if (!certified && (this.ring.inWindow(Math.floor(this.sets.rankBefore(row, j) / this.perSet)) || this.refillsToHit(row, j, 1) > 0)) {
          end = Math.min(end, row - a0 + j);
          continue;
        }
      }
      end = Math.min(end, this.certHi[j]! - a0 + j + 1);
    }
    return end;
  }

  /** How many rows row, row - 1, ... have every column of [0, w) certified. */
  certifiedRows(row: number, w: number): number {
    if (!this.ifmap || this.ifmap.cells.injective) return 0;
    const now = this.ring.refills;
    let top = -Infinity;
    for (let j = 0; j < w; j++) {
      if (this.certAt[j] !== now || row < this.certLo[j]! || row > this.certHi[j]!) return 0;
      top = Math.max(top, this.certLo[j]!);
    }
    return row - top + 1;
  }

  /** Valid cells up to the last one of the diagonal line of step t. */
  private lastRank(a0: number, w: number, t: number): number {
    const h = Math.min(w - 1, t);
    return this.sets.rankThrough(a0 + t - h, h);
  }

  /** Whether the cells of rows [top, bottom] (row-major order) are all in the window. */
  rowsInWindow(top: number, bottom: number): boolean {
    const { sets, perSet } = this;
    const r0 = sets.rankBefore(top, 0);
    const r1 = sets.rankThrough(bottom, sets.g.cols - 1);
    return r1 <= r0 || this.ring.rangeInWindow(Math.floor(r0 / perSet), Math.floor((r1 - 1) / perSet));
  }
}

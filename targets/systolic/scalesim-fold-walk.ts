/**
 * Exact epoch accounting for the folds of a conv ifmap whose windows overlap, so that one
 * address is read by several cells and whether a read hits depends on the order of the stream.
 *
 * OS and IS folds have few units (output pixels) that all sweep their taps on the same lines:
 * they are committed in stream order, a band of lines at a time (walkByLines). WS folds have
 * every output pixel as a unit, each sweeping a few taps: they are committed a block of units
 * at a time (a block of whole units is a rectangle of cells, i.e. a few address runs), blind
 * while the block cannot reach the end of the epoch, galloping near it; a block that crosses is
 * narrowed to the unit that crosses, which bounds the lines where the epoch ends; those lines
 * are narrowed with scratch probes of the units overlapping them (endEpoch). Either way the last
 * few lines are walked cell by cell, and the next epoch starts at the following cell.
 */

import { Segments, type FoldUnits } from './scalesim-fold-units.ts';
import { FoldRegion } from './scalesim-fold-region.ts';

export { isFold, osFold, wsFold, type FoldUnits } from './scalesim-fold-units.ts';

export class FoldWalker extends FoldRegion {
  /** Below this many cells in the bounding lines, find the epoch end by walking them directly. */
  static walkCells = 512;
  private readonly segs = new Segments();

  walk(f: FoldUnits): void {
    this.f = f;
    this.posLine = 0;
    this.posCol = 0;
    if (f.colIsUnit) {
      this.walkByLines();
      return;
    }
    while (!this.attempt()) {
      /* each failed attempt ended an epoch inside the fold; go on from there */
    }
  }

  /**
   * OS and IS folds: few units (at most R or C), each sweeping many taps on the same lines, so
   * the stream is committed in bands of whole lines, in order. A line adds at most `cols` new
   * words, so the first band is as long as cannot end the epoch; bands then double until one
   * crosses, which is rolled back and bisected down to a few lines, walked cell by cell.
   */
  private walkByLines(): void {
    const { f, bits } = this;
    const cols = f.units;
    const lastLine = f.startBase + f.startSlope * (f.units - 1) + f.sweep - 1;
    let x = -1; // lines up to x are committed
    for (;;) {
      let step = Math.max(1, Math.floor((bits.epochSize - bits.fresh - 1) / cols));
      let y = x;
      // Gallop until a band would end the epoch.
      for (;;) {
        if (x >= lastLine) return;
        y = Math.min(lastLine, x + step);
        bits.clearUndo();
        const n = this.band(x + 1, y);
        if (bits.fresh + n < bits.epochSize) {
          bits.fresh += n;
          x = y;
          step = Math.max(2 * step, Math.floor((bits.epochSize - bits.fresh - 1) / cols));
          continue;
        }
        bits.rollback(0);
        break;
      }
      // The epoch ends on a line in (x, y]: bisect, then walk.
      while (y - x > 1 && (y - x) * cols > FoldWalker.walkCells) {
        const mid = x + Math.floor((y - x) / 2);
        bits.clearUndo();
        const n = this.band(x + 1, mid);
        if (bits.fresh + n < bits.epochSize) {
          bits.fresh += n;
          x = mid;
        } else {
          bits.rollback(0);
          y = mid;
        }
      }
      let line = x + 1;
      let col = -1;
      for (; line <= y && col < 0; line++) {
        for (let c = line === this.posLine ? this.posCol : 0; c < cols; c++) {
          const j = line - this.start(c);
          if (j < 0 || j >= f.sweep) continue;
          const addr = this.addrAt(c, j);
          if (addr < 0 || !bits.commitOne(addr)) continue;
          if (++bits.fresh === bits.epochSize) {
            col = c;
            break;
          }
        }
      }
      line--;
      if (col < 0) throw new Error('scalesim fold walk: epoch boundary not found on its lines');
      bits.reset();
      this.posLine = line;
      this.posCol = col + 1;
      x = line - 1;
    }
  }

  /** Commits the cells on lines x0..x1 at or after the restart position; returns the new words. */
  private band(x0: number, x1: number): number {
    const f = this.f;
    const uA = f.startSlope === 1 ? Math.max(0, x0 - f.startBase - f.sweep + 1) : 0;
    const uB = f.startSlope === 1 ? Math.min(f.units, Math.max(uA, x1 - f.startBase + 1)) : f.startBase <= x1 ? f.units : 0;
    return this.emitRegion(uA, uB, x0, x1, false);
  }

  /** Commits the rest of the fold; false if it crossed an epoch boundary (then handled). */
  private attempt(): boolean {
    const { f, bits, segs } = this;
    const J = f.sweep;
    const target = bits.epochSize - bits.fresh;
    bits.clearUndo();
    segs.length = 0;
    let cum = 0;
    let hit = -1;
    const first = f.startSlope === 1 ? Math.max(0, this.posLine - f.startBase - J + 1) : 0;
    let u = first;
    // Units already under way at the restart position form a prefix: commit it as one
    // staircase, or, if that would end the epoch, one unit at a time.
    let whole = first;
    while (whole < f.units && this.sweepFrom(whole, this.posLine, this.posCol) !== 0) whole++;
    if (whole > first) {
      const mark = bits.undoMark;
      const n = this.emitRegion(first, whole, -1, Infinity, false);
      if (n < target) {
        segs.push(first, whole, mark, 0);
        cum = n;
        u = whole;
      } else bits.rollback(mark);
    }
    for (; u < whole; u++) {
      const j0 = this.sweepFrom(u, this.posLine, this.posCol);
      if (j0 >= J) continue;
      segs.push(u, u + 1, bits.undoMark, cum);
      cum += this.emit(u, u + 1, j0, J, false);
      if (cum >= target) {
        hit = u;
        break;
      }
    }
    // The remaining units are whole. A unit adds at most J new words, so the next
    // floor((room - 1) / J) units cannot end the epoch: commit them blind. Closer to the end,
    // gallop (1, 2, 4, ... units) until a step crosses, then narrow that step to one unit.
    let gallop = 1;
    while (hit < 0 && u < f.units) {
      const room = target - cum;
      const safe = Math.floor((room - 1) / J);
      if (safe >= 1) {
        // Commit the bulk and the last J + 2 units as separate segments: an epoch boundary
        // found later never needs to roll back further than J + 1 units before it.
        const v = Math.min(f.units, u + safe);
        const w = Math.max(u, v - J - 2);
        if (w > u) {
          // Never rolled back (the boundary is at or after unit v), so not logged.
          segs.push(u, w, -1, cum);
          bits.logging = false;
          cum += this.emit(u, w, 0, J, false);
          bits.logging = true;
        }
        segs.push(w, v, bits.undoMark, cum);
        cum += this.emit(w, v, 0, J, false);
        u = v;
        continue;
      }
      const v = Math.min(f.units, u + gallop);
      const mark = bits.undoMark;
      const n = this.emit(u, v, 0, J, false);
      if (cum + n < target) {
        segs.push(u, v, mark, cum);
        cum += n;
        u = v;
        gallop *= 2;
        continue;
      }
      // Units [u, b) would bring the count from cum to cb >= target. Cells spread roughly
      // evenly over units, so interpolate; every other guess bisects.
      bits.rollback(mark);
      let b = v;
      let cb = cum + n;
      let bisect = false;
      while (b - u > 1) {
        let mid = bisect ? u + Math.floor((b - u) / 2) : u + Math.floor(((target - cum) * (b - u)) / (cb - cum));
        mid = Math.min(b - 1, Math.max(u + 1, mid));
        bisect = !bisect;
        const m = bits.undoMark;
        const part = this.emit(u, mid, 0, J, false);
        if (cum + part < target) {
          segs.push(u, mid, m, cum);
          cum += part;
          u = mid;
        } else {
          bits.rollback(m);
          b = mid;
          cb = cum + part;
        }
      }
      segs.push(u, u + 1, bits.undoMark, cum);
      cum += this.emit(u, u + 1, 0, J, false);
      hit = u;
    }
    if (hit < 0) {
      bits.fresh += cum;
      return true;
    }
    this.endEpoch(hit, first, target);
    return false;
  }

  /** Finds the cell where the epoch that `hit` completed ends, and starts the next epoch there. */
  private endEpoch(hit: number, first: number, target: number): void {
    const { f, bits, segs } = this;
    const J = f.sweep;
    const pl = this.posLine;
    // Cells on lines before `lo` belong to units before `hit` (fewer than `target` new words);
    // by line `hi` every unit up to `hit` is complete.
    let lo = this.start(hit) + this.sweepFrom(hit, pl, this.posCol);
    for (let u = hit + 1; u < f.units && this.start(u) <= pl + 1; u++) {
      const j0 = this.sweepFrom(u, pl, this.posCol);
      if (j0 < J) lo = Math.min(lo, this.start(u) + j0);
    }
    const hi = this.start(hit) + J - 1;
    let u0 = hit;
    while (u0 > first && this.start(u0 - 1) + J - 1 >= lo) u0--;
    // Keep everything before u0 committed (it all precedes the boundary); undo the rest.
    let s = 0;
    while (segs.u1[s]! <= u0) s++;
    if (segs.mark[s]! < 0) throw new Error('scalesim fold walk: rollback into an unlogged block');
    bits.rollback(segs.mark[s]!);
    let base = segs.cum[s]!;
    base += this.emitRegion(segs.u0[s]!, u0, -1, Infinity, false);
    bits.clearScratch();
    let count = base + this.probeBand(u0, pl, lo - 1);
    const cols = f.colIsUnit ? f.units : J;
    let a = lo;
    if ((hi - lo + 1) * cols > FoldWalker.walkCells) {
      // Narrow [x, y] with P(x) = count < target <= P(y) by probing bands (x, est]: keep a band
      // that stays below the target, roll it back otherwise. New words tend to come early in
      // a fold, so grow the band from x exponentially (a line adds at most `cols` words, which
      // sizes the first step), then bisect the band that crossed.
      let x = lo - 1;
      let y = hi;
      let step = Math.max(1, Math.floor((target - count - 1) / cols));
      let galloping = true;
      while (y - x > 1 && (y - x) * cols > FoldWalker.walkCells) {
        const est = Math.min(y - 1, galloping ? x + step : x + Math.floor((y - x) / 2));
        const mark = bits.scratchMark;
        const n = this.probeBand(u0, x + 1, est);
        if (count + n < target) {
          count += n;
          x = est;
          step *= 2;
        } else {
          bits.rollbackScratch(mark);
          y = est;
          galloping = false;
        }
      }
      a = x + 1;
    }
    // Walk the remaining lines cell by cell.
    let resetCol = -1;
    for (; a <= hi && resetCol < 0; a++) {
      for (let col = a === pl ? this.posCol : 0; col < cols; col++) {
        const u = f.colIsUnit ? col : a - f.startBase - col;
        const j = f.colIsUnit ? a - this.start(u) : col;
        if (u < 0 || u >= f.units || j < 0 || j >= J) continue;
        const addr = this.addrAt(u, j);
        if (addr < 0 || !bits.probeOne(addr)) continue;
        if (++count === target) {
          resetCol = col;
          break;
        }
      }
    }
    a--;
    bits.clearScratch();
    if (resetCol < 0) throw new Error('scalesim fold walk: epoch boundary not found on its line');
    bits.reset();
    this.posLine = a;
    this.posCol = resetCol + 1;
  }

  /** New words (vs. set and scratch) among cells on lines x0..x1 at or after the restart position. */
  private probeBand(u0: number, x0: number, x1: number): number {
    const f = this.f;
    // Units that start on or before line x1.
    const uEnd = f.startSlope === 1 ? Math.min(f.units, Math.max(u0, x1 - f.startBase + 1)) : f.startBase <= x1 ? f.units : u0;
    return this.emitRegion(u0, uEnd, x0, x1, true);
  }
}

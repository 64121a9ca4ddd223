/**
 * A fold being committed: which of its cells lie in a region of lines after the position where
 * the current epoch started, and their address runs.
 */

import type { EpochBitset } from './scalesim-bitset.ts';
import type { FoldUnits } from './scalesim-fold-units.ts';
import type { ConvIfmap } from './scalesim-ifmap-geometry.ts';

export class FoldRegion {
  protected f!: FoldUnits;
  /** Where the current epoch started within the fold. */
  protected posLine = 0;
  protected posCol = 0;
  /** Per-unit tap ranges of a staircase region. */
  private kAs = new Int32Array(64);
  private kBs = new Int32Array(64);

  constructor(
    protected readonly g: ConvIfmap,
    protected readonly bits: EpochBitset,
  ) {}

  protected start(u: number): number {
    return this.f.startBase + this.f.startSlope * u;
  }

  /** First sweep index of unit u at or after position (line, col). */
  protected sweepFrom(u: number, line: number, col: number): number {
    const d = line - this.start(u);
    const j = this.f.colIsUnit ? d + (u < col ? 1 : 0) : d < col ? d + 1 : d;
    return j < 0 ? 0 : j > this.f.sweep ? this.f.sweep : j;
  }

  /** Units [uA, uB), sweep indices [j0, j1). */
  protected emit(uA: number, uB: number, j0: number, j1: number, probe: boolean): number {
    const f = this.f;
    const kA = f.reversed ? f.kLo + f.sweep - j1 : f.kLo + j0;
    const kB = f.reversed ? f.kLo + f.sweep - j0 : f.kLo + j1;
    return this.g.emitRect(f.m0 + uA, f.m0 + uB, kA, kB, this.bits, probe);
  }

  /**
   * Cells of units [uA, uB) at or after the restart position, on lines x0 .. x1: a rectangle
   * when every unit is whole, else a staircase.
   */
  protected emitRegion(uA: number, uB: number, x0: number, x1: number, probe: boolean): number {
    const f = this.f;
    const J = f.sweep;
    const n = uB - uA;
    if (n <= 0) return 0;
    // Starts never decrease with u, so the first unit is the last to begin and the last unit
    // the last to finish: checking them tells whether every unit is whole.
    if (
      this.sweepFrom(uA, this.posLine, this.posCol) === 0 &&
      this.sweepFrom(uA, x0, 0) === 0 &&
      this.sweepFrom(uB - 1, x1 + 1, 0) === J
    ) {
      return this.emit(uA, uB, 0, J, probe);
    }
    if (this.kAs.length < n) {
      this.kAs = new Int32Array(2 * n);
      this.kBs = new Int32Array(2 * n);
    }
    for (let i = 0; i < n; i++) {
      const u = uA + i;
      const j0 = Math.max(this.sweepFrom(u, this.posLine, this.posCol), this.sweepFrom(u, x0, 0));
      const j1 = this.sweepFrom(u, x1 + 1, 0);
      this.kAs[i] = f.reversed ? f.kLo + J - j1 : f.kLo + j0;
      this.kBs[i] = f.reversed ? f.kLo + J - j0 : f.kLo + j1;
    }
    return this.g.emitStair(f.m0 + uA, n, this.kAs, this.kBs, this.bits, probe);
  }

  protected addrAt(u: number, j: number): number {
    const f = this.f;
    return this.g.addr(f.m0 + u, f.reversed ? f.kLo + f.sweep - 1 - j : f.kLo + j);
  }
}

/**
 * SCALE-Sim v2 with a fixed interface bandwidth (InterfaceBandwidth: USER): stall cycles and DRAM
 * traffic of one layer, exactly as memory/double_buffered_scratchpad_mem.service_memory_requests
 * produces them, walked one demand line at a time (not one word at a time).
 *
 * Line i is issued at cycle i + stalls so far. The ifmap and filter read rings and the ofmap write
 * buffer each serve it at that cycle with the whole configured bandwidth (bws[0] for all three);
 * the line's stall is the largest of the three (reads: served - issued - 1, writes: served -
 * issued). Total cycles are the cycle at which the last line's ofmap writes complete.
 * Folds run column fold outer, row fold inner, with the lines of
 * systolic_compute_{os,ws,is}.create_*_demand_mat (see the naive replay in the tests).
 */

import type { ConvShape, FoldPlan } from './gemm-model.ts';
import { ReadRing, WriteBuffer } from './scalesim-user-buffers.ts';
import { filterGeometry, ifmapGeometry, IfmapCells, type IfmapGeometry } from './scalesim-user-layout.ts';
import { SetIndex } from './scalesim-user-sets.ts';

export type Operand = 'ifmap' | 'filter' | 'ofmap';

export interface UserModeStats {
  stallCycles: number;
  totalCycles: number;
  dramIfmapReads: number;
  dramFilterReads: number;
  dramOfmapWrites: number;
  /** Stall cycles charged to each interface (a line's stall goes to the one that waited longest). */
  stallBy: Record<Operand, number>;
}

export interface UserBuffers {
  ifmapWords: number;
  filterWords: number;
  ofmapWords: number;
  bandwidth: number;
}

/** One operand's read ring plus how a demand line's cells map into it. */
class ReadSide {
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
  }

  // Per column of the prefetch matrix: rows certified to hit while the window has not moved
  // since `certAt` refills.
  private readonly certAt: Float64Array;
  private readonly certLo: Float64Array;
  private readonly certHi: Float64Array;

  /**
   * Refills before some cell holding the address of (i, j) is in the window. On a hit, also
   * certifies the cells after it in column j (rows i + dir, i + 2 dir, ..., the way later lines
   * move) that hit through a copy shifted the same way, while that copy stays in the window:
   * a row step moves a cell at most `cols` places in the prefetch order, so at most `cols` ranks.
   */
  private refillsToHit(i: number, j: number, dir: number): number {
    const f = this.ifmap!;
    const { ring, sets, perSet } = this;
    const cols = sets.g.cols;
    const [m, k] = f.geo.cellOf(i, j);
    let refills = Infinity;
    let reach = -1;
    f.cells.occurrences(m, k, (m2, k2) => {
      const [i2, j2] = f.geo.at(m2, k2);
      const r2 = sets.rankBefore(i2, j2);
      const s2 = Math.floor(r2 / perSet);
      if (!ring.inWindow(s2)) {
        refills = Math.min(refills, ring.refillsTo(s2));
        return false;
      }
      refills = 0;
      const [tLo, tHi] = f.cells.shiftRange(m, k, m2, k2, f.alongTaps);
      const r = dir > 0
        ? Math.min(tHi, Math.floor((ring.runHi(s2) * perSet - 1 - r2) / cols))
        : Math.min(-tLo, Math.floor((r2 - ring.runLo(s2) * perSet) / cols));
      reach = Math.max(reach, r);
      return false;
    });
    if (refills === 0) {
      this.certAt[j] = ring.refills;
      this.certLo[j] = dir > 0 ? i : i - reach;
      this.certHi[j] = dir > 0 ? i + reach : i;
    }
    return refills;
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
    const iHi = diag ? a - hi : a;
    const r1 = sets.rankBefore(iHi, hi) + (g.valid(iHi, hi) ? 1 : 0);
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
      let rank = r0;
      for (let j = lo; j <= hi; j++) {
        const i = diag ? a - j : a;
        if (!g.valid(i, j)) continue;
        const s = Math.floor(rank++ / perSet);
        if (ring.inWindow(s)) continue;
        if (this.certAt[j] === ring.refills && i >= this.certLo[j]! && i <= this.certHi[j]!) continue;
        ring.refill(this.refillsToHit(i, j, dir));
      }
    }
    return ring.refills > before ? Math.max(0, ring.last - cycle - 1) : 0;
  }
}

/** Cells of [lo, hi] ∩ [a, b] as a count. */
const overlap = (lo: number, hi: number, a: number, b: number) => Math.max(0, Math.min(hi, b) - Math.max(lo, a) + 1);

export function simulateUserMode(conv: ConvShape, plan: FoldPlan, buf: UserBuffers): UserModeStats {
  const { arrayRows: R, arrayCols: C, dataflow, rowFolds, colFolds, linesPerFold: L } = plan;
  const { M, N, K } = plan.gemm;
  const bw = buf.bandwidth;
  const cells = new IfmapCells(conv);
  const igeo = ifmapGeometry(plan, cells);
  const isets = new SetIndex(igeo, Math.ceil(buf.ifmapWords / 100), (each) => cells.outOfBounds((m, k) => {
    const [i, j] = igeo.at(m, k);
    each(i, j);
  }));
  // The ifmap's prefetch rows are taps (os, is) or windows (ws).
  const ifmap = new ReadSide(isets, buf.ifmapWords, bw, { geo: igeo, cells, alongTaps: dataflow !== 'ws' });
  const filter = new ReadSide(new SetIndex(filterGeometry(plan), Math.ceil(buf.filterWords / 100)), buf.filterWords, bw);
  const ofmap = new WriteBuffer(buf.ofmapWords, bw);
  const T = plan.t;
  let stall = 0;
  let line = 0;
  let lastOut = 0;
  const stallBy = { ifmap: 0, filter: 0, ofmap: 0 };
  for (let fc = 0; fc < colFolds; fc++) {
    for (let fr = 0; fr < rowFolds; fr++) {
      const r0 = fr * R;
      const c0 = fc * C;
      const ru = Math.min(R, plan.sr - r0);
      const cu = Math.min(C, plan.sc - c0);
      for (let l = 0; l < L; l++, line++) {
        const cycle = line + stall;
        let si: number;
        let sf: number;
        let writes: number;
        if (dataflow === 'os') {
          si = ifmap.line(cycle, true, fr * K + l, Math.max(0, l - K + 1), Math.min(ru - 1, l));
          sf = filter.line(cycle, true, fc * K + l, Math.max(0, l - K + 1), Math.min(cu - 1, l));
          writes = overlap(0, cu - 1, l - (K - 1) - (R - 1), l - (K - 1) - (R - ru));
        } else {
          const t = l - R;
          const load = l < R && R - 1 - l < ru ? fc * K + r0 + R - 1 - l : -1;
          if (dataflow === 'ws') {
            si = ifmap.line(cycle, true, fr * M + t, Math.max(0, t - M + 1), Math.min(ru - 1, t));
            sf = load < 0 ? 0 : filter.line(cycle, false, load, 0, cu - 1);
          } else {
            si = load < 0 ? 0 : ifmap.line(cycle, false, load, 0, cu - 1);
            sf = filter.line(cycle, true, fr * N + t, Math.max(0, t - N + 1), Math.min(ru - 1, t));
          }
          writes = overlap(0, cu - 1, l - (2 * R - 1) - (T - 1), l - (2 * R - 1));
        }
        const out = ofmap.line(cycle, writes);
        const so = out - cycle;
        const s = Math.max(si, sf, so);
        if (s > 0) {
          stall += s;
          stallBy[s === si ? 'ifmap' : s === sf ? 'filter' : 'ofmap'] += s;
        }
        lastOut = out;
      }
    }
  }
  return {
    stallCycles: stall,
    totalCycles: lastOut,
    dramIfmapReads: ifmap.ring.reads,
    dramFilterReads: filter.ring.reads,
    dramOfmapWrites: ofmap.finish(),
    stallBy,
  };
}

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
    private readonly ifmap?: { geo: IfmapGeometry; cells: IfmapCells },
  ) {
    this.ring = new ReadRing(sets.numSets, sets.cells, words, bw);
    this.perSet = sets.perSet;
  }

  /** Refills before some cell holding the address of (i, j) is in the window. */
  private refillsToHit(i: number, j: number): number {
    const f = this.ifmap!;
    const [m, k] = f.geo.cellOf(i, j);
    let best = Infinity;
    f.cells.occurrences(m, k, (m2, k2) => {
      const [i2, j2] = f.geo.at(m2, k2);
      best = Math.min(best, this.ring.refillsTo(this.sets.set(i2, j2)));
      return best === 0;
    });
    return best;
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
      let rank = r0;
      for (let j = lo; j <= hi; j++) {
        const i = diag ? a - j : a;
        if (!g.valid(i, j)) continue;
        const s = Math.floor(rank++ / perSet);
        if (!ring.inWindow(s)) ring.refill(this.refillsToHit(i, j));
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
  const ifmap = new ReadSide(isets, buf.ifmapWords, bw, { geo: igeo, cells });
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

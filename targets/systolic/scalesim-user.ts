/**
 * SCALE-Sim v2 with a fixed interface bandwidth (InterfaceBandwidth: USER): stall cycles and DRAM
 * traffic of one layer, exactly as memory/double_buffered_scratchpad_mem.service_memory_requests
 * produces them. The walk jumps over runs of demand lines on which no read buffer refills and
 * the write buffer neither starts nor waits for a drain, and replays the other lines one by one
 * (scalesim-user-read.ts prices a line's reads); the word-by-word replay it must equal is in
 * test/targets/systolic/user-reference/.
 *
 * Line i is issued at cycle i + stalls so far. The ifmap and filter read rings and the ofmap write
 * buffer each serve it at that cycle with the whole configured bandwidth (bws[0] for all three);
 * the line's stall is the largest of the three (reads: served - issued - 1, writes: served -
 * issued). Total cycles are the cycle at which the last line's ofmap writes complete.
 * Folds run column fold outer, row fold inner, with the lines of
 * systolic_compute_{os,ws,is}.create_*_demand_mat (see the naive replay in the tests).
 */

import type { ConvShape, FoldPlan } from './gemm-model.ts';
import { WriteBuffer } from './scalesim-user-buffers.ts';
import { filterGeometry, ifmapCol, ifmapGeometry, IfmapCells, ifmapRow } from './scalesim-user-layout.ts';
import { ReadSide } from './scalesim-user-read.ts';
import { SetIndex, sumClamp } from './scalesim-user-sets.ts';

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

/** The user-mode walk over the folds of one layer: quiet runs of lines at once, others one by one. */
class Walk {
  stall = 0;
  line = 0;
  lastOut = 0;
  readonly stallBy = { ifmap: 0, filter: 0, ofmap: 0 };
  private readonly L: number;
  private readonly R: number;
  // The fold being walked.
  private fc = 0;
  private fr = 0;
  private ru = 0;
  private cu = 0;
  // Line l writes the ofmap cells x in [0, cu) with l - hiLag <= x <= l - loLag.
  private hiLag = 0;
  private loLag = 0;

  constructor(
    private readonly plan: FoldPlan,
    private readonly ifmap: ReadSide,
    private readonly filter: ReadSide,
    private readonly ofmap: WriteBuffer,
  ) {
    this.L = plan.linesPerFold;
    this.R = plan.arrayRows;
  }

  private writesBefore(l: number): number {
    return sumClamp(l - this.loLag, 0, this.cu - 1, this.hiLag - this.loLag + 1);
  }

  /** First line >= l on which the diagonal stream (step t = l - off of a0's diagonals) may refill. */
  private diagQuiet(side: ReadSide, a0: number, S: number, w: number, off: number, l: number): number {
    const tAct = S + w - 1;
    const t = Math.max(0, l - off);
    if (t >= tAct) return this.L;
    const q = side.quietDiag(a0, S, w, t, tAct);
    return q >= tAct ? this.L : q + off;
  }

  // Per read stream: the quiet bound last found and the ring's refill count then (a bound holds
  // until the line it names, or until that ring refills).
  private readonly streams = [-1, -1];
  private readonly streamAt = [0, 0];

  private streamQuiet(n: number, side: ReadSide, a0: number, S: number, w: number, off: number, l: number): number {
    if (this.streamsQuietAt(n, side, l)) return this.streams[n]!;
    this.streamAt[n] = side.ring.refills;
    return (this.streams[n] = this.diagQuiet(side, a0, S, w, off, l));
  }

  /** Stream n's last quiet bound still says line l refills nothing (the line may step for its writes). */
  private streamsQuietAt(n: number, side: ReadSide, l: number): boolean {
    return this.streams[n]! > l && this.streamAt[n] === side.ring.refills;
  }

  private quiet(l: number): number {
    const { dataflow, gemm: { M, N, K } } = this.plan;
    const { fc, fr, ru, cu, R } = this;
    if (dataflow === 'os') return Math.min(this.streamQuiet(0, this.ifmap, fr * K, K, ru, 0, l), this.streamQuiet(1, this.filter, fc * K, K, cu, 0, l));
    // After the loads (walked first, see fold) only one operand streams.
    if (dataflow === 'ws') return this.streamQuiet(0, this.ifmap, fr * M, M, ru, R, l);
    return this.streamQuiet(1, this.filter, fr * N, N, ru, R, l);
  }

  fold(fc: number, fr: number): void {
    const { plan, R, L } = this;
    const K = plan.gemm.K;
    this.fc = fc;
    this.fr = fr;
    this.ru = Math.min(R, plan.sr - fr * R);
    this.cu = Math.min(plan.arrayCols, plan.sc - fc * plan.arrayCols);
    [this.hiLag, this.loLag] = plan.dataflow === 'os' ? [K - 1 + R - 1, K - 1 + R - this.ru] : [2 * R - 1 + plan.t - 1, 2 * R - 1];
    let l = 0;
    if (plan.dataflow !== 'os') {
      // Lines before R only load the stationary operand (rows bottom-up): nothing streams or
      // writes yet, so each load line costs just its own refills.
      const side = plan.dataflow === 'ws' ? this.filter : this.ifmap;
      const key = plan.dataflow === 'ws' ? 'filter' : 'ifmap';
      const base = fc * K + fr * R;
      if (this.ru < R) {
        this.line += R - this.ru;
        this.lastOut = this.line - 1 + this.stall;
      }
      // Rows >= certTop hit through certified copies while the ring has refilled certAt times.
      let certTop = Infinity;
      let certAt = side.ring.refills;
      // Often the whole block of rows is in the window: no load line refills.
      if (side.rowsInWindow(base, base + this.ru - 1)) certTop = -Infinity;
      for (l = R - this.ru; l < R; l++) {
        const cycle = this.line + this.stall;
        const row = base + R - 1 - l;
        if (certAt !== side.ring.refills || row < certTop) {
          const s = side.line(cycle, false, row, 0, this.cu - 1);
          if (s > 0) {
            this.stall += s;
            this.stallBy[key] += s;
          }
          certAt = side.ring.refills;
          certTop = row - side.certifiedRows(row - 1, this.cu);
        }
        this.lastOut = cycle;
        this.line++;
      }
    }
    this.streams[0] = this.streams[1] = -1;
    while (l < L) {
      // Lines that refill nothing and neither start nor wait for a drain: no stall, so only
      // their writes count, stored at once.
      let e = this.quiet(l);
      if (e > l) {
        const [room, until] = this.ofmap.quiet(this.line + this.stall);
        e = Math.min(e, l + (until - this.line - this.stall));
        const w0 = this.writesBefore(l);
        if (this.writesBefore(e) - w0 > room) {
          let good = l;
          let bad = e;
          while (bad - good > 1) {
            const mid = Math.floor((good + bad) / 2);
            if (this.writesBefore(mid) - w0 > room) bad = mid;
            else good = mid;
          }
          e = good;
        }
        if (e > l) {
          this.ofmap.store(this.writesBefore(e) - w0);
          this.line += e - l;
          this.lastOut = this.line - 1 + this.stall;
          // The bound may have been a cell whose certificate can be found now: look again.
          l = e;
          continue;
        }
      }
      this.step(l);
      l++;
    }
  }

  /** Line l of the fold, as the line-by-line replay does it. */
  private step(l: number): void {
    const { plan, R, fc, fr, ru, cu, ifmap, filter } = this;
    const { M, N, K } = plan.gemm;
    const cycle = this.line + this.stall;
    let si: number;
    let sf: number;
    if (plan.dataflow === 'os') {
      si = this.streamsQuietAt(0, ifmap, l) ? 0 : ifmap.line(cycle, true, fr * K + l, Math.max(0, l - K + 1), Math.min(ru - 1, l));
      sf = this.streamsQuietAt(1, filter, l) ? 0 : filter.line(cycle, true, fc * K + l, Math.max(0, l - K + 1), Math.min(cu - 1, l));
    } else {
      const t = l - R;
      const load = l < R && R - 1 - l < ru ? fc * K + fr * R + R - 1 - l : -1;
      if (plan.dataflow === 'ws') {
        si = this.streamsQuietAt(0, ifmap, l) ? 0 : ifmap.line(cycle, true, fr * M + t, Math.max(0, t - M + 1), Math.min(ru - 1, t));
        sf = load < 0 ? 0 : filter.line(cycle, false, load, 0, cu - 1);
      } else {
        si = load < 0 ? 0 : ifmap.line(cycle, false, load, 0, cu - 1);
        sf = this.streamsQuietAt(1, filter, l) ? 0 : filter.line(cycle, true, fr * N + t, Math.max(0, t - N + 1), Math.min(ru - 1, t));
      }
    }
    const out = this.ofmap.line(cycle, this.writesBefore(l + 1) - this.writesBefore(l));
    const so = out - cycle;
    const s = Math.max(si, sf, so);
    if (s > 0) {
      this.stall += s;
      this.stallBy[s === si ? 'ifmap' : s === sf ? 'filter' : 'ofmap'] += s;
    }
    this.lastOut = out;
    this.line++;
  }
}

export function simulateUserMode(conv: ConvShape, plan: FoldPlan, buf: UserBuffers): UserModeStats {
  const bw = buf.bandwidth;
  const cells = new IfmapCells(conv);
  const igeo = ifmapGeometry(plan, cells);
  const isets = new SetIndex(igeo, Math.ceil(buf.ifmapWords / 100), (each) => cells.outOfBounds((m, k) => each(ifmapRow(igeo, m, k), ifmapCol(igeo, m, k))));
  // The ifmap's prefetch rows are taps (os, is) or windows (ws).
  const ifmap = new ReadSide(isets, buf.ifmapWords, bw, { geo: igeo, cells, alongTaps: plan.dataflow !== 'ws' });
  const filter = new ReadSide(new SetIndex(filterGeometry(plan), Math.ceil(buf.filterWords / 100)), buf.filterWords, bw);
  const ofmap = new WriteBuffer(buf.ofmapWords, bw);
  const walk = new Walk(plan, ifmap, filter, ofmap);
  for (let fc = 0; fc < plan.colFolds; fc++) for (let fr = 0; fr < plan.rowFolds; fr++) walk.fold(fc, fr);
  return {
    stallCycles: walk.stall,
    totalCycles: walk.lastOut,
    dramIfmapReads: ifmap.ring.reads,
    dramFilterReads: filter.ring.reads,
    dramOfmapWrites: ofmap.finish(),
    stallBy: walk.stallBy,
  };
}

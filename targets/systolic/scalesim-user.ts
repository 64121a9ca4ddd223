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
import { WriteBuffer } from './scalesim-user-buffers.ts';
import { filterGeometry, ifmapGeometry, IfmapCells } from './scalesim-user-layout.ts';
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
  // First line >= l that a diagonal stream (line l reads step t = l - off of a0's diagonals) or
  // a stationary load (rows base + R - 1 - l, for l in [R - rows, R)) may refill on.
  const diagQuiet = (side: ReadSide, a0: number, S: number, w: number, off: number, l: number) => {
    const tAct = S + w - 1;
    const t = Math.max(0, l - off);
    if (t >= tAct) return L;
    const q = side.quietDiag(a0, S, w, t, tAct);
    return q >= tAct ? L : q + off;
  };
  const loadQuiet = (side: ReadSide, base: number, rows: number, w: number, l: number) => {
    if (l >= R) return L;
    const first = Math.max(l, R - rows);
    if (side.rowsInWindow(base, base + R - 1 - first)) return L;
    const q = first + side.certifiedRows(base + R - 1 - first, w);
    return q >= R ? L : q;
  };
  for (let fc = 0; fc < colFolds; fc++) {
    for (let fr = 0; fr < rowFolds; fr++) {
      const r0 = fr * R;
      const c0 = fc * C;
      const ru = Math.min(R, plan.sr - r0);
      const cu = Math.min(C, plan.sc - c0);
      // Line l writes the ofmap cells x in [0, cu) with l - hiLag <= x <= l - loLag.
      const [hiLag, loLag] = dataflow === 'os' ? [K - 1 + R - 1, K - 1 + R - ru] : [2 * R - 1 + T - 1, 2 * R - 1];
      const writesBefore = (l: number) => sumClamp(l - loLag, 0, cu - 1, hiLag - loLag + 1);
      const quiet = (l: number) => {
        if (dataflow === 'os') return Math.min(diagQuiet(ifmap, fr * K, K, ru, 0, l), diagQuiet(filter, fc * K, K, cu, 0, l));
        if (dataflow === 'ws') return Math.min(diagQuiet(ifmap, fr * M, M, ru, R, l), loadQuiet(filter, fc * K + r0, ru, cu, l));
        return Math.min(loadQuiet(ifmap, fc * K + r0, ru, cu, l), diagQuiet(filter, fr * N, N, ru, R, l));
      };
      let l = 0;
      while (l < L) {
        // Lines that refill nothing and neither start nor wait for a drain: no stall, so only
        // their writes count, stored at once.
        let e = quiet(l);
        if (e > l) {
          const [room, until] = ofmap.quiet(line + stall);
          e = Math.min(e, l + (until - line - stall));
          const w0 = writesBefore(l);
          if (writesBefore(e) - w0 > room) {
            let good = l;
            let bad = e;
            while (bad - good > 1) {
              const mid = Math.floor((good + bad) / 2);
              if (writesBefore(mid) - w0 > room) bad = mid;
              else good = mid;
            }
            e = good;
          }
          if (e > l) {
            ofmap.store(writesBefore(e) - w0);
            line += e - l;
            lastOut = line - 1 + stall;
            l = e;
            if (l >= L) break;
          }
        }
        const cycle = line + stall;
        let si: number;
        let sf: number;
        if (dataflow === 'os') {
          si = ifmap.line(cycle, true, fr * K + l, Math.max(0, l - K + 1), Math.min(ru - 1, l));
          sf = filter.line(cycle, true, fc * K + l, Math.max(0, l - K + 1), Math.min(cu - 1, l));
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
        }
        const out = ofmap.line(cycle, writesBefore(l + 1) - writesBefore(l));
        const so = out - cycle;
        const s = Math.max(si, sf, so);
        if (s > 0) {
          stall += s;
          stallBy[s === si ? 'ifmap' : s === sf ? 'filter' : 'ofmap'] += s;
        }
        lastOut = out;
        l++;
        line++;
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

/**
 * Test oracle: the first, slow implementation of SCALE-Sim v2's USER mode, kept unchanged (it
 * matched every SCALE-Sim row it was checked on) so the fast model in
 * targets/systolic/scalesim-user*.ts can be compared with it on random layers. It builds a set
 * index for every cell of each operand and checks straddling lines word by word: seconds per
 * network, fine for small layers. The ifmap's address arithmetic (IfmapCells), the write
 * buffer and the ring's one-refill step, which the rewrite did not change, are the model's own;
 * the set numbers, the word-by-word refills and the line-by-line walk are the original ones.
 *
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

import type { ConvShape, FoldPlan } from '../../../../targets/systolic/gemm-model.ts';
import { ReadRing, WriteBuffer } from '../../../../targets/systolic/scalesim-user-buffers.ts';
import { IfmapCells } from '../../../../targets/systolic/scalesim-user-layout.ts';
import type { UserBuffers, UserModeStats } from '../../../../targets/systolic/scalesim-user.ts';
import { filterGeometry, ifmapGeometry, SetMap, type IfmapGeometry } from './scalesim-user-layout.ts';

/** One operand's read ring plus how a demand line's cells map into it. */
class ReadSide {
  readonly ring: ReadRing;

  constructor(
    private readonly map: SetMap,
    words: number,
    bw: number,
    private readonly ifmap?: { geo: IfmapGeometry; cells: IfmapCells },
  ) {
    this.ring = new ReadRing(map.numSets, map.cells, words, bw);
    this.occ = new Float64Array(ifmap ? 2 * ifmap.cells.conv.filterH * ifmap.cells.conv.filterW : 0);
  }

  private readonly occ: Float64Array;

  private hit(i: number, j: number): boolean {
    const ring = this.ring;
    if (ring.inWindow(this.map.set(i, j))) return true;
    const f = this.ifmap;
    if (!f || f.cells.injective) return false;
    const [m, k] = f.geo.cellOf(i, j);
    const n = f.cells.occurrences(m, k, this.occ);
    for (let o = 0; o < n; o++) {
      const [i2, j2] = f.geo.at(this.occ[2 * o]!, this.occ[2 * o + 1]!);
      if (ring.inWindow(this.map.set(i2, j2))) return true;
    }
    return false;
  }

  /**
   * Reads cells j in [lo, hi] of diagonal `a` (cell (a - j, j)) or of row `a` (cell (a, j)),
   * in that order, at `cycle`; returns the interface's stall.
   */
  line(cycle: number, diag: boolean, a: number, lo: number, hi: number): number {
    if (lo > hi) return 0;
    const ring = this.ring;
    const map = this.map;
    const s0 = diag ? map.set(a - lo, lo) : map.set(a, lo);
    const s1 = diag ? map.set(a - hi, hi) : map.set(a, hi);
    let all = true;
    for (let s = s0; s <= s1 && all; s++) all = ring.inWindow(s);
    if (all) return 0;
    const before = ring.refills;
    for (let j = lo; j <= hi; j++) {
      const i = diag ? a - j : a;
      if (!map.g.valid(i, j)) continue;
      while (!this.hit(i, j)) ring.refill(1);
    }
    return ring.refills > before ? Math.max(0, ring.last - cycle - 1) : 0;
  }
}

/** Cells of [lo, hi] ∩ [a, b] as a count. */
const overlap = (lo: number, hi: number, a: number, b: number) => Math.max(0, Math.min(hi, b) - Math.max(lo, a) + 1);

export function simulateUserModeReference(conv: ConvShape, plan: FoldPlan, buf: UserBuffers): UserModeStats {
  const { arrayRows: R, arrayCols: C, dataflow, rowFolds, colFolds, linesPerFold: L } = plan;
  const { M, N, K } = plan.gemm;
  const bw = buf.bandwidth;
  const cells = new IfmapCells(conv);
  const igeo = ifmapGeometry(plan, cells);
  const ifmap = new ReadSide(new SetMap(igeo, Math.ceil(buf.ifmapWords / 100)), buf.ifmapWords, bw, { geo: igeo, cells });
  const filter = new ReadSide(new SetMap(filterGeometry(plan), Math.ceil(buf.filterWords / 100)), buf.filterWords, bw);
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

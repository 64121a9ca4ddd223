/**
 * DRAM writes of SCALE-Sim's ofmap write buffer (memory/write_buffer.py) in CALC mode, where it
 * drains to DRAM with a bandwidth of one array width (C words) per cycle.
 *
 * The buffer packs incoming ofmap words into C-wide lines. Once fewer than half of its words are
 * free (and no drain is in flight), it closes the current line even if partial, then drains the
 * next ceil(half / C) lines. A drain is counted as lines * C words minus the empty slots of its
 * *last* line only, so a partial line closed early and drained in the middle of a later batch
 * is counted as full: that over-count (and the extra free space it grants) is part of what v2
 * reports. At the end every remaining line is drained the same way.
 *
 * Instead of replaying each word we jump from drain to drain: the number of ofmap words written
 * before any cycle has a closed form (each fold's writes form a skewed block), so the word that
 * triggers the next drain, and its cycle, are found directly.
 *
 * The buffer never fills, so SCALE-Sim never stalls here: a drain starts only once more than
 * half the words are buffered, so at least ceil(half / C) lines are waiting and the drain frees
 * at least (lines - 1) * C + 1 words; while it is busy (lines - 1 cycles) at most C words arrive
 * per cycle. Free space at each drain is therefore never lower than at the first one.
 */

import type { FoldPlan } from './gemm-model.ts';

/** Writes on lines off + t + c for t in [0, span), c in [0, width): how many fall before line x + off. */
function staircase(x: number, width: number, span: number): number {
  const full = Math.min(width, Math.max(0, x - span + 1));
  const hi = Math.min(width, Math.max(0, x));
  let n = full * span;
  if (hi > full) n += (hi - full) * x - ((full + hi - 1) * (hi - full)) / 2;
  return n;
}

/** Where each fold's ofmap writes fall: folds run column fold outer, row fold inner. */
class WriteCounter {
  readonly totalLines: number;
  readonly total: number;
  private readonly L: number;
  /** Writes of one whole column fold, and the fold's write block is `span` deep (per column). */
  private readonly perColFold: number;

  constructor(private readonly plan: FoldPlan) {
    const { M } = plan.gemm;
    this.L = plan.linesPerFold;
    this.totalLines = plan.folds * this.L;
    this.perColFold = plan.arrayCols * (plan.dataflow === 'os' ? M : this.span(0) * plan.rowFolds);
    this.total = plan.dataflow === 'os' ? M * plan.gemm.N : plan.rowFolds * M * plan.gemm.N;
  }

  private colsUsed(fc: number): number {
    return Math.min(this.plan.arrayCols, this.plan.sc - fc * this.plan.arrayCols);
  }

  /** Depth of fold fr's write block (its rows for OS, all of M or N for WS / IS). */
  private span(fr: number): number {
    const { arrayRows: R, dataflow, gemm } = this.plan;
    return dataflow === 'os' ? Math.min(R, gemm.M - fr * R) : dataflow === 'ws' ? gemm.M : gemm.N;
  }

  /** First line of fold fr's writes, minus one. */
  private offset(fr: number): number {
    const { arrayRows: R, dataflow, gemm } = this.plan;
    return dataflow === 'os' ? gemm.K - 1 + R - this.span(fr) : 2 * R - 1;
  }

  private foldStart(fc: number, fr: number): number {
    const full = this.plan.dataflow === 'os' ? this.plan.arrayRows : this.span(fr);
    return fc * this.perColFold + fr * full * this.colsUsed(fc);
  }

  /** Writes on the lines before global line g. */
  before(g: number): number {
    if (g >= this.totalLines) return this.total;
    const f = Math.floor(g / this.L);
    const fc = Math.floor(f / this.plan.rowFolds);
    const fr = f - fc * this.plan.rowFolds;
    return this.foldStart(fc, fr) + staircase(g - f * this.L - this.offset(fr), this.colsUsed(fc), this.span(fr));
  }

  /** The line on which write number `word` (from 0) happens. */
  lineOf(word: number): number {
    const { rowFolds: RF, colFolds: CF } = this.plan;
    const fc = Math.min(CF - 1, Math.floor(word / this.perColFold));
    const cu = this.colsUsed(fc);
    const full = this.plan.dataflow === 'os' ? this.plan.arrayRows : this.span(0);
    const fr = Math.min(RF - 1, Math.floor((word - fc * this.perColFold) / (full * cu)));
    const rest = word - this.foldStart(fc, fr);
    const off = this.offset(fr);
    const span = this.span(fr);
    let a = 0;
    let b = this.L - 1;
    while (a < b) {
      // Lines can pass 2^31 on a large array, where `>>> 1` would wrap and never end the search.
      const mid = Math.floor((a + b) / 2);
      if (staircase(mid + 1 - off, cu, span) > rest) b = mid;
      else a = mid + 1;
    }
    return (fc * RF + fr) * this.L + a;
  }
}

export function ofmapDramWrites(plan: FoldPlan, ofmapSramKb: number): number {
  const C = plan.arrayCols;
  const writes = new WriteCounter(plan);
  const total = writes.total;
  const size = Math.floor(ofmapSramKb * 1024);
  const active = Math.ceil(size * 0.5);
  const drainWords = size - active;
  const drainLines = Math.ceil(drainWords / C);

  // Lines are packed per segment (words between two forced line closes).
  const segLines: number[] = [];
  const segLastFill: number[] = [];
  let drainSeg = 0;
  let drainOff = 0;
  const closeSegment = (words: number) => {
    if (words <= 0) return;
    segLines.push(Math.ceil(words / C));
    segLastFill.push(words % C === 0 ? C : words % C);
  };
  /** Drains up to drainLines lines; returns [lines, words counted]. */
  const drain = (): [number, number] => {
    let need = drainLines;
    let lines = 0;
    let lastFill = C;
    while (need > 0 && drainSeg < segLines.length) {
      const avail = segLines[drainSeg]! - drainOff;
      const take = Math.min(need, avail);
      lines += take;
      need -= take;
      drainOff += take;
      if (drainOff === segLines[drainSeg]) {
        lastFill = segLastFill[drainSeg]!;
        drainSeg++;
        drainOff = 0;
      } else lastFill = C;
    }
    return [lines, lines * C - (C - lastFill)];
  };

  let stored = 0;
  let free = size;
  let drainEnd = 0;
  let segStart = 0;
  let written = 0;
  for (;;) {
    // The next drain starts at the first word stored on or after cycle drainEnd that leaves
    // fewer than `active` words free. (In CALC mode the buffer never fills: no stalls.)
    const trigger = Math.max(stored + Math.max(0, free - active), writes.before(drainEnd));
    if (trigger >= total) break;
    free -= trigger + 1 - stored;
    stored = trigger + 1;
    closeSegment(stored - segStart);
    segStart = stored;
    const [lines, words] = drain();
    if (lines === 0) throw new Error('scalesim write buffer: drain with no lines');
    written += words;
    free += words;
    drainEnd = writes.lineOf(trigger) + lines - 1;
  }
  closeSegment(total - segStart);
  while (drainSeg < segLines.length) written += drain()[1];
  return written;
}

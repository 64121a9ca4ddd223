/**
 * Test oracle: a deliberately literal, element-by-element replay of SCALE-Sim v2's CALC-mode
 * memory system, written from the Python sources and independent of the fast model:
 *  - demand lines as systolic_compute_{os,ws,is}.create_*_demand_mat build them (fold loop col
 *    fold outer, row fold inner; skew, flips, prefixes and suffixes), generated on the fly,
 *  - read_buffer_estimate_bw.manage_prefetches with real sets of num_items_per_set addresses and
 *    the 50-set active window (check_hit over list_of_sets, plus current_set),
 *  - write_buffer.service_writes / empty_drain_buf / empty_all_buffers with real lines.
 * It is slow (seconds for an AlexNet layer); tests use it on small layers.
 */

import type { ConvShape, Dataflow } from '../../../targets/systolic/gemm-model.ts';

export interface NaiveConfig {
  rows: number;
  cols: number;
  dataflow: Dataflow;
  ifmapKb: number;
  filterKb: number;
  ofmapKb: number;
}

export interface NaiveResult {
  totalCycles: number;
  sramIfmapReads: number;
  sramFilterReads: number;
  sramOfmapWrites: number;
  dramIfmapReads: number;
  dramFilterReads: number;
  dramOfmapWrites: number;
}

/** read_buffer_estimate_bw with literal sets; only the access count is kept. */
class ReadBufferEstimate {
  private readonly perSet: number;
  private readonly activeSets = 50;
  private readonly prefetchSets = 50;
  private sets: (Set<number> | null)[] = [];
  private current = new Set<number>();
  private currentId = 0;
  private readStart = 0;
  private readEnd = 49;
  numAccess = 0;
  private prefetchedUpTo = 0;

  constructor(sizeKb: number) {
    this.perSet = Math.floor((sizeKb * 1024) / 100);
  }

  request(addr: number): void {
    if (addr === -1) return;
    const end = Math.min(this.currentId, this.readEnd + 1);
    for (let i = this.readStart; i < end; i++) if (this.sets[i]!.has(addr)) return;
    if (this.current.has(addr)) return;
    this.current.add(addr);
    if (this.current.size === this.perSet) {
      this.sets.push(this.current);
      this.current = new Set();
      this.currentId++;
      if (this.currentId === this.readEnd + 1) {
        // prefetch(): every address of the sets not yet prefetched goes to DRAM.
        for (let i = this.prefetchedUpTo; i < this.currentId; i++) this.numAccess += this.sets[i]!.size;
        this.prefetchedUpTo = this.currentId;
        for (let j = 0; j < this.prefetchSets; j++) this.sets[this.readStart + j] = null;
        this.readStart += this.prefetchSets;
        this.readEnd += this.prefetchSets;
      }
    }
  }

  complete(): number {
    for (let i = this.prefetchedUpTo; i < this.sets.length; i++) this.numAccess += this.sets[i]!.size;
    this.numAccess += this.current.size;
    void this.activeSets;
    return this.numAccess;
  }
}

/** write_buffer with its lines, free-space bookkeeping and drain batches. */
class WriteBuffer {
  private readonly total: number;
  private readonly drainSize: number;
  private free: number;
  private lines: number[][] = [];
  private current: number[] = [];
  private drainStart = 0;
  private drainEnd = 0;
  numAccess = 0;

  constructor(
    sizeKb: number,
    private readonly width: number,
  ) {
    this.total = Math.floor(sizeKb * 1024); // total_size_elems = floor(bytes / word_size)
    this.drainSize = this.total - Math.ceil(this.total * 0.5);
    this.free = this.total;
  }

  private forceLine(): void {
    if (this.current.length > 0) {
      this.lines.push(this.current);
      this.current = [];
    }
  }

  private drain(): void {
    const want = Math.ceil(this.drainSize / this.width);
    const end = Math.min(this.drainStart + want, this.lines.length);
    const n = end - this.drainStart;
    if (n <= 0) throw new Error('naive write buffer: empty drain');
    const last = this.lines[end - 1]!;
    const words = n * this.width - (this.width - last.length);
    this.numAccess += words;
    this.free += words;
    this.drainStart = end;
    this.lastDrainLines = n;
  }

  private lastDrainLines = 0;

  writeLine(cycle: number, addrs: number[]): void {
    for (const a of addrs) {
      if (a === -1) continue;
      this.current.push(a);
      this.free--;
      if (this.current.length === this.width) {
        this.lines.push(this.current);
        this.current = [];
      }
      if (cycle < this.drainEnd) {
        if (!(this.free > 0)) throw new Error('naive write buffer: stall');
      } else if (this.free < this.total - this.drainSize) {
        this.forceLine();
        this.drain();
        this.drainEnd = cycle + this.lastDrainLines - 1;
      }
    }
  }

  finish(): number {
    this.forceLine();
    while (this.drainStart < this.lines.length) this.drain();
    return this.numAccess;
  }
}

export function naiveScaleSim(cfg: NaiveConfig, l: ConvShape): NaiveResult {
  const { rows: R, cols: C, dataflow } = cfg;
  const Eh = Math.ceil((l.ifmapH - l.filterH + l.strideH) / l.strideH);
  const Ew = Math.ceil((l.ifmapW - l.filterW + l.strideW) / l.strideW);
  const M = Eh * Ew;
  const N = l.numFilters;
  const K = l.filterH * l.filterW * l.channels;
  // operand_matrix.calc_ifmap_elem_addr / calc_filter_elem_addr / calc_ofmap_elem_addr
  const ifmap = (m: number, k: number): number => {
    const oy = Math.floor(m / Ew);
    const ox = m % Ew;
    const iRow = oy * l.strideH;
    const iCol = ox * l.strideW;
    const cRow = Math.floor(k / (l.filterW * l.channels));
    const rem = k % (l.filterW * l.channels);
    const cCol = Math.floor(rem / l.channels);
    const ch = rem % l.channels;
    if (cRow + iRow >= l.ifmapH || cCol + iCol >= l.ifmapW) return -1;
    return (iRow * l.ifmapW + iCol) * l.channels + cRow * l.ifmapW * l.channels + cCol * l.channels + ch;
  };
  const filter = (k: number, n: number) => 10000000 + n * K + k;
  const ofmap = (m: number, n: number) => 20000000 + N * m + n;
  const ifb = new ReadBufferEstimate(cfg.ifmapKb);
  const flb = new ReadBufferEstimate(cfg.filterKb);
  const ofb = new WriteBuffer(cfg.ofmapKb, C);
  let sramIf = 0;
  let sramFl = 0;
  let sramOf = 0;
  const [Sr, Sc, T] = dataflow === 'os' ? [M, N, K] : dataflow === 'ws' ? [K, N, M] : [K, M, N];
  const RF = Math.ceil(Sr / R);
  const CF = Math.ceil(Sc / C);
  const L = dataflow === 'os' ? T + R + C - 2 : 2 * R + C + T - 2;
  let cycle = 0;
  for (let fc = 0; fc < CF; fc++) {
    for (let fr = 0; fr < RF; fr++) {
      const r0 = fr * R;
      const ru = Math.min(R, Sr - r0);
      const c0 = fc * C;
      const cu = Math.min(C, Sc - c0);
      if (dataflow === 'os') {
        sramIf += ru * T;
        sramFl += cu * T;
        sramOf += ru * cu + R + C;
      } else if (dataflow === 'ws') {
        sramIf += ru * T;
        sramFl += ru * cu;
        sramOf += T * cu;
      } else {
        sramIf += ru * cu;
        sramFl += ru * T;
        sramOf += T * cu;
      }
      for (let l2 = 0; l2 < L; l2++, cycle++) {
        const out: number[] = [];
        if (dataflow === 'os') {
          // ifmap: T x R (+C-1 rows) skewed; filter: T x C (+R-1) skewed; ofmap: T-1 prefix,
          // flipped R x C block, skewed.
          for (let c = 0; c < R; c++) {
            const k = l2 - c;
            if (c < ru && k >= 0 && k < T) ifb.request(ifmap(r0 + c, k));
          }
          for (let c = 0; c < C; c++) {
            const k = l2 - c;
            if (c < cu && k >= 0 && k < T) flb.request(filter(k, c0 + c));
          }
          for (let c = 0; c < C; c++) {
            const rFlip = l2 - (T - 1) - c;
            const r = R - 1 - rFlip;
            out.push(rFlip >= 0 && rFlip < R && r < ru && c < cu ? ofmap(r0 + r, c0 + c) : -1);
          }
        } else if (dataflow === 'ws') {
          // ifmap: R prefix, M x R, C-1 suffix, skewed; filter: flipped R x C then idle;
          // ofmap: 2R-1 prefix, M x C, skewed.
          for (let c = 0; c < R; c++) {
            const t = l2 - R - c;
            if (c < ru && t >= 0 && t < T) ifb.request(ifmap(t, r0 + c));
          }
          if (l2 < R && R - 1 - l2 < ru) {
            for (let c = 0; c < cu; c++) flb.request(filter(r0 + R - 1 - l2, c0 + c));
          }
          for (let c = 0; c < C; c++) {
            const t = l2 - (2 * R - 1) - c;
            out.push(t >= 0 && t < T && c < cu ? ofmap(t, c0 + c) : -1);
          }
        } else {
          // ifmap: flipped R x C block then idle; filter: R prefix, N x R, C-1 suffix, skewed;
          // ofmap: 2R-1 prefix, N x C, skewed.
          if (l2 < R && R - 1 - l2 < ru) {
            for (let c = 0; c < cu; c++) ifb.request(ifmap(c0 + c, r0 + R - 1 - l2));
          }
          for (let c = 0; c < R; c++) {
            const t = l2 - R - c;
            if (c < ru && t >= 0 && t < T) flb.request(filter(r0 + c, t));
          }
          for (let c = 0; c < C; c++) {
            const t = l2 - (2 * R - 1) - c;
            out.push(t >= 0 && t < T && c < cu ? ofmap(c0 + c, t) : -1);
          }
        }
        ofb.writeLine(cycle, out);
      }
    }
  }
  return {
    totalCycles: cycle - 1,
    sramIfmapReads: sramIf,
    sramFilterReads: sramFl,
    sramOfmapWrites: sramOf,
    dramIfmapReads: ifb.complete(),
    dramFilterReads: flb.complete(),
    dramOfmapWrites: ofb.finish(),
  };
}

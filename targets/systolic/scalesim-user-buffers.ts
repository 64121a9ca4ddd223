/**
 * SCALE-Sim v2's USER-mode buffers (memory/read_buffer.py, memory/write_buffer.py, their ports),
 * replayed per demand line rather than per word, the refills a line needs in closed form.
 *
 * Read ring: the active window is A consecutive sets of the ring (see scalesim-user-sets.ts);
 * a read that misses moves the window forward by P sets — wrapping round the ring if the address
 * is behind it — and requests ceil(prefetch words / bw) lines, issued one per cycle from the
 * cycle after the previous refill's last line arrived (read port latency 1), whatever the
 * current cycle. The demand line is served when the last refill's data is in. The first fill of
 * ceil(active words / bw) lines (at most the whole prefetch matrix) ends at cycle -1.
 * Reads are counted per request line, padding included.
 *
 * Write buffer: ofmap words are packed into bw-wide lines. With no drain in flight, a word that
 * leaves fewer than `active` words free closes the line in progress and drains the next
 * ceil(drain words / bw) closed lines, one per cycle from now (write port latency 0). During a
 * drain, a word that fills the buffer stalls the array until the drain ends. A drain counts its
 * lines × bw words, less the empty slots of its last line.
 */

export class ReadRing {
  reads: number;
  /** Cycle the latest request line's data arrived. */
  last = -1;
  refills = 0;
  private start = 0;
  readonly active: number;
  private readonly step: number;
  private readonly n: number;
  private readonly refillLines: number;

  /** `sets` sets in the ring, `cells` cells in the prefetch matrix (padding included). */
  constructor(sets: number, cells: number, words: number, private readonly bw: number) {
    const activeWords = Math.ceil(words * 0.5);
    const prefetchWords = words - activeWords;
    const perSet = Math.ceil(words / 100);
    this.n = sets;
    this.active = Math.min(Math.ceil(activeWords / perSet), this.n);
    this.step = Math.min(Math.ceil(prefetchWords / perSet), this.n - this.active);
    this.refillLines = Math.ceil(prefetchWords / bw);
    this.reads = Math.min(Math.ceil(activeWords / bw), Math.ceil(cells / bw)) * bw;
  }

  /** Distance of `set` past the window's first set, round the ring. */
  private offset(set: number): number {
    const d = set - this.start;
    return d < 0 ? d + this.n : d;
  }

  inWindow(set: number): boolean {
    return this.offset(set) < this.active;
  }

  /**
   * The sets of the window as a run without wrapping that holds `set` (in the window):
   * [runLo, runHi). A window that wraps round the ring's end is two such runs.
   */
  runLo(set: number): number {
    return this.start + this.active <= this.n || set >= this.start ? this.start : 0;
  }

  runHi(set: number): number {
    const end = this.start + this.active;
    return end <= this.n ? end : set >= this.start ? this.n : end - this.n;
  }

  /** Every set of s0..s1 (s0 <= s1) is in the window. */
  rangeInWindow(s0: number, s1: number): boolean {
    return this.active >= this.n || this.offset(s0) + (s1 - s0) < this.active;
  }

  /**
   * Refills until `set` is in the window. The window moves by step <= active sets, so it cannot
   * jump over a set: an address behind it is reached only by going round the ring.
   */
  refillsTo(set: number): number {
    const o = this.offset(set);
    if (o < this.active) return 0;
    return this.step === 0 ? Infinity : Math.ceil((o - this.active + 1) / this.step);
  }

  /** Refills needed to read sets s0..s1 in order, as the word-by-word walk would. */
  refillsToCover(s0: number, s1: number): number {
    if (this.rangeInWindow(s0, s1)) return 0;
    if (this.step === 0) return Infinity;
    const k0 = this.refillsTo(s0);
    const u = this.offset(s0) - k0 * this.step;
    return k0 + Math.max(0, Math.ceil((u + s1 - s0 - this.active + 1) / this.step));
  }

  refill(k: number): void {
    if (k <= 0) return;
    if (this.step === 0 || !Number.isFinite(k)) throw new Error('scalesim read ring: a miss with the whole operand buffered');
    this.start = (this.start + (k % this.n) * this.step) % this.n;
    this.refills += k;
    this.reads += k * this.refillLines * this.bw;
    this.last += k * (this.refillLines + 1);
  }
}

export class WriteBuffer {
  writes = 0;
  private free: number;
  private readonly active: number;
  private readonly drainLines: number;
  private drainEnd = 0;
  private lineFill = 0;
  private openFull = 0;
  /** Closed, undrained lines as runs: [full lines..., last line's fill]. */
  private readonly segLines: number[] = [];
  private readonly segLastFill: number[] = [];
  private seg = 0;
  private segOff = 0;

  constructor(
    words: number,
    private readonly bw: number,
  ) {
    this.free = words;
    this.active = Math.ceil(words * 0.5);
    this.drainLines = Math.ceil((words - this.active) / bw);
  }

  /**
   * How many words lines issued from `cycle` on can store, all together, before one of them
   * starts a drain or waits for one, and the cycle until which that bound holds.
   */
  quiet(cycle: number): [words: number, until: number] {
    return cycle < this.drainEnd ? [Math.max(0, this.free - 1), this.drainEnd] : [Math.max(0, this.free - this.active), Infinity];
  }

  store(t: number): void {
    const fill = this.lineFill + t;
    this.openFull += Math.floor(fill / this.bw);
    this.lineFill = fill % this.bw;
    this.free -= t;
  }

  private closeLines(): void {
    const lines = this.openFull + (this.lineFill > 0 ? 1 : 0);
    if (lines > 0) {
      this.segLines.push(lines);
      this.segLastFill.push(this.lineFill > 0 ? this.lineFill : this.bw);
    }
    this.openFull = 0;
    this.lineFill = 0;
  }

  /** Drains up to drainLines closed lines; returns how many. */
  private drain(): number {
    let need = this.drainLines;
    let lines = 0;
    let lastFill = this.bw;
    while (need > 0 && this.seg < this.segLines.length) {
      const take = Math.min(need, this.segLines[this.seg]! - this.segOff);
      lines += take;
      need -= take;
      this.segOff += take;
      if (this.segOff === this.segLines[this.seg]) {
        lastFill = this.segLastFill[this.seg]!;
        this.seg++;
        this.segOff = 0;
      } else lastFill = this.bw;
    }
    if (lines === 0) throw new Error('scalesim write buffer: a drain with no lines');
    const words = lines * this.bw - (this.bw - lastFill);
    this.writes += words;
    this.free += words;
    return lines;
  }

  /** Writes `k` words on the demand line issued at `cycle`; returns the cycle it completes. */
  line(cycle: number, k: number): number {
    let now = cycle;
    while (k > 0) {
      if (now < this.drainEnd) {
        // Each word is stored, then a full buffer waits for the drain in flight.
        if (this.free > k) {
          this.store(k);
          return now;
        }
        const t = Math.max(1, this.free);
        this.store(t);
        k -= t;
        now = this.drainEnd;
      } else {
        const t = Math.max(1, this.free - this.active + 1);
        if (t > k) {
          this.store(k);
          return now;
        }
        this.store(t);
        k -= t;
        this.closeLines();
        this.drainEnd = now + this.drain() - 1;
      }
    }
    return now;
  }

  /** empty_all_buffers: every closed or open line goes out. */
  finish(): number {
    this.closeLines();
    while (this.seg < this.segLines.length) this.drain();
    return this.writes;
  }
}

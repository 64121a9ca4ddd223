/**
 * The state of SCALE-Sim's CALC-mode read buffer (memory/read_buffer_estimate_bw.py) as a
 * bitset over the operand's address space.
 *
 * That buffer only counts: an address is a DRAM read unless it was already requested since the
 * last "epoch" boundary. Every time `epochSize` new addresses have been collected (50 sets of
 * floor(words / 100)), the sets are handed to the prefetcher and forgotten, so the next request
 * for any of them is fetched again. Hence: DRAM reads = epochSize * resets + newInCurrentEpoch.
 *
 * The bitset holds the addresses of the current epoch; runs of addresses are added a word at a
 * time. An undo log lets a caller commit a region, find that it crossed an epoch boundary, and
 * roll back; a scratch bitset lets it count a region's new addresses without committing them.
 */

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Mask of bits lo..hi (inclusive) of one 32-bit word. */
function wordMask(lo: number, hi: number): number {
  const upper = hi === 31 ? -1 : (1 << (hi + 1)) - 1;
  return upper & ~((1 << lo) - 1);
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

export class EpochBitset {
  readonly epochSize: number;
  /** Completed epochs (each one is `epochSize` DRAM reads). */
  resets = 0;
  /** New addresses in the current epoch. */
  fresh = 0;
  private readonly set: Int32Array;
  private readonly scratch: Int32Array;
  // Hand-inlined growable lists: this is the innermost loop of the whole model.
  private setTouched = new Int32Array(1024);
  private setTouchedLen = 0;
  private scratchTouched = new Int32Array(1024);
  private scratchTouchedLen = 0;
  /** (word, old value) pairs, for the set and for the scratch. */
  private undo = new Int32Array(2048);
  private undoLen = 0;
  private scratchUndo = new Int32Array(2048);
  private scratchUndoLen = 0;

  constructor(addressSpace: number, epochSize: number) {
    const words = Math.ceil(Math.max(1, addressSpace) / 32);
    this.set = new Int32Array(words);
    this.scratch = new Int32Array(words);
    this.epochSize = epochSize;
  }

  get dramReads(): number {
    return this.resets === 0 ? this.fresh : this.resets * this.epochSize + this.fresh;
  }

  get undoMark(): number {
    return this.undoLen;
  }

  clearUndo(): void {
    this.undoLen = 0;
  }

  /** Restores every word changed since `mark`, newest first. */
  rollback(mark: number): void {
    const log = this.undo;
    // A word enters the touched list exactly when its logged old value is 0, in log order, so
    // the entries undone here are the last ones of that list: drop them, no duplicates remain.
    let emptied = 0;
    for (let i = this.undoLen - 2; i >= mark; i -= 2) {
      const old = log[i + 1]!;
      this.set[log[i]!] = old;
      if (old === 0) emptied++;
    }
    this.undoLen = mark;
    this.setTouchedLen -= emptied;
  }

  /** Starts a new epoch: the prefetched sets are forgotten. */
  reset(): void {
    const t = this.setTouched;
    for (let i = 0; i < this.setTouchedLen; i++) this.set[t[i]!] = 0;
    this.setTouchedLen = 0;
    this.undoLen = 0;
    this.resets++;
    this.fresh = 0;
  }

  clearScratch(): void {
    const t = this.scratchTouched;
    for (let i = 0; i < this.scratchTouchedLen; i++) this.scratch[t[i]!] = 0;
    this.scratchTouchedLen = 0;
    this.scratchUndoLen = 0;
  }

  get scratchMark(): number {
    return this.scratchUndoLen;
  }

  rollbackScratch(mark: number): void {
    const log = this.scratchUndo;
    let emptied = 0;
    for (let i = this.scratchUndoLen - 2; i >= mark; i -= 2) {
      const old = log[i + 1]!;
      this.scratch[log[i]!] = old;
      if (old === 0) emptied++;
    }
    this.scratchUndoLen = mark;
    this.scratchTouchedLen -= emptied;
  }

  private markScratch(w: number, old: number, value: number): void {
    if (old === 0) {
      if (this.scratchTouchedLen === this.scratchTouched.length) this.scratchTouched = grow(this.scratchTouched);
      this.scratchTouched[this.scratchTouchedLen++] = w;
    }
    if (this.scratchUndoLen + 2 > this.scratchUndo.length) this.scratchUndo = grow(this.scratchUndo);
    this.scratchUndo[this.scratchUndoLen++] = w;
    this.scratchUndo[this.scratchUndoLen++] = old;
    this.scratch[w] = value;
  }

  inSet(addr: number): boolean {
    return (this.set[addr >>> 5]! & (1 << (addr & 31))) !== 0;
  }

  /** Adds one address to the set (no undo); true if it was new. */
  commitOne(addr: number): boolean {
    const w = addr >>> 5;
    const bit = 1 << (addr & 31);
    const old = this.set[w]!;
    if ((old & bit) !== 0) return false;
    if (old === 0) {
      this.reserve(1);
      this.setTouched[this.setTouchedLen++] = w;
    }
    this.set[w] = old | bit;
    return true;
  }

  /** Marks one address in the scratch; true if it was in neither the set nor the scratch. */
  probeOne(addr: number): boolean {
    const w = addr >>> 5;
    const bit = 1 << (addr & 31);
    if ((this.set[w]! & bit) !== 0) return false;
    const old = this.scratch[w]!;
    if ((old & bit) !== 0) return false;
    this.markScratch(w, old, old | bit);
    return true;
  }

  /** `count` runs of `length` words, `stride` apart, into the set (or the scratch when probing). */
  strided(start: number, length: number, stride: number, count: number, probe: boolean): number {
    if (!probe && (stride & 31) === 0 && length <= 32) return this.commitAligned(start, length, stride >>> 5, count);
    let n = 0;
    if (probe) for (let i = 0; i < count; i++, start += stride) n += this.probeRun(start, length);
    else for (let i = 0; i < count; i++, start += stride) n += this.commitRun(start, length);
    return n;
  }

  /**
   * When false, commits are not logged and cannot be rolled back: for blocks that certainly
   * precede the next epoch boundary.
   */
  logging = true;

  /** Room for `words` more entries in the undo log and the touched list. */
  private reserve(words: number): void {
    while (this.logging && this.undoLen + 2 * words > this.undo.length) this.undo = grow(this.undo);
    while (this.setTouchedLen + words > this.setTouched.length) this.setTouched = grow(this.setTouched);
  }

  /** commitRun over runs that all sit at the same bit offset of their word(s): fixed masks. */
  private commitAligned(start: number, length: number, strideWords: number, count: number): number {
    const end = start + length - 1;
    let w = start >>> 5;
    const span = (end >>> 5) - w;
    const m0 = wordMask(start & 31, span === 0 ? end & 31 : 31);
    const m1 = span === 0 ? 0 : wordMask(0, end & 31);
    this.reserve(count * (span + 1));
    const log = this.logging;
    const set = this.set;
    const undo = this.undo;
    const touched = this.setTouched;
    let undoLen = this.undoLen;
    let touchedLen = this.setTouchedLen;
    let n = 0;
    for (let i = 0; i < count; i++, w += strideWords) {
      for (let k = 0; k <= span; k++) {
        const word = w + k;
        const mask = k === 0 ? m0 : m1;
        const old = set[word]!;
        const added = mask & ~old;
        if (added === 0) continue;
        n += popcount(added);
        if (log) {
          undo[undoLen++] = word;
          undo[undoLen++] = old;
        }
        if (old === 0) touched[touchedLen++] = word;
        set[word] = old | mask;
      }
    }
    this.undoLen = undoLen;
    this.setTouchedLen = touchedLen;
    return n;
  }

  run(start: number, length: number, probe: boolean): number {
    return probe ? this.probeRun(start, length) : this.commitRun(start, length);
  }

  /** Adds [start, start + length) to the set, logging changed words; returns how many were new. */
  commitRun(start: number, length: number): number {
    const end = start + length - 1;
    const wFirst = start >>> 5;
    const wLast = end >>> 5;
    this.reserve(wLast - wFirst + 1);
    const log = this.logging;
    const set = this.set;
    const undo = this.undo;
    const touched = this.setTouched;
    let undoLen = this.undoLen;
    let touchedLen = this.setTouchedLen;
    let count = 0;
    for (let w = wFirst; w <= wLast; w++) {
      const mask = wordMask(w === wFirst ? start & 31 : 0, w === wLast ? end & 31 : 31);
      const old = set[w]!;
      const added = mask & ~old;
      if (added === 0) continue;
      count += popcount(added);
      if (log) {
        undo[undoLen++] = w;
        undo[undoLen++] = old;
      }
      if (old === 0) touched[touchedLen++] = w;
      set[w] = old | mask;
    }
    this.undoLen = undoLen;
    this.setTouchedLen = touchedLen;
    return count;
  }

  /** Counts words of the run in neither the set nor the scratch, then marks them in the scratch. */
  probeRun(start: number, length: number): number {
    const set = this.set;
    const scratch = this.scratch;
    const end = start + length - 1;
    const wFirst = start >>> 5;
    const wLast = end >>> 5;
    let count = 0;
    for (let w = wFirst; w <= wLast; w++) {
      const mask = wordMask(w === wFirst ? start & 31 : 0, w === wLast ? end & 31 : 31);
      const old = scratch[w]!;
      const added = mask & ~set[w]! & ~old;
      if (added !== 0) count += popcount(added);
      if ((mask & ~old) !== 0) this.markScratch(w, old, old | mask);
    }
    return count;
  }
}

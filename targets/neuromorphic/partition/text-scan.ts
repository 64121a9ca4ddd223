/**
 * A line-and-integer scanner over raw bytes, shared by the METIS, hMETIS and partition-file
 * readers. It works on a Uint8Array rather than a string because a million-neuron graph is a
 * file of hundreds of megabytes: splitting it into strings would cost more than partitioning it.
 * Every failure is a KilnError pointing at file:line:col with a hint.
 */
import { readInputBytes } from '../../../compiler/io/read-input.ts';
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';

const NL = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const PERCENT = 37;

function isBlank(c: number): boolean {
  return c === SP || c === TAB || c === CR;
}

export class LineScanner {
  /** 1-based number of the current line (0 before the first). */
  line = 0;
  private lineStart = 0;
  private lineEnd = 0;
  private next = 0;
  /** Cursor inside the current line. */
  private cur = 0;
  private tokStart = 0;

  constructor(
    private readonly bytes: Uint8Array,
    readonly file: string,
    private readonly code: string,
  ) {}

  static fromInput(input: string | Uint8Array, file: string, code: string): LineScanner {
    const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
    return new LineScanner(bytes, file, code);
  }

  /** Moves to the next line; false at end of input. Comment lines (first non-blank is `%`) are skipped. */
  nextLine(skipBlank: boolean): boolean {
    const b = this.bytes;
    for (;;) {
      if (this.next >= b.length) return false;
      const s = this.next;
      let e = b.indexOf(NL, s);
      if (e < 0) e = b.length;
      this.next = e + 1;
      this.line++;
      let i = s;
      while (i < e && isBlank(b[i]!)) i++;
      if (i < e && b[i] === PERCENT) continue;
      if (skipBlank && i === e) continue;
      this.lineStart = s;
      this.lineEnd = e;
      this.cur = s;
      return true;
    }
  }

  /** Skips blanks; true when another token follows on this line. */
  hasToken(): boolean {
    const b = this.bytes;
    let i = this.cur;
    while (i < this.lineEnd && isBlank(b[i]!)) i++;
    this.cur = i;
    return i < this.lineEnd;
  }

  /** Reads a non-negative decimal integer; `what` names it in the error message. */
  readInt(what: string): number {
    if (!this.hasToken()) this.fail(`expected ${what}, found the end of the line`, 1, `every line must list its ${what} explicitly`, true);
    const b = this.bytes;
    let i = this.cur;
    this.tokStart = i;
    let v = 0;
    let c = b[i]!;
    if (c === 45) this.failToken(`${what} must not be negative`, `write a non-negative integer`);
    while (i < this.lineEnd) {
      c = b[i]!;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    if (i === this.tokStart || (i < this.lineEnd && !isBlank(b[i]!))) {
      while (i < this.lineEnd && !isBlank(b[i]!)) i++;
      this.cur = i;
      this.failToken(`expected ${what} (an integer), found \`${this.tokenText()}\``, 'the format holds whitespace-separated integers only');
    }
    if (v > Number.MAX_SAFE_INTEGER) this.failToken(`${what} is too large`, 'use integers below 2^53');
    this.cur = i;
    return v;
  }

  /**
   * The rest of the line's integers, written to `out` from `at` on, when every token is a plain
   * decimal of at most 9 digits and they fit in `out`: returns where they end. Otherwise −1. The
   * cursor stays put either way, so a caller that finds a fault reads the line again with
   * `readInt` and reports it in its words; `skipLine` consumes a line the caller accepts.
   * Why: the pin lines of a hypergraph are most of its file, and a loop over their bytes reads
   * them about twice as fast as a call per token (the U-Net's 7 MB .hgr: 0.108 → 0.05–0.06 CPU s
   * on a process's first read).
   */
  peekInts(out: Int32Array, at: number): number {
    const b = this.bytes;
    const end = this.lineEnd;
    let n = at;
    let i = this.cur;
    while (i < end) {
      let c = b[i]!;
      if (isBlank(c)) {
        i++;
        continue;
      }
      const s = i;
      let v = 0;
      while (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        if (++i === end) break;
        c = b[i]!;
      }
      if (i === s || i - s > 9 || n === out.length || (i < end && !isBlank(c))) return -1;
      out[n++] = v;
    }
    return n;
  }

  /** Consumes the rest of the current line. */
  skipLine(): void {
    this.cur = this.lineEnd;
  }

  /** The text of the current line (for error messages and format flags). */
  tokenText(): string {
    let i = this.tokStart;
    while (i < this.lineEnd && !isBlank(this.bytes[i]!)) i++;
    return new TextDecoder().decode(this.bytes.subarray(this.tokStart, i));
  }

  /** Reads the next token as raw text (used for the METIS `fmt` flag whose digits are flags). */
  readWord(): string {
    this.hasToken();
    this.tokStart = this.cur;
    let i = this.cur;
    while (i < this.lineEnd && !isBlank(this.bytes[i]!)) i++;
    this.cur = i;
    return new TextDecoder().decode(this.bytes.subarray(this.tokStart, i));
  }

  /** Column of the last token read, 1-based. */
  tokenCol(): number {
    return this.tokStart - this.lineStart + 1;
  }

  /** Fails at the last token read. */
  failToken(message: string, hint: string): never {
    let i = this.tokStart;
    while (i < this.lineEnd && !isBlank(this.bytes[i]!)) i++;
    throw new KilnError(error(this.code, message, { file: this.file, line: this.line, col: this.tokStart - this.lineStart + 1, length: Math.max(1, i - this.tokStart) }, hint));
  }

  /** Fails at the cursor (or at the end of the line when `atEnd`). */
  fail(message: string, length: number, hint: string, atEnd = false): never {
    const at = atEnd ? this.lineEnd : this.cur;
    let end = at;
    while (end > this.lineStart && isBlank(this.bytes[end - 1]!)) end--;
    const col = (atEnd ? end : at) - this.lineStart + 1;
    throw new KilnError(error(this.code, message, { file: this.file, line: Math.max(1, this.line), col: Math.max(1, col), length }, hint));
  }

  /** Fails at a given line (used for whole-file checks such as a wrong count in the header). */
  failAt(line: number, col: number, message: string, hint: string, length = 1): never {
    throw new KilnError(error(this.code, message, { file: this.file, line: Math.max(1, line), col, length }, hint));
  }

  /** Requires that only blank and comment lines remain. */
  expectEnd(what: string, hint: string): void {
    if (this.nextLine(true)) {
      this.hasToken();
      this.tokStart = this.cur;
      this.failToken(`unexpected data after the ${what}`, hint);
    }
  }
}

/** Reads a whole file as bytes, turning I/O failures into a KilnError. */
export function readBytes(path: string, code: string): Uint8Array {
  return readInputBytes(path, { kind: 'data', code });
}

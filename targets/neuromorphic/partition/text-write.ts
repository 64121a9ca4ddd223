/**
 * A buffered writer of integers and lines, to a file descriptor or into memory. Formatting a
 * 50-million-entry adjacency through strings would exceed V8's string limit, so digits go
 * straight into a byte buffer that is flushed in chunks.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';

const CHUNK = 1 << 20;

export class ByteWriter {
  private buf = new Uint8Array(CHUNK);
  private len = 0;
  private readonly chunks: Uint8Array[] = [];

  private constructor(private readonly fd: number | null) {}

  static toMemory(): ByteWriter {
    return new ByteWriter(null);
  }

  static toFile(path: string): ByteWriter {
    try {
      return new ByteWriter(openSync(path, 'w'));
    } catch (e) {
      throw new KilnError(error('partition-io', `cannot write \`${path}\`: ${(e as Error).message}`, undefined, 'check that the directory exists and is writable'));
    }
  }

  private flush(): void {
    if (this.len === 0) return;
    if (this.fd === null) this.chunks.push(this.buf.slice(0, this.len));
    else writeSync(this.fd, this.buf, 0, this.len);
    this.len = 0;
  }

  private room(n: number): void {
    if (this.len + n > this.buf.length) this.flush();
  }

  text(s: string): this {
    const bytes = new TextEncoder().encode(s);
    if (bytes.length > CHUNK) {
      this.flush();
      if (this.fd === null) this.chunks.push(bytes);
      else writeSync(this.fd, bytes);
      return this;
    }
    this.room(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** A non-negative integer (the formats hold no others). */
  int(v: number): this {
    this.room(24);
    const b = this.buf;
    if (v === 0) {
      b[this.len++] = 48;
      return this;
    }
    let digits = 0;
    for (let t = v; t >= 1; t = Math.floor(t / 10)) digits++;
    let p = this.len + digits;
    this.len = p;
    for (let t = v; t >= 1; t = Math.floor(t / 10)) b[--p] = 48 + (t % 10);
    return this;
  }

  space(): this {
    this.room(1);
    this.buf[this.len++] = 32;
    return this;
  }

  newline(): this {
    this.room(1);
    this.buf[this.len++] = 10;
    return this;
  }

  /** Closes a file writer, or returns the collected text of a memory writer. */
  finish(): string {
    this.flush();
    if (this.fd !== null) {
      closeSync(this.fd);
      return '';
    }
    return new TextDecoder().decode(Buffer.concat(this.chunks));
  }
}

/** Weights in METIS and hMETIS files are integers; a fractional one cannot be written faithfully. */
export function requireIntegerWeight(v: number, what: string, index: number, allowZero: boolean): void {
  if (!Number.isInteger(v) || v < 0 || (!allowZero && v === 0)) {
    throw new KilnError(error('partition-format', `${what} ${index + 1} is ${v}; the file format needs ${allowZero ? 'a non-negative' : 'a positive'} integer`, undefined, 'scale the weights (e.g. rates × 1000) and round them before writing'));
  }
}

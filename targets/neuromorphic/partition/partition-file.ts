/**
 * Partition files as gpmetis and hmetis write them (`<graph>.part.<k>`): one 0-based part id per
 * line, in vertex order.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { LineScanner, readBytes } from './text-scan.ts';
import { ByteWriter } from './text-write.ts';

const CODE = 'partition-file';

export interface ReadPartitionOptions {
  /** Expected number of vertices; a mismatch is an error. */
  readonly nv?: number;
  /** Number of parts; ids must be below it. */
  readonly k?: number;
}

export function parsePartition(input: string | Uint8Array, file = '<partition>', opts: ReadPartitionOptions = {}): Int32Array {
  const sc = LineScanner.fromInput(input, file, CODE);
  let out = new Int32Array(opts.nv ?? 1024);
  let n = 0;
  while (sc.nextLine(true)) {
    const p = sc.readInt('a part id');
    if (opts.k !== undefined && p >= opts.k) sc.failToken(`part id ${p} is not below k = ${opts.k}`, 'part ids are 0-based, from 0 to k-1');
    if (p > 0x7fffffff) sc.failToken(`part id ${p} is too large`, 'part ids are 0-based integers below 2^31');
    if (sc.hasToken()) {
      sc.readWord();
      sc.failToken('more than one value on a line', 'a partition file holds one part id per line, in vertex order');
    }
    if (opts.nv !== undefined && n >= opts.nv) sc.failToken(`more than ${opts.nv} lines`, `the partition must have one line per vertex (${opts.nv})`);
    if (n === out.length) {
      const grown = new Int32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = p;
  }
  if (opts.nv !== undefined && n !== opts.nv) {
    throw new KilnError(error(CODE, `the partition lists ${n} vertices but the graph has ${opts.nv}`, { file, line: Math.max(1, sc.line), col: 1 }, 'was the partition computed for this graph?'));
  }
  return out.slice(0, n);
}

export function readPartitionFile(path: string, opts?: ReadPartitionOptions): Int32Array {
  return parsePartition(readBytes(path, CODE), path, opts);
}

export function formatPartition(parts: Int32Array): string {
  const w = ByteWriter.toMemory();
  for (let i = 0; i < parts.length; i++) w.int(parts[i]!).newline();
  return w.finish();
}

export function writePartitionFile(path: string, parts: Int32Array): void {
  const w = ByteWriter.toFile(path);
  try {
    for (let i = 0; i < parts.length; i++) w.int(parts[i]!).newline();
  } finally {
    w.finish();
  }
}

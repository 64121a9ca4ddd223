/**
 * The `mnist` package's digits parsed once into a compact binary file, because parsing its 21 MB
 * of JSON costs about half a second of CPU on every command that reads MNIST, more than a binary
 * network's whole inference on the 2,000 test digits.
 *
 * The file holds each distinct pixel value once (the package has 256 of them) as float32, one byte
 * per pixel indexing that table, and one byte per label, so reading it gives back exactly the
 * Float32Array the JSON gives. Its header names the package version and each source file's size
 * and modification time (a reinstalled package makes it stale) and a SHA-256 of the payload (a
 * damaged file is rebuilt, never believed). Written atomically (temporary file, rename), so
 * concurrent commands never see half a file; where no directory is writable the JSON is parsed
 * every time and the reason is kept for `kiln run --timing`.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { statOrUndefined, writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import { readInputBytes } from '../../compiler/io/read-input.ts';

const MAGIC = 'kiln-mnist-cache 1\n';

export interface MnistArrays { x: Float32Array; y: Int32Array; count: number }

/**
 * The identity of the parsed sources: a cache made from other bytes is stale. Undefined when a
 * source cannot be stat'ed: the parse that follows then says, at the file, what is wrong.
 */
export function sourceKey(version: string, files: string[]): string | undefined {
  const parts = [version];
  for (const f of files) {
    const st = statOrUndefined(f);
    if (!st) return undefined;
    parts.push(`${path.basename(f)}:${st.size}:${Math.round(st.mtimeMs)}`);
  }
  return parts.join(' ');
}

/**
 * A cache directory is believed only if it is a real directory of this user that no one else may
 * write: the fallback lives in the shared temp directory, where another user could create it first
 * and plant a file whose key (sizes and times anyone can stat) and checksum both match.
 */
function privateDir(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The cache file's bytes, or undefined when the digits have more than 256 distinct values. */
function encodeCache(key: string, d: MnistArrays): Uint8Array | undefined {
  const levels: number[] = [];
  const index = new Map<number, number>();
  const idx = new Uint8Array(d.x.length);
  for (let i = 0; i < d.x.length; i++) {
    const v = d.x[i]!;
    let at = index.get(v);
    if (at === undefined) {
      if (levels.length === 256) return undefined;
      index.set(v, (at = levels.length));
      levels.push(v);
    }
    idx[i] = at;
  }
  const payload = Buffer.concat([Buffer.from(Float32Array.from(levels).buffer), idx, Uint8Array.from(d.y)]);
  const header = JSON.stringify({ key, count: d.count, pixels: d.x.length / d.count, levels: levels.length, sha256: createHash('sha256').update(payload).digest('hex') });
  return Buffer.concat([Buffer.from(MAGIC + header + '\n'), payload]);
}

/** The digits in a cache file, or why it cannot be used (damaged, stale). */
function decodeCache(bytes: Buffer, key: string): MnistArrays | string {
  if (bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return 'not a Kiln MNIST cache';
  const nl = bytes.indexOf(10, MAGIC.length);
  if (nl < 0) return 'damaged header';
  let h: { key?: unknown; count?: unknown; pixels?: unknown; levels?: unknown; sha256?: unknown };
  try {
    h = JSON.parse(bytes.toString('utf8', MAGIC.length, nl)) as typeof h;
  } catch {
    return 'damaged header';
  }
  if (h.key !== key) return 'stale (made from another copy of the package)';
  const { count, pixels, levels } = h;
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(pixels) || !Number.isSafeInteger(levels) || !((levels as number) >= 1 && (levels as number) <= 256)) return 'damaged header';
  const [n, per, l] = [count as number, pixels as number, levels as number];
  const payload = bytes.subarray(nl + 1);
  if (payload.length !== 4 * l + n * per + n) return 'truncated';
  if (createHash('sha256').update(payload).digest('hex') !== h.sha256) return 'checksum mismatch';
  const table = new Float32Array(l);
  new Uint8Array(table.buffer).set(payload.subarray(0, 4 * l));
  const idx = payload.subarray(4 * l, 4 * l + n * per);
  const x = new Float32Array(n * per);
  for (let i = 0; i < x.length; i++) x[i] = table[idx[i]!]!;
  return { x, y: Int32Array.from(payload.subarray(4 * l + n * per)), count: n };
}

/**
 * The digits from the first usable cache in `dirs`, else parsed by `parse` and cached in the first
 * writable one; `note` says which happened (and why a cache was rebuilt or could not be written).
 */
export function cachedMnist(dirs: string[], name: string, key: string | undefined, parse: () => MnistArrays): { data: MnistArrays; note: string } {
  if (key === undefined) return { data: parse(), note: 'parsed the JSON (a source file could not be stat\'ed: no cache)' };
  const problems: string[] = [];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (!privateDir(dir)) continue;
    let bytes: Uint8Array;
    try {
      // Through the one reader: a FIFO or device planted where the cache goes must not hang the run.
      bytes = readInputBytes(file, { kind: 'data', what: 'MNIST cache' });
    } catch {
      continue;
    }
    const d = decodeCache(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), key);
    if (typeof d !== 'string') return { data: d, note: `from the cache ${file}` };
    problems.push(`${file}: ${d}, rebuilt`);
  }
  const data = parse();
  const bytes = encodeCache(key, data);
  if (!bytes) return { data, note: 'parsed the JSON (more than 256 distinct pixel values: not cached)' };
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!privateDir(dir)) {
        problems.push(`${dir} is not a directory of this user closed to others: not used`);
        continue;
      }
      writeFileAtomic(file, bytes, 'MNIST cache');
      return { data, note: `parsed the JSON, cached in ${file}${problems.length ? ` (${problems.join('; ')})` : ''}` };
    } catch (e) {
      problems.push(`${dir} not writable: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { data, note: `parsed the JSON; no cache (${problems.join('; ')})` };
}

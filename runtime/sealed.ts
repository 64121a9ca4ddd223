/**
 * Sealed files: one JSON header line naming the file's kind and format version and carrying a
 * SHA-256 of the body, then a JSON body. Checkpoints and export files share the format, so a
 * truncated or edited file of either kind is caught the same way before its body is read, and the
 * body is then checked field by field through BodyReader, whose errors name the field.
 */
import { createHash } from 'node:crypto';
import { error, KilnError } from '../compiler/lang/diagnostics.ts';
import { statOrUndefined } from '../compiler/io/atomic-write.ts';
import { readInputRange, readInputText } from '../compiler/io/read-input.ts';

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const show = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 60);

/** Field-by-field checks of a sealed body; a bad field is an error naming it. */
export class BodyReader {
  constructor(private readonly file: string, private readonly k: Pick<SealedKind, 'what' | 'rewrite'>) {}

  fail(at: string, why: string, line = 2): KilnError {
    return new KilnError(error('checkpoint', `\`${this.file}\` is not a valid ${this.k.what}: ${at ? `${at} ` : ''}${why}`, { file: this.file, line, col: 1 }, this.k.rewrite));
  }

  object(v: unknown, at: string): Json {
    if (!isObject(v)) throw this.fail(at, `must be an object, not ${show(v)}`);
    return v;
  }

  count(v: unknown, at: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.fail(at, `must be a whole number ≥ 0, not ${show(v)}`);
    return v;
  }

  /**
   * The bytes of a base64 string. Node's decoder skips characters outside the alphabet (and takes
   * base64url's), so the string is base64 exactly when its bytes encode back to it: two native
   * linear passes, where a regular expression over a checkpoint's megabytes took up to a second.
   */
  base64(v: unknown, at: string, what = 'a base64 string'): Buffer {
    if (typeof v !== 'string') throw this.fail(at, `must be ${what}`);
    const bytes = Buffer.from(v, 'base64');
    if (bytes.toString('base64') === v) return bytes;
    const bad = v.search(/[^A-Za-z0-9+/=]/);
    throw this.fail(at, `must be ${what}: ${bad >= 0 ? `character ${bad} is ${JSON.stringify(v[bad])}` : v.length % 4 ? `its length ${v.length} is not a multiple of 4` : 'its padding is misplaced or its last character has bits set beyond the data'}`);
  }

  /** A base64 float32 tensor whose every value is finite. */
  tensor(v: unknown, at: string, length?: number): Float32Array {
    const bytes = this.base64(v, at, 'a base64 string of float32 values');
    if (bytes.byteLength % 4 !== 0) throw this.fail(at, `holds ${bytes.byteLength} bytes, not a whole number of float32 values`);
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    if (length !== undefined && out.length !== length) throw this.fail(at, `holds ${out.length} values, but its parameter holds ${length}`);
    // A plain loop: findIndex's callback per value cost six times as much on a checkpoint's millions.
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) throw this.fail(at, `holds ${out[i]} at index ${i}; weights must be finite numbers (the run diverged before this checkpoint)`);
    }
    return out;
  }

  key(k: string, at: string): string {
    const slash = k.lastIndexOf('/');
    if (slash <= 0 || slash === k.length - 1) throw this.fail(`${at}[${JSON.stringify(k)}]`, 'is not a parameter name of the form NODE/PARAM');
    return k;
  }
}

/** What a sealed file is: the header's `kiln` kind and version, and how errors name and fix it. */
export interface SealedKind {
  kind: string;
  version: number;
  /** "Kiln checkpoint", for "`F` is not a valid Kiln checkpoint: …" */
  what: string;
  /** How to get a good file. */
  rewrite: string;
  /** What to do about a file of another format version. */
  versionHint: string;
}

/** A sealed file's header line as read, and parsed (undefined when it is not JSON). */
export interface SealedHeader { line: string; json: unknown }

/**
 * Read a sealed file's header once: the caller picks a reader by its kind (`sealedKindOf`) and
 * hands it to that reader, which would otherwise read it again. `what` names the file in an error
 * before its kind is known: "checkpoint or export" where a flag takes either.
 */
export function readSealedHeader(file: string, what: string): SealedHeader {
  const line = headerLine(file, what);
  return { line, json: parseHeader(line) };
}

/** A header line's JSON, undefined when it is not JSON (checkHeader says what is wrong). */
function parseHeader(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The `kiln` kind a header names (undefined when it has none), to pick a reader. */
export function sealedKindOf(h: SealedHeader): string | undefined {
  return isObject(h.json) && typeof h.json.kiln === 'string' ? h.json.kiln : undefined;
}

/**
 * A sealed file's first line. Of a regular file only its first block is read: the reader that
 * follows reads the whole file anyway, and reading a 47 MB checkpoint twice showed in `kiln run`'s
 * profile. Anything else (missing, a FIFO, a header longer than the block) goes through the
 * reader that says what is wrong with it.
 */
function headerLine(file: string, what: string): string {
  if (statOrUndefined(file)?.isFile()) {
    // Through the one reader: the path may have become a FIFO or an unreadable file since the stat.
    const text = readInputRange(file, 0, 4096, { kind: 'data', what }).toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl);
  }
  const text = readSealedText(file, what);
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

function readSealedText(file: string, kind: string): string {
  return readInputText(file, { kind: 'data', what: kind });
}

/** The header line's checks: kind and format version. */
function checkHeader(r: BodyReader, file: string, header: unknown, k: SealedKind): Json {
  if (!isObject(header) || header.kiln !== k.kind) throw r.fail('', `no header line \`{"kiln": "${k.kind}", …}\``, 1);
  if (header.version !== k.version) {
    throw new KilnError(error('checkpoint', `${k.kind} \`${file}\` is format version ${show(header.version)}; this Kiln reads version ${k.version}`, { file, line: 1, col: 1 },
      k.versionHint));
  }
  return header;
}

export const MISMATCH = 'checksum mismatch (the file is truncated or was edited)';

export function parseBody(r: BodyReader, body: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw r.fail('the body', `is not JSON: ${(e as Error).message}`);
  }
  return r.object(doc, 'the body');
}

/** Read a sealed file, check its header and checksum, and parse its body as a JSON object. */
export function openSealed(file: string, k: SealedKind): { r: BodyReader; body: Json } {
  const text = readSealedText(file, k.kind);
  const r = new BodyReader(file, k);
  const nl = text.indexOf('\n');
  const header = checkHeader(r, file, parseHeader(nl < 0 ? text : text.slice(0, nl)), k);
  if (nl < 0) throw r.fail('the body', 'is missing (the file is truncated)', 1);
  const body = text.slice(nl + 1).replace(/\n$/, '');
  if (createHash('sha256').update(body).digest('hex') !== (header as Json).sha256) throw r.fail('', MISMATCH, 1);
  return { r, body: parseBody(r, body) };
}

/**
 * The one way Kiln reads a file it was given: sources, imports, module JSON, rates, SCALE-Sim
 * files, METIS/hMETIS files, ONNX models, checkpoints, input samples. A path can name anything:
 * `/dev/zero` never ends, a FIFO blocks until a writer comes, a directory has no bytes, and a
 * multi-gigabyte file exhausts memory before any parser sees it. So the file is opened without
 * blocking, checked by its descriptor (no gap between the check and the read for another process
 * to swap the file), refused unless it is a regular file under the cap, and only then read.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { error, KilnError } from '../lang/diagnostics.ts';
import { stripBom } from './text.ts';

const MiB = 1024 * 1024;

/**
 * Caps, in bytes. Text inputs (sources, module JSON, rates, configs) are written or generated for
 * one network: the largest example, resnet18's module JSON, is ~40 KiB, so 64 MiB is far beyond
 * any real one while a hostile file stays well inside the memory a check may use. Data inputs
 * (checkpoints, ONNX models and tensors, input samples, METIS graphs) grow with the weights and the
 * data: a ResNet-50 ONNX model is ~100 MiB and its Adam checkpoint (weights + two moments, base64)
 * ~400 MiB, so their cap is 512 MiB, about V8's longest string (2^29 − 24 characters) anyway.
 */
export const READ_LIMITS = { text: 64 * MiB, data: 512 * MiB } as const;

export type InputKind = keyof typeof READ_LIMITS;

export interface ReadOptions {
  /** Which cap applies (default text). */
  kind?: InputKind;
  /** What the file is, for the message: "checkpoint", "rates file". */
  what?: string;
  /** The diagnostic code (default `io`). */
  code?: string;
}

function refuse(file: string, why: string, o: ReadOptions, hint?: string): KilnError {
  return new KilnError(error(o.code ?? 'io', `cannot read ${o.what ? o.what + ' ' : ''}\`${file}\`: ${why}`, undefined, hint));
}

function errnoReason(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return 'no such file';
    case 'EISDIR': return 'it is a directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'a part of the path is not a directory';
    case 'ENAMETOOLONG': return 'the path is too long';
    case 'ELOOP': return 'too many symbolic links';
    case 'ERR_STRING_TOO_LONG': return 'it is too large to hold as text';
    default: return (e as Error).message ?? String(e);
  }
}

/** A regular file's descriptor, or a KilnError saying why the path is refused. */
function openChecked(file: string, o: ReadOptions): number {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw refuse(file, errnoReason(e), o);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw refuse(file, 'it is a directory', o, 'give a file');
    if (!st.isFile()) throw refuse(file, 'it is not a regular file (a device, FIFO or socket)', o, 'give a regular file; copy the data into one first');
    const cap = READ_LIMITS[o.kind ?? 'text'];
    if (st.size > cap) throw refuse(file, `it is ${(st.size / MiB).toFixed(1)} MiB, over Kiln's ${cap / MiB} MiB limit for ${o.kind === 'data' ? 'data' : 'text'} inputs`, o, 'see "Limits" in docs/language.md');
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function readChecked<T>(file: string, o: ReadOptions, read: (fd: number) => T): T {
  const fd = openChecked(file, o);
  try {
    return read(fd);
  } catch (e) {
    throw refuse(file, errnoReason(e), o);
  } finally {
    closeSync(fd);
  }
}

/** A file's text (UTF-8, without a byte-order mark), refused with a KilnError if it is not a regular file under its cap. */
export function readInputText(file: string, o: ReadOptions = {}): string {
  return stripBom(readChecked(file, o, (fd) => readFileSync(fd, 'utf8')));
}

/** A file's bytes, with the same checks. */
export function readInputBytes(file: string, o: ReadOptions = {}): Uint8Array {
  return readChecked(file, o, (fd) => readFileSync(fd));
}

/**
 * Up to `length` bytes of a file from byte `start` (fewer when the file ends first), with the same
 * checks: a reader that needs one section of a large file need not read the rest.
 */
export function readInputRange(file: string, start: number, length: number, o: ReadOptions = {}): Buffer {
  return readChecked(file, o, (fd) => {
    // A length from the file's own header is not trusted: never allocate past the file's end.
    length = Math.max(0, Math.min(length, fstatSync(fd).size - start));
    const out = Buffer.alloc(length);
    let got = 0;
    for (let n: number; got < length && (n = readSync(fd, out, got, length - got, start + got)) > 0;) got += n;
    return out.subarray(0, got);
  });
}

/**
 * Write a whole file or nothing: the text goes to a temporary file beside the target, is synced,
 * and replaces the target by rename, so an error or a kill mid-write never leaves a half-written
 * checkpoint, mapping, partition or picture where a good one was.
 *
 * What the target may be:
 * - a symlink is followed: the file it points to is replaced and the link stays a link (renaming
 *   over the link itself would silently turn it into a regular file);
 * - a character device (/dev/null, /dev/stdout, a terminal) is written through, never replaced:
 *   a rename would put a regular file where the device node was;
 * - a directory, FIFO, socket or block device is refused (a FIFO without a reader would hang).
 *
 * Temporary files are named `.NAME.PID.kiln-tmp`, so one left behind by a killed run is
 * recognisable, and the next write of NAME removes those whose process is gone.
 */
import { closeSync, fsyncSync, openSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { error, KilnError } from '../lang/diagnostics.ts';

const TEMP_SUFFIX = '.kiln-tmp';

export function tempNameFor(file: string, pid = process.pid): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${pid}${TEMP_SUFFIX}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temporary files of `file` left by runs that were killed mid-write. */
export function removeStaleTemps(file: string): void {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const pid = Number(name.slice(prefix.length, -TEMP_SUFFIX.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || (pid !== process.pid && alive(pid))) continue;
    try {
      unlinkSync(path.join(dir, name));
    } catch {
      /* another run cleaned it first */
    }
  }
}

/** A path's stat, or undefined where there is nothing (or nothing reachable) there. */
export function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** Why `file` cannot be an output, or undefined; follows symlinks as the writer does. */
export function unwritableKind(st: Stats | undefined): string | undefined {
  if (!st || st.isFile() || st.isCharacterDevice()) return undefined;
  if (st.isDirectory()) return 'is a directory';
  if (st.isFIFO()) return 'is a named pipe (FIFO)';
  if (st.isSocket()) return 'is a socket';
  return 'is not a regular file';
}

function fail(file: string, what: string, why: string, hint = 'check that the directory exists and is writable'): KilnError {
  return new KilnError(error('io', `cannot write ${what} \`${file}\`: ${why}`, undefined, hint));
}

export function writeFileAtomic(file: string, text: string | Uint8Array, what: string): void {
  const st = statOrUndefined(file);
  const odd = unwritableKind(st);
  if (odd) throw fail(file, what, odd, 'give a regular file name');
  if (st?.isCharacterDevice()) {
    writeThrough(file, text, what);
    return;
  }
  // An existing symlink chain resolves to the file it names; a dangling one is not followed.
  let target = file;
  try {
    target = realpathSync(file);
  } catch {
    /* a new file */
  }
  removeStaleTemps(target);
  const tmp = tempNameFor(target);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeAll(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    throw fail(file, what, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message);
  }
}

// Two calls because writeSync's overloads take a string or bytes, not their union.
const writeAll = (fd: number, data: string | Uint8Array): number => (typeof data === 'string' ? writeSync(fd, data) : writeSync(fd, data));

function writeThrough(file: string, text: string | Uint8Array, what: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'w');
    writeAll(fd, text);
  } catch (e) {
    throw fail(file, what, (e as Error).message);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

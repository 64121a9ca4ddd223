/**
 * Write a whole file or nothing: the text goes to a temporary file beside the target, is synced,
 * and replaces the target by rename, so an error or a kill mid-write never leaves a half-written
 * mapping, partition or picture where a good one was.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { error, KilnError } from '../lang/diagnostics.ts';

export function writeFileAtomic(file: string, text: string, what: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    throw new KilnError(error('io', `cannot write ${what} \`${file}\`: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`, undefined, 'check that the directory exists and is writable'));
  }
}

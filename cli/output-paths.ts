/**
 * Every command that writes files checks its output paths here, before it starts work: a run
 * that trains for an hour and then finds its checkpoint directory missing, or that overwrites
 * the network it was reading, is worse than one refused at once. The write itself
 * (compiler/io/atomic-write.ts) follows symlinks and writes through character devices; the
 * checks here make the same choices.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { statOrUndefined, unwritableKind } from '../compiler/io/atomic-write.ts';
import { splitSelector } from '../compiler/driver.ts';
import { UsageError } from './args.ts';

/** An output option and its path (undefined when the option was not given). */
export type Output = readonly [flag: string, file: string | undefined];


/** The file a path names once symlinks are followed (itself when it does not exist yet). */
function identity(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return path.join(realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      return path.resolve(file);
    }
  }
}

/** `FILE.kiln:NETWORK` reads FILE.kiln. */
export function inputFiles(spec: string | undefined): string[] {
  return spec ? [splitSelector(spec).file] : [];
}

export function checkOutputs(command: string, outputs: readonly Output[], inputs: readonly (string | undefined)[]): void {
  const inputIds = new Map<string, string>();
  for (const i of inputs) if (i && statOrUndefined(i)?.isFile()) inputIds.set(identity(i), i);
  const seen = new Map<string, string>();
  for (const [flag, file] of outputs) {
    if (file === undefined) continue;
    const say = (why: string, hint: string) => new UsageError(`kiln ${command}: ${flag} \`${file}\` ${why}; ${hint}`);
    if (file.trim() === '') throw new UsageError(`kiln ${command}: ${flag} needs a file name, not an empty string`);
    if (/[/\\]$/.test(file)) throw say('names a directory', 'give a file name inside it');
    const st = statOrUndefined(file);
    const odd = unwritableKind(st);
    if (odd) throw say(odd, 'give a regular file name');
    const dir = path.dirname(file);
    const dst = statOrUndefined(dir);
    if (!dst) throw say(`cannot be written: the directory \`${dir}\` does not exist`, 'create it first');
    if (!dst.isDirectory()) throw say(`cannot be written: \`${dir}\` is not a directory`, 'give a path inside a directory');
    const id = identity(file);
    if (!st?.isCharacterDevice()) {
      try {
        accessSync(path.dirname(id), constants.W_OK);
        if (st) accessSync(id, constants.W_OK);
      } catch {
        throw say(st ? 'is not writable' : `cannot be written: the directory \`${dir}\` is not writable`, 'choose a writable location');
      }
    }
    const input = inputIds.get(id);
    if (input !== undefined && !st?.isCharacterDevice()) throw say(`is the input \`${input}\``, 'writing there would overwrite it; give another path');
    const other = seen.get(id);
    if (other !== undefined && !st?.isCharacterDevice()) throw say(`is also given to ${other}`, 'give each output its own path');
    seen.set(id, flag);
  }
}

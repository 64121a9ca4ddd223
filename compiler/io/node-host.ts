/** The front end's sources on disk (see compiler/lang/source-host.ts): the host the CLI uses. */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { SourceHost } from '../lang/source-host.ts';
import { readInputText } from './read-input.ts';

/** `readFile` replaces the disk reader (tests pass an in-memory map); folders are still listed from disk. */
export function nodeHost(readFile: (file: string) => string = (f) => readInputText(f)): SourceHost {
  return {
    readFile,
    kilnFiles(dir) {
      try {
        return readdirSync(dir).filter((f) => f.endsWith('.kiln')).sort().map((f) => path.join(dir, f));
      } catch {
        return [];
      }
    },
    resolveImport: (file, rel) => path.join(path.dirname(file), rel),
  };
}

/** `loadProgram`: the loader (load-sources.ts) reading from disk, or from the reader a test passes. */
import { nodeHost } from '../io/node-host.ts';
import { loadSources, type LibraryOptions, type Program } from './load-sources.ts';

export type { Program } from './load-sources.ts';

export interface LoadOptions extends LibraryOptions {
  /** Read a file; tests pass an in-memory map. Throws an Error with `code` ENOENT when missing. */
  readFile?: (file: string) => string;
}

export function loadProgram(root: string, opts: LoadOptions = {}): Program {
  return loadSources(root, nodeHost(opts.readFile), opts);
}

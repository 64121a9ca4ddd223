/**
 * Stack frames of the bundle in dist/, renamed to their TypeScript source line. The bundle's source
 * maps are read only here, when an internal error is reported: enabling them for the whole run
 * (process.setSourceMapsEnabled) costs every command ~10 MB of memory and ~40 ms of start-up.
 */
import { readInputText } from '../compiler/io/read-input.ts';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const FRAME = /((?:file:\/\/)?\/[^\s()]+\.js):(\d+):(\d+)/;

/** One line of a stack, with a bundle position replaced by its source position when the map has one. */
export function sourceFrame(line: string): string {
  const m = FRAME.exec(line);
  if (!m) return line;
  try {
    const file = m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!;
    const map = new SourceMap(JSON.parse(readInputText(file + '.map', { kind: 'data', what: 'source map' })));
    const e = map.findEntry(Number(m[2]) - 1, Number(m[3]) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!e.originalSource || e.originalLine === undefined || e.originalColumn === undefined) return line;
    const src = e.originalSource.startsWith('file:') ? fileURLToPath(e.originalSource) : path.resolve(path.dirname(file), e.originalSource);
    return line.replace(m[0], `${src}:${e.originalLine + 1}:${e.originalColumn + 1}`);
  } catch {
    return line; // no map beside the file (node's own code, sources run through tsx): keep it as it is
  }
}

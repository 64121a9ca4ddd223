/**
 * JSON read from a user's file with its errors located: a syntax error at the LINE:COL where
 * V8's parser gave up, and a bad value at the key that holds it, so a hand-edited file (a module,
 * an activity file) gets the same FILE:LINE:COL errors as a .kiln source.
 */
import type { Loc } from '../lang/ast.ts';
import { error, KilnError } from '../lang/diagnostics.ts';

/** Whether `prefix` can still begin a JSON document (it parses, or fails only for ending early). */
function viablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (e) {
    // V8 reports a document cut short as "Unexpected end…" or as an error at its last offset.
    const msg = (e as Error).message;
    const at = /position (\d+)/.exec(msg);
    return /Unexpected end of JSON input/.test(msg) || (at !== null && Number(at[1]) >= prefix.length);
  }
}

export function locAtOffset(text: string, offset: number, file: string, length = 1): Loc {
  const before = text.slice(0, offset).split('\n');
  return { file, line: before.length, col: before[before.length - 1]!.length + 1, length };
}

/**
 * Position of a JSON.parse failure: the offset V8 puts in some messages, else (for "Unexpected
 * token …", whose message quotes text but no offset) the end of the longest viable prefix.
 */
function jsonErrorLoc(text: string, message: string, file: string): Loc {
  const m = /position (\d+)/.exec(message);
  let offset = m ? Number(m[1]) : text.length;
  if (!m && !/Unexpected end of JSON input/.test(message)) {
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (viablePrefix(text.slice(0, mid))) lo = mid;
      else hi = mid - 1;
    }
    offset = lo;
  }
  return locAtOffset(text, offset, file);
}

/** JSON.parse, or a KilnError at the position of the syntax error with `hint` saying what the file should be. */
export function parseJsonLocated(text: string, file: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new KilnError(error('json', `invalid JSON: ${msg.replace(/ (in JSON )?at position \d+.*$/s, '').replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')}`, jsonErrorLoc(text, msg, file), hint));
  }
}

/**
 * Where the key at `path` is written (each key searched after its parent's), or the document's
 * start when it cannot be found; good enough for error positions in files Kiln or a person wrote.
 */
export function jsonKeyLoc(text: string, file: string, path: readonly string[]): Loc {
  let offset = 0;
  let found = -1;
  for (const key of path) {
    const re = new RegExp(`${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`, 'g');
    re.lastIndex = offset;
    const m = re.exec(text);
    if (!m) break;
    offset = m.index + 1;
    found = m.index;
  }
  return found < 0 ? { file, line: 1, col: 1, length: 1 } : locAtOffset(text, found, file, JSON.stringify(path[path.length - 1] ?? '').length);
}

/**
 * Diagnostics in the gcc/clang convention: `FILE:LINE:COL: error: MESSAGE`, the source line, a
 * caret under the offending text, then an optional hint. Every user-facing error in Kiln goes
 * through this shape so that editors and CI logs can jump to the position.
 */

export type Severity = 'error' | 'warning' | 'note';

export interface SourcePos {
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
  /** Length of the offending text, for the caret underline (at least 1). */
  length?: number;
}

export interface Diagnostic {
  severity: Severity;
  /** A stable kind name so tests and tools can match diagnostics without parsing prose. */
  code: string;
  message: string;
  pos?: SourcePos;
  hint?: string;
}

/** Thrown for user-caused failures; the CLI prints the diagnostics and exits 1, never a stack. */
export class KilnError extends Error {
  readonly diagnostics: Diagnostic[];
  /** Source texts, so the printer can show the offending lines. */
  sources?: ReadonlyMap<string, string>;
  constructor(diagnostics: Diagnostic[] | Diagnostic, sources?: ReadonlyMap<string, string>) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => d.message).join('; '));
    this.name = 'KilnError';
    this.diagnostics = list;
    this.sources = sources;
  }
}

export function error(code: string, message: string, pos?: SourcePos, hint?: string): Diagnostic {
  return { severity: 'error', code, message, pos, hint };
}

export function warning(code: string, message: string, pos?: SourcePos, hint?: string): Diagnostic {
  return { severity: 'warning', code, message, pos, hint };
}

/**
 * The diagnostics without repeats: a mistake inside a network that is built on its own and also
 * inlined into another is found once per build, but is one mistake.
 */
export function uniqueDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const key = JSON.stringify([d.severity, d.code, d.message, d.pos?.file, d.pos?.line, d.pos?.col]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** Source texts by file name, so a diagnostic can show the offending line. */
export type SourceMap = ReadonlyMap<string, string>;

/** A source split into lines once per file, not once per diagnostic: 20,000 errors in a 2 MB file would split it 20,000 times. */
type LineCache = Map<string, string[]>;

function sourceLine(file: string, line: number, sources: SourceMap, cache: LineCache): string | undefined {
  let lines = cache.get(file);
  if (!lines) {
    const text = sources.get(file);
    if (text === undefined) return undefined;
    // Lines end as the lexer ends them: \n, \r\n or a lone \r.
    lines = text.split(/\r\n?|\n/);
    cache.set(file, lines);
  }
  return lines[line - 1];
}

export function formatDiagnostic(d: Diagnostic, sources?: SourceMap, cache: LineCache = new Map()): string {
  const where = d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.col}: ` : 'kiln: ';
  const lines = [`${where}${d.severity}: ${d.message}`];
  if (d.pos && sources) {
    const srcLine = sourceLine(d.pos.file, d.pos.line, sources, cache);
    if (srcLine !== undefined) {
      const gutter = ' ' + String(d.pos.line).padStart(4) + ' | ';
      lines.push(gutter + srcLine);
      const width = Math.max(1, Math.min(d.pos.length ?? 1, srcLine.length - d.pos.col + 1));
      // Tabs in the prefix are kept so the caret lines up in a terminal.
      const prefix = srcLine.slice(0, d.pos.col - 1).replace(/[^\t]/g, ' ');
      lines.push(' '.repeat(gutter.length - 2) + '| ' + prefix + '^' + '~'.repeat(width - 1));
    }
  }
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

export function formatDiagnostics(diags: readonly Diagnostic[], sources?: SourceMap): string {
  const cache: LineCache = new Map();
  return diags.map((d) => formatDiagnostic(d, sources, cache)).join('\n');
}

/**
 * Edit distance counting a swap of two neighbouring letters as one edit (optimal string
 * alignment), for "did you mean" hints: `rleu` → `relu` is the commonest typo of all.
 */
export function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance that scales with the word's length, if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(1, Math.floor(word.length / 3)) + 1;
  const w = word.toLowerCase();
  for (const c of candidates) {
    // The distance is at least the difference in length.
    if (Math.abs(c.length - w.length) >= bestDist) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const c = closest(word, candidates);
  return c ? `did you mean \`${c}\`?` : undefined;
}

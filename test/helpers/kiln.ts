/**
 * Shared helpers for front-end tests: compile or check source text held in memory, and match
 * diagnostics by kind, position and wording without repeating the plumbing in every test.
 */
import { expect } from 'vitest';
import { checkFile, compile, type CheckResult, type CompileOptions, type CompileResult } from '../../compiler/driver.ts';
import { formatDiagnostics, KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { formatType } from '../../compiler/ir/dtype.ts';
import type { Module, Node } from '../../compiler/ir/module.ts';
import { memoryFiles } from './memfs.ts';

export interface SourceOptions {
  /** Name of the file holding `src` (default `main.kiln`). */
  file?: string;
  /** Further files, for imports. */
  files?: Record<string, string>;
  overrides?: Record<string, number>;
  /** Appended as `FILE:NETWORK`. */
  network?: string;
  instruments?: CompileOptions['instruments'];
}

function options(src: string, o: SourceOptions): { spec: string; opts: CompileOptions } {
  const file = o.file ?? 'main.kiln';
  return {
    spec: o.network ? `${file}:${o.network}` : file,
    opts: {
      readFile: memoryFiles({ ...o.files, [file]: src }),
      overrides: o.overrides ? new Map(Object.entries(o.overrides)) : undefined,
      instruments: o.instruments,
    },
  };
}

/** Compile source text; a KilnError fails the test with the formatted diagnostics. */
export function compileText(src: string, o: SourceOptions = {}): CompileResult {
  const { spec, opts } = options(src, o);
  try {
    return compile(spec, opts);
  } catch (e) {
    if (e instanceof KilnError) throw new Error(`expected a clean compile, got:\n${formatDiagnostics(e.diagnostics, e.sources)}`);
    throw e;
  }
}

/** Compile source text that must fail with a KilnError; returns the error. */
export function compileError(src: string, o: SourceOptions = {}): KilnError {
  const { spec, opts } = options(src, o);
  try {
    compile(spec, opts);
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('expected a KilnError, but the source compiled');
}

/** `kiln check` on source text, in memory. */
export function checkText(src: string, o: SourceOptions = {}): CheckResult {
  const file = o.file ?? 'main.kiln';
  return checkFile(file, { readFile: memoryFiles({ ...o.files, [file]: src }), overrides: o.overrides ? new Map(Object.entries(o.overrides)) : undefined });
}

/** Every diagnostic a compile (or, failing that, nothing) gives, errors and warnings alike. */
export function diagnosticsOf(src: string, o: SourceOptions = {}): Diagnostic[] {
  const { spec, opts } = options(src, o);
  try {
    return compile(spec, opts).diagnostics;
  } catch (e) {
    if (e instanceof KilnError) return e.diagnostics;
    throw e;
  }
}

/** The formatted text the CLI would print for a failing source. */
export function formattedErrors(src: string, o: SourceOptions = {}): string {
  const e = compileError(src, o);
  return formatDiagnostics(e.diagnostics, e.sources);
}

/** A one-network source: `network NAME(PARAMS) { LINES }`, lines given without indentation. */
export function net(lines: string[], params = '', name = 'n'): string {
  return `network ${name}${params ? `(${params})` : ''} {\n${lines.map((l) => '  ' + l).join('\n')}\n}\n`;
}

export function node(m: Module, id: string): Node {
  const n = m.nodes[id];
  if (!n) throw new Error(`no node \`${id}\`; nodes are ${Object.keys(m.nodes).join(', ')}`);
  return n;
}

/** A node's inferred type as the printer writes it, e.g. `f32[1, 6, 28, 28]`. */
export function typeOf(m: Module, id: string): string {
  const t = node(m, id).type;
  if (!t) throw new Error(`node \`${id}\` has no type`);
  return formatType(t);
}

/** Parameter types of a node as `name dtype[shape]` strings. */
export function paramsOf(m: Module, id: string): Record<string, string> {
  return Object.fromEntries(Object.entries(node(m, id).params ?? {}).map(([k, t]) => [k, formatType(t)]));
}

export interface ExpectedDiagnostic {
  code: string;
  line?: number;
  col?: number;
  file?: string;
  /** A substring of the message, or a pattern. */
  message?: string | RegExp;
  hint?: string | RegExp;
  severity?: Diagnostic['severity'];
}

function matches(d: Diagnostic, x: ExpectedDiagnostic): boolean {
  const text = (s: string | undefined, m: string | RegExp | undefined) => m === undefined || (s !== undefined && (typeof m === 'string' ? s.includes(m) : m.test(s)));
  return d.code === x.code
    && (x.severity === undefined || d.severity === x.severity)
    && (x.line === undefined || d.pos?.line === x.line)
    && (x.col === undefined || d.pos?.col === x.col)
    && (x.file === undefined || d.pos?.file === x.file)
    && text(d.message, x.message)
    && text(d.hint, x.hint);
}

function show(diags: readonly Diagnostic[]): string {
  return diags.map((d) => `  [${d.code}] ${d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.col}` : '(no position)'} ${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}`).join('\n') || '  (none)';
}

/** Assert that some diagnostic matches; returns it. */
export function expectDiagnostic(diags: readonly Diagnostic[], x: ExpectedDiagnostic): Diagnostic {
  const found = diags.find((d) => matches(d, x));
  if (!found) expect.fail(`no diagnostic matching ${JSON.stringify(x, (_, v) => (v instanceof RegExp ? String(v) : v))} among:\n${show(diags)}`);
  return found;
}

/** Assert the diagnostics are exactly these, in this order. */
export function expectDiagnostics(diags: readonly Diagnostic[], xs: ExpectedDiagnostic[]): void {
  const ok = diags.length === xs.length && xs.every((x, i) => matches(diags[i]!, x));
  if (!ok) expect.fail(`expected ${xs.length} diagnostic(s) ${JSON.stringify(xs, (_, v) => (v instanceof RegExp ? String(v) : v))}, got:\n${show(diags)}`);
}

/** The single error of a failing compile, checked against the expectation. */
export function expectOnlyError(src: string, x: ExpectedDiagnostic, o: SourceOptions = {}): Diagnostic {
  const errors = compileError(src, o).diagnostics.filter((d) => d.severity === 'error');
  expectDiagnostics(errors, [x]);
  return errors[0]!;
}

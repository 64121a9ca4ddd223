/** A small, strict argument parser: unknown flags and missing values are usage errors (exit 2). */
import { numberProblem } from '../compiler/ir/limits.ts';

export class UsageError extends Error {}

export interface FlagSpec {
  /** Takes a value (`--emit json`) rather than being a switch (`--timing`). */
  value?: boolean;
  /** May be given several times; values are collected. */
  repeat?: boolean;
  /** Allowed values, checked here so the message can list them. */
  choices?: readonly string[];
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>, command: string): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const s = spec[name];
    if (!s) {
      const known = Object.keys(spec).join(', ');
      throw new UsageError(`kiln ${command}: unknown option '${name}'${known ? ` (options: ${known})` : ''}`);
    }
    let value = 'true';
    if (s.value) {
      if (eq > 0) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new UsageError(`kiln ${command}: ${name} needs a value`);
      if (s.choices && !s.choices.includes(value)) throw new UsageError(`kiln ${command}: ${name} must be one of ${s.choices.join(', ')}, not '${value}'`);
    } else if (eq > 0) throw new UsageError(`kiln ${command}: ${name} takes no value`);
    const list = flags.get(name) ?? [];
    if (list.length && !s.repeat) throw new UsageError(`kiln ${command}: ${name} given twice`);
    list.push(value);
    flags.set(name, list);
  }
  return { positional, flags };
}

/** `--set batch=1 --set c=8` → Map; values must be numbers. */
export function parseOverrides(values: readonly string[] | undefined, command: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$/.exec(v);
    if (!m) throw new UsageError(`kiln ${command}: --set takes NAME=NUMBER, e.g. --set batch=1, not '${v}'`);
    const why = numberProblem(Number(m[2]));
    if (why) throw new UsageError(`kiln ${command}: --set ${m[1]}: ${why}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

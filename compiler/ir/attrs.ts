/**
 * Attribute schemas: what each op attribute accepts, and how a source value is normalized into
 * the IR (a kernel of `5` becomes `[5, 5]`, a pad of `[1, 2]` becomes `[1, 2, 1, 2]`), so every
 * later stage sees one canonical form.
 */
import { GRANULARITIES, PRECISIONS, type Precision } from './dtype.ts';
import type { AttrValue } from './module.ts';

/** A value as the source gives it, after evaluating parameters and arithmetic. */
export type SourceValue =
  | { kind: 'number'; value: number; isInt: boolean }
  | { kind: 'word'; word: string }
  | { kind: 'string'; value: string }
  | { kind: 'list'; items: SourceValue[] };

export type AttrType =
  | { kind: 'int'; min?: number }
  | { kind: 'float'; min?: number; max?: number; maxExclusive?: boolean; minExclusive?: boolean }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  /** int or [h, w] → [h, w] */
  | { kind: 'pair'; min: number }
  /** int, [h, w] or [top, left, bottom, right] → [t, l, b, r] */
  | { kind: 'pad4' }
  | { kind: 'ints' }
  | { kind: 'precision' };

export interface AttrSpec {
  name: string;
  type: AttrType;
  /** Absent means required. A function default derives from other attributes (pool stride = kernel). */
  default?: AttrValue | ((attrs: Record<string, AttrValue>) => AttrValue);
  /**
   * Neither required nor defaulted: absent from the IR unless written, so an attribute that turns
   * a mode on (a dense layer's `delta`) leaves every existing network's IR as it was.
   */
  optional?: boolean;
  doc: string;
}

export class AttrError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** Whether v falls outside a float type's bounds, each inclusive unless marked exclusive. */
export function floatOutside(t: Extract<AttrType, { kind: 'float' }>, v: number): boolean {
  return (t.min !== undefined && (t.minExclusive ? v <= t.min : v < t.min)) || (t.max !== undefined && (t.maxExclusive ? v >= t.max : v > t.max));
}

export function describeType(t: AttrType): string {
  switch (t.kind) {
    case 'int': return t.min !== undefined ? `an integer ≥ ${t.min}` : 'an integer';
    case 'float': return 'a number' + (t.min !== undefined && t.max !== undefined ? ` in ${t.minExclusive ? '(' : '['}${t.min}, ${t.max}${t.maxExclusive ? ')' : ']'}` : t.min !== undefined ? ` ${t.minExclusive ? '>' : '≥'} ${t.min}` : '');
    case 'bool': return '`true` or `false`';
    case 'enum': return `one of ${t.values.map((v) => '`' + v + '`').join(', ')}`;
    case 'pair': return 'an integer or a list [h, w]';
    case 'pad4': return 'an integer, [h, w] or [top, left, bottom, right]';
    case 'ints': return 'a list of integers';
    case 'precision': return `a precision (${PRECISIONS.join(', ')}) optionally followed by per_tensor or per_channel`;
  }
}

function show(v: SourceValue): string {
  switch (v.kind) {
    case 'number': return String(v.value);
    case 'word': return '`' + v.word + '`';
    case 'string': return JSON.stringify(v.value);
    case 'list': return `[${v.items.map(show).join(', ')}]`;
  }
}

function int(v: SourceValue, min: number | undefined, what: string): number {
  if (v.kind !== 'number' || !v.isInt || !Number.isInteger(v.value)) throw new AttrError(`${what} must be ${min !== undefined ? `an integer ≥ ${min}` : 'an integer'}, not ${show(v)}`);
  if (min !== undefined && v.value < min) throw new AttrError(`${what} must be ≥ ${min}, not ${v.value}`);
  return v.value;
}

/** Normalize one source value against its attribute type; `qualifier` is the optional trailing word. */
export function coerceAttr(spec: AttrSpec, v: SourceValue, qualifier?: string): AttrValue {
  const what = `\`${spec.name}\``;
  const t = spec.type;
  if (qualifier !== undefined && t.kind !== 'precision') throw new AttrError(`${what} takes no qualifier \`${qualifier}\``, 'only `weights =` and `activations =` take per_tensor or per_channel');
  switch (t.kind) {
    case 'int':
      return int(v, t.min, what);
    case 'float': {
      if (v.kind !== 'number') throw new AttrError(`${what} must be ${describeType(t)}, not ${show(v)}`);
      if (floatOutside(t, v.value)) throw new AttrError(`${what} must be ${describeType(t)}, not ${v.value}`);
      return v.value;
    }
    case 'bool':
      if (v.kind === 'word' && (v.word === 'true' || v.word === 'false')) return v.word === 'true';
      throw new AttrError(`${what} must be \`true\` or \`false\`, not ${show(v)}`);
    case 'enum':
      if (v.kind === 'word' && t.values.includes(v.word)) return v.word;
      throw new AttrError(`${what} must be ${describeType(t)}, not ${show(v)}`);
    case 'pair': {
      if (v.kind === 'number') { const n = int(v, t.min, what); return [n, n]; }
      if (v.kind === 'list' && v.items.length === 2) return v.items.map((x) => int(x, t.min, what));
      throw new AttrError(`${what} must be ${describeType(t)}, not ${show(v)}`);
    }
    case 'pad4': {
      if (v.kind === 'number') { const n = int(v, 0, what); return [n, n, n, n]; }
      if (v.kind === 'list' && v.items.length === 2) { const [h, w] = v.items.map((x) => int(x, 0, what)) as [number, number]; return [h, w, h, w]; }
      if (v.kind === 'list' && v.items.length === 4) return v.items.map((x) => int(x, 0, what));
      throw new AttrError(`${what} must be ${describeType(t)}, not ${show(v)}`);
    }
    case 'ints':
      if (v.kind === 'list') return v.items.map((x) => int(x, undefined, what));
      throw new AttrError(`${what} must be a list of integers like [batch, -1], not ${show(v)}`);
    case 'precision': {
      if (v.kind !== 'word' || !(PRECISIONS as readonly string[]).includes(v.word)) {
        throw new AttrError(`unknown precision ${show(v)} for ${what}`, `precisions are ${PRECISIONS.join(', ')}`);
      }
      const granularity = qualifier ?? 'per_tensor';
      if (!(GRANULARITIES as readonly string[]).includes(granularity)) {
        throw new AttrError(`unknown granularity \`${granularity}\` for ${what}`, 'write per_tensor or per_channel');
      }
      return { dtype: v.word, granularity } as Precision;
    }
  }
}

// Safe integers only: past 2^53 a double no longer holds every integer (docs/language.md, Limits).
const isInt = (x: unknown, min = -Infinity): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;

/**
 * Why a stored (already normalized) attribute value does not fit its type, or undefined when it
 * does. The verifier uses it on modules read from JSON, which may have been edited by hand.
 */
export function attrValueProblem(t: AttrType, v: unknown): string | undefined {
  const ok = (() => {
    switch (t.kind) {
      case 'int': return isInt(v, t.min);
      // Floats need only be finite: ±FLT_MAX is a real clip bound (ONNX Clip's defaults), not an oversized count.
      case 'float': return typeof v === 'number' && Number.isFinite(v) && !floatOutside(t, v);
      case 'bool': return typeof v === 'boolean';
      case 'enum': return typeof v === 'string' && t.values.includes(v);
      case 'pair': return Array.isArray(v) && v.length === 2 && v.every((x) => isInt(x, t.min));
      case 'pad4': return Array.isArray(v) && v.length === 4 && v.every((x) => isInt(x, 0));
      case 'ints': return Array.isArray(v) && v.every((x) => isInt(x));
      case 'precision': {
        const p = v as Precision | null;
        if (typeof p !== 'object' || p === null || !(PRECISIONS as readonly string[]).includes(p.dtype) || !(GRANULARITIES as readonly string[]).includes(p.granularity)) return false;
        const nums = (a: unknown, ok: (x: number) => boolean) => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'number' && ok(x));
        if (p.scale !== undefined && (p.dtype !== 'i8' || !nums(p.scale, (x) => Number.isFinite(x) && x > 0))) return false;
        return p.zero_point === undefined || (p.scale !== undefined && nums(p.zero_point, (x) => isInt(x, -128) && x <= 127) && p.zero_point.length === p.scale.length);
      }
    }
  })();
  return ok ? undefined : `must be ${t.kind === 'precision' ? 'a precision {"dtype": …, "granularity": …}' : t.kind === 'pad4' ? 'a list of four integers ≥ 0' : t.kind === 'pair' ? `a list of two integers ≥ ${t.min}` : describeType(t)}, not ${JSON.stringify(v)}`;
}

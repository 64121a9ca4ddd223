/**
 * Reading typed values out of a target description. Every default a result relies on is
 * returned as a warning that names the property, the value assumed and how to set it, so no
 * number is ever silently invented.
 */
import type { TargetDescription } from '../compiler/lang/description.ts';
import type { Price, PriceTable } from './stats.ts';

export class ConfigReader {
  readonly warnings: string[] = [];
  /**
   * What the model leaves out because the target does not say (no static power, no DRAM
   * bandwidth): reported once per target as a note, since zero is then the model's honest
   * answer rather than a number it made up.
   */
  readonly notes: string[] = [];
  constructor(readonly desc: TargetDescription) {}

  private where(key: string): string {
    const s = this.desc.props[key]?.source;
    return s ? `${s.file}:${s.line}:${s.col}` : 'default';
  }

  has(key: string): boolean {
    return key in this.desc.props;
  }

  number(key: string, fallback: number, how: string): number {
    const p = this.desc.props[key];
    if (p && typeof p.value === 'number') return p.value;
    this.warnings.push(`${this.desc.name}: \`${key}\` not given; assuming ${how}`);
    return fallback;
  }

  /** A number whose absence means "not modelled": `what` says what is then left out. */
  optional(key: string, what: string): number | undefined {
    const p = this.desc.props[key];
    if (p && typeof p.value === 'number') return p.value;
    this.notes.push(what);
    return undefined;
  }

  /** A required number: no default makes sense (e.g. the array size). */
  required(key: string, example: string): number {
    const p = this.desc.props[key];
    if (p && typeof p.value === 'number') return p.value;
    throw new MissingProperty(this.desc.name, key, example);
  }

  pair(key: string, fallback: [number, number], how: string): [number, number] {
    const p = this.desc.props[key];
    if (p && Array.isArray(p.value)) return [p.value[0]!, p.value[1]!];
    this.warnings.push(`${this.desc.name}: \`${key}\` not given; assuming ${how}`);
    return fallback;
  }

  word<T extends string>(key: string, fallback: T, how: string): T {
    const p = this.desc.props[key];
    if (p && typeof p.value === 'string') return p.value as T;
    this.warnings.push(`${this.desc.name}: \`${key}\` not given; assuming ${how}`);
    return fallback;
  }

  /** A list value such as `cache l1 32 KiB 64 B/cycle`. */
  list(key: string): number[] | undefined {
    const p = this.desc.props[key];
    return p && Array.isArray(p.value) ? (p.value as number[]) : undefined;
  }

  /**
   * An energy price from the `energy { … }` table, or a cited built-in default with a warning.
   * `fallbackSource` must name the publication the default comes from.
   */
  price(action: string, key: string, category: string, fallbackJ: number, fallbackSource: string, prices: PriceTable): Price {
    const p = this.desc.props[`energy.${key}`];
    const price: Price = p && typeof p.value === 'number'
      ? { joules: p.value, category, source: `${this.where(`energy.${key}`)} (energy.${key})` }
      : { joules: fallbackJ, category, source: `built-in default: ${fallbackSource}` };
    if (!p) this.warnings.push(`${this.desc.name}: no \`energy { ${key} … }\`; assuming ${fmtJ(fallbackJ)} (${fallbackSource})`);
    prices[action] = price;
    return price;
  }
}

export class MissingProperty extends Error {
  constructor(readonly target: string, readonly key: string, readonly example: string) {
    super(`target \`${target}\` needs \`${key}\` (e.g. \`${example}\`)`);
  }
}

export function fmtJ(j: number): string {
  if (j === 0) return '0 J';
  const units: [number, string][] = [[1, 'J'], [1e-3, 'mJ'], [1e-6, 'µJ'], [1e-9, 'nJ'], [1e-12, 'pJ'], [1e-15, 'fJ']];
  for (const [f, u] of units) if (Math.abs(j) >= f) return `${+(j / f).toPrecision(4)} ${u}`;
  return `${+(j / 1e-15).toPrecision(4)} fJ`;
}

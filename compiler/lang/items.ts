/**
 * Schema-driven reading of target and train blocks. Their bodies are parsed as flat item lists
 * (`array 256 x 256   dataflow ws   clock 700 MHz`); a per-kind schema says which words start a
 * property and what values follow, so errors can say exactly what was expected where.
 */
import type { Arg, Item, Loc } from './ast.ts';
import { didYouMean, error, type Diagnostic } from './diagnostics.ts';
import { UNITS } from './tokens.ts';

export type Slot =
  | { kind: 'int'; min?: number }
  | { kind: 'number'; min?: number }
  /** A number with a unit of one of these dimensions; stored in SI base units. */
  | { kind: 'quantity'; dimensions: string[]; example: string }
  | { kind: 'word'; values: readonly string[] }
  | { kind: 'literal'; word: string }
  | { kind: 'call'; values: readonly string[] }
  | { kind: 'string' }
  | { kind: 'block'; schema: BlockSchema };

export interface PropSchema {
  /** Property values after the key; a `word` slot first with `keyed` makes `sram ifmap …` a key. */
  slots: Slot[];
  /** The first word slot becomes part of the key (`sram.ifmap`), so the property may repeat. */
  keyed?: boolean;
  doc: string;
}

export interface BlockSchema {
  what: string;
  props: Record<string, PropSchema>;
  /** For free-form maps such as `energy { mac.i8 0.2 pJ }`: any dotted key, these slots. */
  anyKey?: PropSchema;
}

export type Value = number | string | number[] | { call: string; args: Record<string, number | string>; positional: (number | string)[] };

export interface Property {
  key: string;
  value: Value;
  /** The unit as written, for printing and provenance; values are stored in SI base units. */
  unit?: string;
  loc: Loc;
}

function describeSlot(s: Slot): string {
  switch (s.kind) {
    case 'int': return s.min !== undefined ? `an integer ≥ ${s.min}` : 'an integer';
    case 'number': return s.min !== undefined ? `a number ≥ ${s.min}` : 'a number';
    case 'quantity': return `a quantity like \`${s.example}\``;
    case 'word': return `one of ${s.values.join(', ')}`;
    case 'literal': return `\`${s.word}\``;
    case 'call': return `one of ${s.values.map((v) => v + '(…)').join(', ')}`;
    case 'string': return 'a string';
    case 'block': return `a { … } block of ${s.schema.what}`;
  }
}

function showItem(it: Item | undefined): string {
  if (!it) return 'the end of the block';
  switch (it.kind) {
    case 'word': return '`' + it.path.map((p) => p.name).join('.') + (it.args ? '(…)' : '') + '`';
    case 'number': return '`' + it.value + (it.unit ? ' ' + it.unit.name : '') + '`';
    case 'string': return JSON.stringify(it.value);
    case 'block': return 'a { … } block';
  }
}

const isPlainWord = (it: Item): boolean => it.kind === 'word' && !it.args;

class BlockReader {
  private i = 0;
  constructor(private readonly items: Item[], private readonly endLoc: Loc, private readonly diags: Diagnostic[]) {}

  read(schema: BlockSchema, prefix: string, out: Property[]): void {
    while (this.i < this.items.length) {
      const head = this.items[this.i]!;
      if (head.kind !== 'word' || head.args) {
        this.diags.push(error('syntax', `expected a property name in ${schema.what} but found ${showItem(head)}`, head.loc, `properties are: ${Object.keys(schema.props).join(', ') || 'dotted names like mac.i8'}`));
        this.i++;
        continue;
      }
      const key = head.path.map((p) => p.name).join('.');
      const prop = schema.props[key] ?? (schema.anyKey && !schema.props[key] ? schema.anyKey : undefined);
      if (!prop) {
        this.diags.push(error('unknown-property', `unknown property \`${key}\` in ${schema.what}`, head.loc, didYouMean(key, Object.keys(schema.props)) ?? `properties are: ${Object.keys(schema.props).join(', ')}`));
        this.skipToNextKey(schema);
        continue;
      }
      this.i++;
      // After a bad value, skip the numbers and blocks left of it so one mistake is one error; a
      // word is read as the next property (and reported if it is none).
      if (!this.readProp(prop, prefix + key, head.loc, out)) {
        while (this.i < this.items.length && !isPlainWord(this.items[this.i]!)) this.i++;
      }
    }
  }

  /** After an unknown key, skip its values so one typo gives one error. */
  private skipToNextKey(schema: BlockSchema): void {
    this.i++;
    while (this.i < this.items.length) {
      const it = this.items[this.i]!;
      if (it.kind === 'word' && !it.args && (schema.props[it.path.map((p) => p.name).join('.')] || schema.anyKey)) return;
      this.i++;
    }
  }

  /** Reads one property's values; false when a value was missing or of the wrong kind. */
  private readProp(prop: PropSchema, key: string, loc: Loc, out: Property[]): boolean {
    const values: Value[] = [];
    let unit: string | undefined;
    let fullKey = key;
    for (const [si, slot] of prop.slots.entries()) {
      const it = this.items[this.i];
      const v = this.readSlot(slot, it, fullKey, out);
      if (v === undefined) {
        if (slot.kind !== 'block') this.diags.push(error('property-value', `\`${fullKey}\` expects ${describeSlot(slot)} but found ${showItem(it)}`, it?.loc ?? this.endLoc, prop.doc));
        return false;
      }
      this.i++;
      if (prop.keyed && si === 0) {
        fullKey = `${key}.${v as string}`;
        continue;
      }
      if (slot.kind === 'literal' || slot.kind === 'block') continue;
      if (slot.kind === 'quantity' && it?.kind === 'number') unit = it.unit?.name;
      values.push(v);
    }
    if (prop.slots.some((s) => s.kind === 'block')) return true;
    const dup = out.find((p) => p.key === fullKey);
    if (dup) {
      this.diags.push(error('duplicate-name', `\`${fullKey}\` is set twice`, loc, `the first is at line ${dup.loc.line}`));
      return true;
    }
    const value: Value = values.length === 1 ? values[0]! : (values as number[]);
    out.push({ key: fullKey, value, unit, loc });
    return true;
  }

  private readSlot(slot: Slot, it: Item | undefined, key: string, out: Property[]): Value | undefined {
    if (!it) return undefined;
    switch (slot.kind) {
      case 'int':
        if (it.kind === 'number' && it.isInt && !it.unit && it.value >= (slot.min ?? 0)) return it.value;
        return undefined;
      case 'number':
        return it.kind === 'number' && !it.unit && !(it.value < (slot.min ?? -Infinity)) ? it.value : undefined;
      case 'quantity': {
        if (it.kind !== 'number') return undefined;
        if (!it.unit) {
          this.diags.push(error('unit', `\`${key}\` needs a unit: write e.g. \`${slot.example}\``, it.loc, `units for this property: ${unitsOf(slot.dimensions)}`));
          return it.value; // reported; keep going so one missing unit is one error
        }
        const u = UNITS[it.unit.name]!;
        if (!slot.dimensions.includes(u.dimension)) {
          this.diags.push(error('unit', `\`${key}\` expects ${slot.dimensions.join(' or ')}, but \`${it.unit.name}\` is ${u.dimension}`, it.unit.loc, `write e.g. \`${slot.example}\`; units: ${unitsOf(slot.dimensions)}`));
          return it.value;
        }
        return it.value * u.factor;
      }
      case 'word':
        if (it.kind === 'word' && !it.args && it.path.length === 1 && slot.values.includes(it.path[0]!.name)) return it.path[0]!.name;
        if (it.kind === 'word' && !it.args && it.path.length === 1) {
          this.diags.push(error('property-value', `\`${key}\` must be ${describeSlot(slot)}, not \`${it.path[0]!.name}\``, it.loc, didYouMean(it.path[0]!.name, slot.values)));
          return it.path[0]!.name;
        }
        return undefined;
      case 'literal':
        return it.kind === 'word' && it.path.length === 1 && it.path[0]!.name === slot.word ? slot.word : undefined;
      case 'string':
        return it.kind === 'string' ? it.value : undefined;
      case 'call': {
        if (it.kind !== 'word' || it.path.length !== 1) return undefined;
        const name = it.path[0]!.name;
        if (!slot.values.includes(name)) {
          this.diags.push(error('property-value', `\`${key}\` must be ${describeSlot(slot)}, not \`${name}\``, it.loc, didYouMean(name, slot.values)));
          return name;
        }
        return readCall(name, it.args ?? [], this.diags);
      }
      case 'block': {
        if (it.kind !== 'block') {
          this.diags.push(error('property-value', `\`${key}\` expects a { … } block`, it.loc));
          return undefined;
        }
        new BlockReader(it.items, it.loc, this.diags).read(slot.schema, key + '.', out);
        return key;
      }
    }
  }
}

function unitsOf(dimensions: string[]): string {
  return Object.entries(UNITS).filter(([, u]) => dimensions.includes(u.dimension)).map(([k]) => k).join(', ');
}

function readCall(name: string, args: Arg[], diags: Diagnostic[]): Value {
  const named: Record<string, number | string> = {};
  const positional: (number | string)[] = [];
  for (const a of args) {
    const e = a.value;
    const v = e.kind === 'number' ? e.value : e.kind === 'name' ? e.name : e.kind === 'string' ? e.value : undefined;
    if (v === undefined) {
      diags.push(error('property-value', `arguments of \`${name}\` are numbers or words`, a.loc));
      continue;
    }
    if (a.name) named[a.name.name] = v;
    else positional.push(v);
  }
  return { call: name, args: named, positional };
}

/** Read a block's items against a schema into flat dotted properties. */
export function readBlock(items: Item[], schema: BlockSchema, endLoc: Loc, diags: Diagnostic[]): Property[] {
  const out: Property[] = [];
  new BlockReader(items, endLoc, diags).read(schema, '', out);
  return out;
}

/**
 * fast-check generators for robustness tests: real sources mutated at random (characters and
 * whole tokens), token soups, and valid networks whose shapes are known in advance.
 */
import fc from 'fast-check';
import { OPS } from '../../compiler/ir/ops.ts';
import { KEYWORDS, UNITS } from '../../compiler/lang/tokens.ts';

/** A word-or-punctuation split that keeps whitespace, so tokens can be dropped or swapped. */
export function roughTokens(text: string): string[] {
  return text.match(/[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|->|\s+|"[^"\n]*"|#[^\n]*|./g) ?? [];
}

const SNIPPETS = [
  '(', ')', '[', ']', '{', '}', ',', '=', ':', '.', '->', '-', '+', '*', '/', '%', '"', '#', '//', '\n', ' ', '\t',
  '0', '1', '-1', '3.5', '1e9', '.5', '99999999999999999999', 'MiB', 'GHz', 'pJ/word', 'x', 'y', 'output', 'input', 'network',
  'target', 'train', 'import', 'extends', 'timesteps', 'relu', 'conv2d', 'dense', 'f32', 'i8', 'per_channel', '@', '$', '\u00e9', '\u0000',
  // Hostile input: sizes past the limits and names JavaScript objects already have (also as JSON keys).
  '1e300', '9007199254740993', '4294967296', '2147483648', '__proto__', 'constructor', 'toString', '"__proto__"', '"constructor"',
];

export type Mutation =
  | { kind: 'delete-char'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replace-char'; at: number; text: string }
  | { kind: 'delete-token'; at: number }
  | { kind: 'duplicate-token'; at: number }
  | { kind: 'swap-tokens'; at: number }
  | { kind: 'truncate'; at: number };

/** Positions are fractions of the current length, so one mutation list fits any source. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete-char' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 3 })) }),
  fc.record({ kind: fc.constant('replace-char' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.constantFrom(...SNIPPETS) }),
  fc.record({ kind: fc.constant('delete-token' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('duplicate-token' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('swap-tokens' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

export function mutate(text: string, m: Mutation): string {
  const i = Math.min(text.length, Math.floor(m.at * (text.length + 1)));
  switch (m.kind) {
    case 'delete-char': return text.slice(0, i) + text.slice(i + 1);
    case 'insert': return text.slice(0, i) + m.text + text.slice(i);
    case 'replace-char': return text.slice(0, i) + m.text + text.slice(i + 1);
    case 'truncate': return text.slice(0, i);
    default: {
      const toks = roughTokens(text);
      if (toks.length === 0) return text;
      const k = Math.min(toks.length - 1, Math.floor(m.at * toks.length));
      if (m.kind === 'delete-token') toks.splice(k, 1);
      else if (m.kind === 'duplicate-token') toks.splice(k, 0, toks[k]!);
      else if (k + 2 < toks.length) [toks[k], toks[k + 2]] = [toks[k + 2]!, toks[k]!]; // swap around the separator
      return toks.join('');
    }
  }
}

/** Words and symbols of the language, for token soups. */
const VOCABULARY = [
  ...KEYWORDS, ...OPS.keys(), 'f32', 'i8', 'i32', 'spike', 'binary', 'per_channel', 'systolic', 'simd_cpu', 'neuromorphic',
  'energy', 'array', 'x', 'clock', 'sram', 'ifmap', 'data', 'mnist', 'epochs', 'batch', 'a', 'b', 'y', 'n', 'm',
  '(', ')', '[', ']', '{', '}', ',', '=', ':', '.', '->', '-', '+', '*', '/', '%', '\n', '# c\n', '// c\n',
  '0', '1', '2', '3', '7', '0.5', '1e-3', '256', '"blocks/residual.kiln"', '"x"', ...Object.keys(UNITS).slice(0, 12),
];

export const tokenSoupArb: fc.Arbitrary<string> = fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 60 }).map((t) => t.join(' '));

/**
 * A network whose output shape is known: an input of rank 2 or 4, then layers chosen so each
 * fits its input (conv2d and pools keep a spatial size ≥ 1; dense needs rank 2, so a flatten
 * comes first). The expected shape is computed here with the textbook formula, independently of
 * the compiler's shape rules.
 */
export interface GeneratedNetwork {
  source: string;
  outputShape: number[];
  layers: number;
}

type Layer =
  | { op: 'dense'; units: number }
  | { op: 'relu' | 'tanh' | 'sigmoid' | 'flatten' }
  | { op: 'conv2d'; filters: number; k: number; s: number; p: number }
  | { op: 'maxpool2d'; k: number };

const layerArb: fc.Arbitrary<Layer> = fc.oneof(
  fc.record({ op: fc.constant('dense' as const), units: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constantFrom('relu' as const, 'tanh' as const, 'sigmoid' as const, 'flatten' as const) }),
  fc.record({ op: fc.constant('conv2d' as const), filters: fc.integer({ min: 1, max: 8 }), k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('maxpool2d' as const), k: fc.integer({ min: 1, max: 3 }) }),
);

export const validNetworkArb: fc.Arbitrary<GeneratedNetwork> = fc.record({
  batch: fc.integer({ min: 1, max: 4 }),
  image: fc.boolean(),
  c: fc.integer({ min: 1, max: 4 }),
  hw: fc.integer({ min: 1, max: 24 }),
  features: fc.integer({ min: 1, max: 32 }),
  layers: fc.array(layerArb, { minLength: 1, maxLength: 12 }),
  chainLength: fc.integer({ min: 1, max: 4 }),
}).map((g) => {
  let shape = g.image ? [g.batch, g.c, g.hw, g.hw] : [g.batch, g.features];
  const calls: string[] = [];
  for (const l of g.layers) {
    if (l.op === 'conv2d' || l.op === 'maxpool2d') {
      if (shape.length !== 4) continue; // spatial ops only on images
      const [n, c, h] = shape as [number, number, number, number];
      if (l.op === 'conv2d') {
        if (h + 2 * l.p < l.k) continue;
        const out = Math.floor((h + 2 * l.p - l.k) / l.s) + 1;
        shape = [n, l.filters, out, out];
        calls.push(`conv2d(${l.filters}, ${l.k}, stride = ${l.s}, pad = ${l.p})`);
      } else {
        if (h < l.k) continue;
        shape = [n, c, Math.floor((h - l.k) / l.k) + 1, Math.floor((h - l.k) / l.k) + 1];
        calls.push(`maxpool2d(${l.k})`);
      }
    } else if (l.op === 'dense') {
      if (shape.length !== 2) {
        calls.push('flatten');
        shape = [shape[0]!, shape.slice(1).reduce((a, b) => a * b, 1)];
      }
      shape = [shape[0]!, l.units];
      calls.push(`dense(${l.units})`);
    } else if (l.op === 'flatten') {
      shape = [shape[0]!, shape.slice(1).reduce((a, b) => a * b, 1)];
      calls.push('flatten');
    } else {
      calls.push(l.op);
    }
  }
  if (calls.length === 0) calls.push('relu');
  // Split the calls into layers of a few chained calls each: `l0 = relu(x) -> dense(4)`.
  const lines = [`input x : f32[batch, ${(g.image ? [g.c, g.hw, g.hw] : [g.features]).join(', ')}]`];
  let prev = 'x';
  for (let i = 0; i < calls.length; i += g.chainLength) {
    const name = `l${i}`;
    lines.push(`${name} = ${prev} -> ${calls.slice(i, i + g.chainLength).join(' -> ')}`);
    prev = name;
  }
  lines.push(`output ${prev}`);
  return { source: `network gen(batch = ${g.batch}) {\n${lines.map((l) => '  ' + l).join('\n')}\n}\n`, outputShape: shape, layers: calls.length };
});

/**
 * A network of random op calls with random arguments (right and wrong names, values of every
 * kind, tensors as extra inputs), to drive the checker and every shape rule with odd values.
 */
export const randomCallsArb: fc.Arbitrary<string> = (() => {
  const ops = [...OPS.values()];
  const enumWords = ops.flatMap((o) => o.attrs.flatMap((a) => (a.type.kind === 'enum' ? [...a.type.values] : [])));
  const attrNames = [...new Set(ops.flatMap((o) => o.attrs.map((a) => a.name)))];
  const value = fc.oneof(
    fc.integer({ min: -3, max: 9 }).map(String),
    fc.constantFrom('0.5', '1.5', '1e9', '[1, 2]', '[2, -1]', '[]', '[0, 1, 2, 3]', '[1, 1, 1, 1]', 'true', 'false', 'i8 per_channel', 'binary', 'b / 3', '2 * b', '"s"'),
    fc.constantFrom(...enumWords),
  );
  const call = fc.record({
    op: fc.constantFrom(...ops.map((o) => o.name)),
    tensors: fc.array(fc.constantFrom('x', 'v', 't', 'l0', 'l1'), { maxLength: 2 }),
    args: fc.array(fc.tuple(fc.option(fc.constantFrom(...attrNames), { nil: undefined }), value), { maxLength: 4 }),
  });
  return fc.tuple(fc.array(call, { minLength: 1, maxLength: 6 }), fc.boolean()).map(([calls, chain]) => {
    const lines = ['input x : f32[b, 3, 8, 8]', 'input v : f32[b, 5]', 'input t : i32[b, 7]', 'timesteps 2'];
    calls.forEach((c, i) => {
      const args = [...c.tensors, ...c.args.map(([n, v]) => (n ? `${n} = ${v}` : v))].join(', ');
      lines.push(chain && i > 0 ? `l${i} = l${i - 1} -> ${c.op}(${args})` : `l${i} = ${c.op}(${args})`);
    });
    lines.push(`output l${calls.length - 1}`);
    return `network n(b = 2) {\n${lines.map((l) => '  ' + l).join('\n')}\n}\n`;
  });
})();

/** Every name JavaScript objects already carry, and `prototype`: what Kiln refuses as a name. */
export const RESERVED: readonly string[] = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];

export const reservedNameArb: fc.Arbitrary<string> = fc.constantFrom(...RESERVED);

/**
 * Numbers of 2^53 and more as source text: plain digit strings, exponents up to 1e308, and past it
 * (which JavaScript reads as Infinity).
 */
export const hugeNumberArb: fc.Arbitrary<string> = fc.oneof(
  fc.bigInt({ min: 2n ** 53n, max: 10n ** 40n }).map(String),
  fc.integer({ min: 16, max: 400 }).map((e) => `1e${e}`),
  fc.integer({ min: 10, max: 99 }).map((m) => `${m}e${m * 4}`),
);

/**
 * The direct reader (compiler/lang/direct-parse.ts) must build exactly the AST the recovering
 * Chevrotain parser builds for every clean text, and give up on every text that parser rejects.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDirect } from '../../compiler/lang/direct-parse.ts';
import { parseWithRecovery } from '../../compiler/lang/build-ast.ts';
import { MAX_NESTING } from '../../compiler/lang/parser.ts';

const ROOT = path.resolve(__dirname, '../..');
const kilnFiles = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? kilnFiles(path.join(dir, e.name)) : e.name.endsWith('.kiln') ? [path.join(dir, e.name)] : [],
  );

const SNIPPETS: Record<string, string> = {
  units: 'target t : systolic { clock 700 MHz\n sram 6 MiB\n energy 0.5 pJ/word\n bw 12 GB/s\n x 3\n s }',
  'unit on the next line is a name': 'target t : systolic { clock 700\nMHz }',
  'negative items and strings': 'train t { lr -0.01 seed 7 data "mnist" opt { beta 0.9 } a.b.c(1, k = 2) }',
  'crlf and comments': 'network n(batch = 2) {\r\n  # comment\r\n  input x : f32[batch, 4] // trailing\r\n  y = x -> relu\r\n  output y\r\n}\r\n',
  'lone carriage returns': 'network n {\r  input x : f32[1, 4]\r  output x\r}',
  expressions: 'network n(a = 2, b = -(3 + 4) * 2 % 5 - --1, c = [1, [2, .5e1], []], d = "s", e = 1e3) { input x : f32[a * 2, b / 1] output x }',
  'qualifiers and keyword argument names': 'network n { input x : f32[1, 3, 8, 8]\n y = conv2d(x, filters = 4, kernel = 3, weights = i8 per_channel) -> mnist(train = 3, input = network) \n output y }',
  'empty arguments and bare calls': 'network n { input x : f32[1, 4]\n y = x -> relu() -> relu -> flatten\n z = add(y, y)\n output y, z }',
  'imports and timesteps': 'import "a.kiln"\nimport "b.kiln"\nnetwork n { timesteps 25 input x : f32[1] output x }',
  'extends': 'target a extends b { }\ntarget c : simd { lanes 8 }',
};

const BAD: Record<string, string> = {
  'lex error': 'network n { x = relu(y) @ }',
  'missing paren': 'network n { y = conv2d(x, 3\n output y }',
  'reserved name': 'network n { input constructor : f32[1] output constructor }',
  'number too large': 'network n(p = 99999999999999999999) { }',
  'keyword as a layer name': 'network n { input = relu(x) }',
  'stray top-level word': 'networks n { }',
  'trailing comma in a list': 'network n(p = [1, 2,]) { }',
  'unterminated block': 'train t { lr 1',
  'minus before a word': 'train t { lr - x }',
  'too deep': `network n { y = f(${'('.repeat(MAX_NESTING)}1${')'.repeat(MAX_NESTING)}) }`,
};

describe('direct reader', () => {
  const corpus = [
    ...['examples', 'targets/presets', 'bench/networks'].flatMap(kilnFiles).map((f) => [f, readFileSync(path.join(ROOT, f), 'utf8')] as const),
    ...Object.entries(SNIPPETS),
  ];

  it.each(corpus)('builds the same AST as the recovering parser: %s', (name, text) => {
    const full = parseWithRecovery(text, 'f.kiln');
    expect(full.diagnostics).toEqual([]);
    expect(parseDirect(text, 'f.kiln')).toEqual(full.ast);
  });

  it.each(Object.entries(BAD))('gives up where the recovering parser reports a problem: %s', (name, text) => {
    expect(parseWithRecovery(text, 'f.kiln').diagnostics.length).toBeGreaterThan(0);
    expect(parseDirect(text, 'f.kiln')).toBeUndefined();
  });

  it('reads a 2 MB chain of 262,144 relus', () => {
    const text = `network chain(batch = 1) {\n  input x : f32[batch, 16]\n  y = x${' -> relu'.repeat(262_144)}\n  output y\n}\n`;
    const ast = parseDirect(text, 'chain.kiln')!;
    const body = (ast.decls[0] as Extract<typeof ast.decls[0], { kind: 'network' }>).body;
    expect(body[1]).toMatchObject({ kind: 'assign', loc: { line: 3, col: 3, length: text.split('\n')[2]!.length - 2 } });
    expect((body[1] as Extract<typeof body[1], { kind: 'assign' }>).chain).toHaveLength(262_145);
  }, 60_000);
});

import { describe, it, expect } from 'vitest';
import { kilnLexer, UNITS, KEYWORDS } from '../../compiler/lang/tokens.ts';
import { parseFile } from '../../compiler/lang/build-ast.ts';
import { expectDiagnostic, expectDiagnostics } from '../helpers/kiln.ts';

/** `Type:image` for every token, so one string shows the whole token stream. */
function lex(text: string): string[] {
  const r = kilnLexer().tokenize(text);
  expect(r.errors).toEqual([]);
  return r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

describe('lexer', () => {
  it('reads a unit only directly after a number on the same line', () => {
    expect(lex('6 MiB')).toEqual(['NumberLiteral:6', 'Unit:MiB']);
    expect(lex('6MiB')).toEqual(['NumberLiteral:6', 'Unit:MiB']);
    // A newline ends the number's reach: the next line's `s` is a name (a layer may be called s).
    expect(lex('6\ns')).toEqual(['NumberLiteral:6', 'Identifier:s']);
    expect(lex('s = B')).toEqual(['Identifier:s', 'Equals:=', 'Identifier:B']);
    // A unit must end at a word boundary: `MiBs` is a name, not MiB followed by s.
    expect(lex('6 MiBs')).toEqual(['NumberLiteral:6', 'Identifier:MiBs']);
  });

  it('reads compound units as one token, the longest spelling first', () => {
    expect(lex('640 pJ/word')).toEqual(['NumberLiteral:640', 'Unit:pJ/word']);
    expect(lex('34 GB/s')).toEqual(['NumberLiteral:34', 'Unit:GB/s']);
    expect(lex('64 B/cycle')).toEqual(['NumberLiteral:64', 'Unit:B/cycle']);
    expect(lex('1 GiB/s')).toEqual(['NumberLiteral:1', 'Unit:GiB/s']);
    // `ms` (milliseconds) is not `m` + `s`, and `MB` (10^6) is not `MiB`.
    expect(lex('3 ms 2 MB')).toEqual(['NumberLiteral:3', 'Unit:ms', 'NumberLiteral:2', 'Unit:MB']);
  });

  it('knows each unit family in SI base units', () => {
    expect(UNITS['MHz']).toEqual({ dimension: 'frequency', factor: 1e6 });
    expect(UNITS['MiB']).toEqual({ dimension: 'bytes', factor: 1048576 });
    expect(UNITS['MB']).toEqual({ dimension: 'bytes', factor: 1e6 });
    expect(UNITS['GB/s']).toEqual({ dimension: 'bandwidth', factor: 1e9 });
    expect(UNITS['KiB/s']).toEqual({ dimension: 'bandwidth', factor: 1024 });
    expect(UNITS['pJ/word']).toEqual({ dimension: 'energy/word', factor: 1e-12 });
    expect(UNITS['nJ/spike']).toEqual({ dimension: 'energy/spike', factor: 1e-9 });
    expect(UNITS['us']).toEqual({ dimension: 'time', factor: 1e-6 });
    expect(UNITS['mW']).toEqual({ dimension: 'power', factor: 1e-3 });
    expect(UNITS['B/cycle']).toEqual({ dimension: 'bytes/cycle', factor: 1 });
  });

  it('keeps keywords apart from names that start with them', () => {
    expect(lex('network networks input inputs output_1 extends')).toEqual([
      'Network:network', 'Identifier:networks', 'Input:input', 'Identifier:inputs', 'Identifier:output_1', 'Extends:extends',
    ]);
    expect(KEYWORDS).toEqual(['network', 'target', 'train', 'import', 'input', 'output', 'extends', 'timesteps']);
  });

  it('reads numbers in every written form', () => {
    expect(lex('3 0.5 .5 1e-3 2.5E+2 7.')).toEqual([
      'NumberLiteral:3', 'NumberLiteral:0.5', 'NumberLiteral:.5', 'NumberLiteral:1e-3', 'NumberLiteral:2.5E+2', 'NumberLiteral:7.',
    ]);
  });

  it('skips # and // comments to the end of the line, but keeps / as division', () => {
    expect(lex('a # b c\nd // e f\ng / h')).toEqual(['Identifier:a', 'Identifier:d', 'Identifier:g', 'Slash:/', 'Identifier:h']);
  });

  it('reads operators and punctuation', () => {
    expect(lex('-> - + * / % ( ) [ ] { } , = : .').map((t) => t.split(':')[0])).toEqual([
      'Arrow', 'Minus', 'Plus', 'Star', 'Slash', 'Percent', 'LParen', 'RParen', 'LBracket', 'RBracket', 'LBrace', 'RBrace', 'Comma', 'Equals', 'Colon', 'Dot',
    ]);
  });

  it('reads strings with JSON escapes', () => {
    expect(lex('import "a \\"b\\".kiln"')).toEqual(['Import:import', 'StringLiteral:"a \\"b\\".kiln"']);
  });

  it('reports an unexpected character with its position', () => {
    const r = parseFile('network n {\n  x = relu(y) @\n}\n', 'f.kiln');
    expect(r.ast).toBeUndefined();
    expectDiagnostics(r.diagnostics, [{ code: 'lex', file: 'f.kiln', line: 2, col: 15, message: "unexpected character '@'" }]);
  });

  it('reports an unterminated string with a hint', () => {
    const r = parseFile('import "blocks.kiln\n', 'f.kiln');
    // The quote is the error; the parser then also misses its string, reported after it.
    expectDiagnostic(r.diagnostics, { code: 'lex', line: 1, col: 8, message: "unexpected character '\"'", hint: 'strings end on the same line' });
    expect(r.diagnostics[0]!.code).toBe('lex');
  });

  it('reports every bad character of a file, in order', () => {
    const r = parseFile('network n { $ }\n# fine\n  ^ ~\n', 'f.kiln');
    expect(r.diagnostics.filter((d) => d.code === 'lex').map((d) => [d.pos!.line, d.pos!.col, d.message])).toEqual([
      [1, 13, "unexpected character '$'"],
      [3, 3, "unexpected character '^'"],
      [3, 5, "unexpected character '~'"],
    ]);
  });
});

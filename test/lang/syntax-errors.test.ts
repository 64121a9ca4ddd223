import { describe, it, expect } from 'vitest';
import { parseFile } from '../../compiler/lang/build-ast.ts';
import { formatDiagnostics } from '../../compiler/lang/diagnostics.ts';
import { compileError, expectDiagnostic, expectDiagnostics, net } from '../helpers/kiln.ts';

const parseErrors = (text: string) => {
  const r = parseFile(text, 'f.kiln');
  expect(r.ast).toBeUndefined();
  return r.diagnostics;
};

describe('syntax errors', () => {
  it('reports a missing closing parenthesis where the next token is, with a hint', () => {
    expectDiagnostics(parseErrors('network n {\n  y = dense(x, 3 -> relu\n  output y\n}'), [
      { code: 'syntax', line: 2, col: 18, message: "expected ')' but found '->'", hint: 'arguments are separated by commas' },
    ]);
  });

  it('reports every syntax error of a file, in source order', () => {
    const src = [
      'network a {',
      '  input x f32[2]', // missing ':'
      '  y = relu(x',
      '  output y',
      '}',
      'network b(c = ) {', // missing default
      '  output c',
      '}',
      'target t : systolic { clock 1 GHz }',
      'network c { input x : f32[] output x }', // no dimensions
    ].join('\n');
    const diags = parseErrors(src);
    expect(diags.length).toBeGreaterThanOrEqual(4);
    expect(diags.every((d) => d.code === 'syntax')).toBe(true);
    expect(diags.map((d) => d.pos!.line)).toEqual([...diags.map((d) => d.pos!.line)].sort((p, q) => p - q));
    expectDiagnostic(diags, { code: 'syntax', line: 2, col: 11, message: "expected ':' but found 'f32'" });
    expectDiagnostic(diags, { code: 'syntax', line: 4, message: "found keyword 'output'" });
    expectDiagnostic(diags, { code: 'syntax', line: 6, col: 15, message: "')'" });
    expectDiagnostic(diags, { code: 'syntax', line: 10, col: 27, message: "unexpected ']' in an input declaration" });
  });

  it('reports a missing closing brace at the end of the file, not at its start', () => {
    expectDiagnostics(parseErrors('network n {\n  input x : f32[2]\n  output x\n\n'), [
      { code: 'syntax', line: 3, col: 11, message: "expected '}' but found end of file", hint: 'a network body holds' },
    ]);
  });

  it('names what it expected in words, not token-type names', () => {
    expectDiagnostics(parseErrors('network 5 { }'), [{ code: 'syntax', line: 1, col: 9, message: "expected a name but found '5'" }]);
    expectDiagnostics(parseErrors('network n { y = dense(x, units = ) output y }'), [{ code: 'syntax', col: 34, message: "unexpected ')' in an expression" }]);
    expectDiagnostics(parseErrors('target t systolic { }'), [{ code: 'syntax', col: 10, message: "unexpected 'systolic' in a target" }]);
    expectDiagnostics(parseErrors('import blocks'), [{ code: 'syntax', col: 8, message: "expected a string but found 'blocks'" }]);
  });

  it('reports stray text at the top level', () => {
    expectDiagnostic(parseErrors('network n { input x : f32[1] output x }\n}'), { code: 'syntax', line: 2, col: 1, message: "unexpected '}' at the top level", hint: '`network`, `target` and `train` blocks' });
    expectDiagnostics(parseErrors('layer y = relu(x)\n'), [{ code: 'syntax', line: 1, col: 1, message: "unexpected 'layer' at the top level", hint: 'a .kiln file holds `import "file"`' }]);
    // A module JSON given to `kiln check` by mistake.
    expectDiagnostics(parseErrors('{\n  "kiln": "module"\n}\n'), [{ code: 'syntax', line: 1, col: 1, message: "unexpected '{' at the top level" }]);
  });

  it('refuses a keyword as a layer name', () => {
    expectDiagnostic(parseErrors(net(['input x : f32[1]', 'output = relu(x)', 'output x'])), { code: 'syntax', line: 3 });
  });

  it('stops before the semantic checks: a file with syntax errors reports no unknown ops', () => {
    const e = compileError(net(['input x : f32[2, 3]', 'y = frobnicate(x', 'output y']));
    expect(e.diagnostics.map((d) => d.code)).toEqual(['syntax']);
  });

  it('formats a syntax error with the source line and a caret under the token', () => {
    const e = compileError('network n {\n  input x : f32[2, 3]\n  y = dense(x, 3 -> relu\n  output y\n}\n', { file: 'bad.kiln' });
    expect(formatDiagnostics(e.diagnostics, e.sources)).toBe([
      "bad.kiln:3:18: error: expected ')' but found '->'",
      '    3 |   y = dense(x, 3 -> relu',
      '      |                  ^~',
      '  hint: arguments are separated by commas: `conv2d(x, filters = 6, kernel = 5)`',
    ].join('\n'));
  });
});

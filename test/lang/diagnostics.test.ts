import { describe, it, expect } from 'vitest';
import { closest, didYouMean, editDistance, error, formatDiagnostic, formatDiagnostics, hasErrors, KilnError, warning } from '../../compiler/lang/diagnostics.ts';

const sources = new Map([['net.kiln', 'network n {\n  c2 = conv2(c1, filters = 16)\n\tx = y\n}\n']]);

describe('diagnostic formatting', () => {
  it('prints FILE:LINE:COL: error: MESSAGE, the source line, a caret underline and the hint', () => {
    const d = error('unknown-op', 'unknown op `conv2`', { file: 'net.kiln', line: 2, col: 8, length: 5 }, 'did you mean `conv2d`?');
    expect(formatDiagnostic(d, sources)).toBe([
      'net.kiln:2:8: error: unknown op `conv2`',
      '    2 |   c2 = conv2(c1, filters = 16)',
      '      |        ^~~~~',
      '  hint: did you mean `conv2d`?',
    ].join('\n'));
  });

  it('prints warnings with their severity', () => {
    expect(formatDiagnostic(warning('unused', '`a` is unused', { file: 'net.kiln', line: 2, col: 3, length: 2 }), sources).split('\n')[0]).toBe('net.kiln:2:3: warning: `a` is unused');
  });

  it('keeps tabs in the caret prefix so the caret lines up', () => {
    const text = formatDiagnostic(error('x', 'm', { file: 'net.kiln', line: 3, col: 6, length: 1 }), sources);
    expect(text.split('\n')[2]).toBe('      | \t    ^');
  });

  it('clips the underline at the end of the line and draws at least one caret', () => {
    const text = formatDiagnostic(error('x', 'm', { file: 'net.kiln', line: 4, col: 1, length: 40 }), sources);
    expect(text.split('\n')[2]).toBe('      | ^');
    expect(formatDiagnostic(error('x', 'm', { file: 'net.kiln', line: 2, col: 3 }), sources).split('\n')[2]).toBe('      |   ^');
  });

  it('prints the position alone when the source is unknown, and `kiln:` without a position', () => {
    expect(formatDiagnostic(error('x', 'oops', { file: 'other.kiln', line: 7, col: 2 }), sources)).toBe('other.kiln:7:2: error: oops');
    expect(formatDiagnostic(error('x', 'oops', undefined, 'try again'))).toBe('kiln: error: oops\n  hint: try again');
    // A line past the end of the file shows no source line rather than failing.
    expect(formatDiagnostic(error('x', 'oops', { file: 'net.kiln', line: 99, col: 1 }), sources)).toBe('net.kiln:99:1: error: oops');
  });

  it('counts lines as the lexer does: \\n, \\r\\n and a lone \\r', () => {
    const text = 'a\r\nb\rc\nd';
    const src = new Map([['m.kiln', text]]);
    expect(['b', 'c', 'd'].map((_, i) => formatDiagnostic(error('x', 'm', { file: 'm.kiln', line: i + 2, col: 1 }), src).split('\n')[1])).toEqual(['    2 | b', '    3 | c', '    4 | d']);
  });

  it('joins several diagnostics, one block each', () => {
    const text = formatDiagnostics([error('a', 'first', { file: 'net.kiln', line: 1, col: 1 }), error('b', 'second')], sources);
    expect(text.split('\n').filter((l) => /error:/.test(l))).toEqual(['net.kiln:1:1: error: first', 'kiln: error: second']);
  });

  it('tells errors from warnings', () => {
    expect(hasErrors([warning('w', 'w')])).toBe(false);
    expect(hasErrors([warning('w', 'w'), error('e', 'e')])).toBe(true);
  });

  it('KilnError carries every diagnostic and its sources', () => {
    const e = new KilnError([error('a', 'one'), error('b', 'two')], sources);
    expect(e.message).toBe('one; two');
    expect(e.diagnostics.map((d) => d.code)).toEqual(['a', 'b']);
    expect(e.sources).toBe(sources);
    expect(new KilnError(error('c', 'single')).diagnostics).toHaveLength(1);
  });
});

describe('did-you-mean', () => {
  it('computes Levenshtein distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('conv2', 'conv2d')).toBe(1);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('counts a swap of neighbouring letters as one edit, so transposition typos get a suggestion', () => {
    expect(editDistance('rleu', 'relu')).toBe(1);
    expect(editDistance('bacth', 'batch')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(closest('rleu', ['relu', 'tanh'])).toBe('relu');
    expect(closest('widht', ['width'])).toBe('width');
  });

  it('suggests the nearest candidate within a length-scaled distance, ignoring case', () => {
    expect(closest('conv3d', ['dense', 'conv2d', 'maxpool2d'])).toBe('conv2d');
    expect(closest('Dense', ['dense', 'conv2d'])).toBe('dense');
    expect(closest('xyz', ['dense', 'conv2d'])).toBeUndefined();
    expect(didYouMean('kernal', ['kernel', 'stride'])).toBe('did you mean `kernel`?');
    expect(didYouMean('zzzzzz', ['kernel'])).toBeUndefined();
  });
});

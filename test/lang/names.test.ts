import { describe, it, expect } from 'vitest';
import { compileError, compileText, diagnosticsOf, expectDiagnostic, expectDiagnostics, expectOnlyError, formattedErrors, net } from '../helpers/kiln.ts';

describe('names: undefined, duplicate, order', () => {
  it('reports an undefined tensor name with a suggestion', () => {
    expectOnlyError(net(['input image : f32[2, 3]', 'a = relu(imag)', 'output a']), {
      code: 'undefined-name', line: 3, col: 12, message: 'undefined name `imag`', hint: 'did you mean `image`?',
    });
  });

  it('reports an undefined output name', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'a = relu(x)', 'output b']), { code: 'undefined-name', line: 4, col: 10, message: 'undefined name `b`' });
  });

  it('reports an undefined parameter inside arithmetic, with a hint on how to declare it', () => {
    expectOnlyError(net(['input x : f32[2, width]', 'output x']), {
      code: 'undefined-name', line: 2, col: 20, message: 'undefined parameter `width`', hint: 'network n(width = 1)',
    });
    expectOnlyError(net(['input x : f32[2, 3]', 'y = dense(x, widht * 2)', 'output y'], 'width = 4'), {
      code: 'undefined-name', line: 3, col: 16, message: 'undefined parameter `widht`', hint: 'did you mean `width`?',
    });
  });

  it('reports a layer defined twice at its second definition, naming the first', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'a = relu(x)', 'a = tanh(x)', 'output a']), {
      code: 'duplicate-name', line: 4, col: 3, message: '`a` is defined twice', hint: 'the first definition is at line 3',
    });
  });

  it('reports an input named like another input', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'input x : f32[2, 3]', 'output x']), { code: 'duplicate-name', line: 3, col: 9, message: '`x` is defined twice' });
  });

  it('reports a layer named like a parameter, and a parameter given twice', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'c = relu(x)', 'output c'], 'c = 1'), { code: 'duplicate-name', line: 3, col: 3, message: '`c` is both a parameter and a layer' });
    expectOnlyError(net(['input x : f32[2, 3]', 'output x'], 'a = 1, a = 2'), { code: 'duplicate-name', line: 1, col: 18, message: 'duplicate parameter `a`' });
  });

  it('reports two networks of one name, pointing at the first', () => {
    const src = net(['input x : f32[1]', 'output x']) + net(['input x : f32[1]', 'output x']);
    expectOnlyError(src, { code: 'duplicate-name', line: 5, col: 9, message: 'duplicate network `n`', hint: 'the first is at main.kiln:1:9' });
  });

  it('reports a use before the definition, with the definition line', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'a = relu(b)', 'b = relu(x)', 'output a']), {
      code: 'use-before-definition', line: 3, col: 12, message: '`b` is used before its definition at line 4', hint: 'move this line below the definition',
    });
  });

  it('reports a chain head used before its definition', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'a = b -> relu', 'b = relu(x)', 'output a']), { code: 'use-before-definition', line: 3, col: 7 });
  });

  it('reports `timesteps` given twice', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'timesteps 2', 'timesteps 3', 'output x']), { code: 'duplicate-name', line: 4, col: 3, message: 'a network declares `timesteps` once' });
  });

  it('reports a layer called like an op', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'a = relu(x)', 'b = a(3)', 'output b']), {
      code: 'unknown-op', line: 4, col: 7, message: '`a` is a layer, not an op', hint: 'a -> op',
    });
  });

  it('does not cascade: uses of a failed layer are not reported again', () => {
    const diags = diagnosticsOf(net(['input x : f32[2, 3]', 'a = frob(x)', 'b = relu(a)', 'c = add(a, b)', 'output c']));
    expectDiagnostics(diags, [{ code: 'unknown-op', line: 3 }]);
  });

  it('reports every semantic error of a file in one run', () => {
    const src = net(['input x : f32[2, 3]', 'a = frob(x)', 'b = relu(q)', 'c = dense(x, unitz = 3)', 'output a']) + net(['input x : f32[1]', 'y = relu(x)'], '', 'm');
    const codes = compileError(src).diagnostics.map((d) => `${d.code}@${d.pos?.line}`);
    expect(codes).toEqual(expect.arrayContaining(['unknown-op@3', 'undefined-name@4', 'unknown-attr@5', 'missing-output@8']));
  });
});

describe('names: aliases and outputs', () => {
  it('treats `b = a` as an alias: no node, the same value', () => {
    const { module: m } = compileText(net(['input x : f32[2, 3]', 'a = relu(x)', 'b = a', 'c = b -> tanh', 'output c, b']));
    expect(Object.keys(m.nodes)).toEqual(['x', 'a', 'c']);
    expect(m.nodes.c!.inputs).toEqual(['a']);
    expect(m.outputs).toEqual(['c', 'a']);
  });

  it('collects outputs from several lines in order', () => {
    const { module: m } = compileText(net(['input x : f32[2, 3]', 'a = relu(x)', 'b = tanh(x)', 'output b', 'output a']));
    expect(m.outputs).toEqual(['b', 'a']);
  });

  it('reports spiking layers without timesteps, naming the first', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'h = dense(x, 4) -> lif', 'y = lif(h)', 'output y'], '', 'snn'), {
      code: 'missing-attr', line: 1, col: 9, message: 'network `snn` has spiking layers (`h`) but no `timesteps`', hint: 'add a line `timesteps 25`',
    });
  });

  it('reports a network with no output at its name', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'a = relu(x)']), {
      code: 'missing-output', line: 1, col: 9, message: 'network `n` has no `output`', hint: 'add a line `output NAME`',
    });
  });
});

describe('cycles', () => {
  it('reports a layer cycle once, with its path, instead of use-before-definition', () => {
    const diags = compileError(net(['input x : f32[2, 3]', 'a = add(x, c)', 'b = relu(a)', 'c = relu(b)', 'output c'])).diagnostics;
    expect(diags).toHaveLength(1);
    const d = expectDiagnostic(diags, { code: 'cycle', line: 3, col: 14, hint: 'directed acyclic graph' });
    // The path names every layer of the loop and returns to where it started.
    const path = /layers form a cycle: (.*)$/.exec(d.message)![1]!.split(' → ');
    expect(path[0]).toBe(path[path.length - 1]);
    expect(new Set(path)).toEqual(new Set(['a', 'b', 'c']));
  });

  it('reports a layer that feeds itself', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'a = add(x, a)', 'output a']), { code: 'cycle', line: 3, col: 14, message: 'layers form a cycle: a → a' });
  });

  it('reports a network that calls itself', () => {
    expectOnlyError(net(['input x : f32[2, 3]', 'y = n(x)', 'output y']), {
      code: 'cycle', line: 3, col: 7, message: 'network `n` calls itself: n → n', hint: 'not recursively',
    });
  });

  it('reports networks that call each other', () => {
    const src = net(['input x : f32[2, 3]', 'y = b(x)', 'output y'], '', 'a') + net(['input x : f32[2, 3]', 'y = a(x)', 'output y'], '', 'b');
    const diags = compileError(src, { network: 'a' }).diagnostics;
    expectDiagnostic(diags, { code: 'cycle', line: 8, col: 7, message: 'a → b → a' });
    expectDiagnostic(diags, { code: 'cycle', line: 3, col: 7, message: 'b → a → b' });
  });

  it('formats a cycle error in full', () => {
    expect(formattedErrors(net(['input x : f32[2, 3]', 'a = add(x, a)', 'output a']), { file: 'loop.kiln' })).toBe([
      'loop.kiln:3:14: error: layers form a cycle: a → a',
      '    3 |   a = add(x, a)',
      '      |              ^',
      '  hint: a network is a directed acyclic graph; recurrence is written with rnn, lstm or gru',
    ].join('\n'));
  });
});

/**
 * Issue 9: a file with several independent mistakes reports each of them, located, in one run;
 * a layer that failed does not make the layers that use it report errors of their own.
 */
import { describe, expect, it } from 'vitest';
import { checkText, diagnosticsOf, expectDiagnostics, net } from '../helpers/kiln.ts';

describe('independent mistakes are all reported in one run', () => {
  it('three misspelled ops in three layers give three located errors with hints', () => {
    const src = net([
      'input x : f32[1, 1, 28, 28]',
      'c = conv2dd(x, 8, 3)',
      'r = c -> relux',
      'f = flatten(r)',
      'y = densee(f, 10)',
      'output y',
    ]);
    expectDiagnostics(diagnosticsOf(src), [
      { code: 'unknown-op', line: 3, col: 7, message: '`conv2dd`', hint: 'did you mean `conv2d`?' },
      { code: 'unknown-op', line: 4, col: 12, message: '`relux`', hint: 'did you mean `relu`?' },
      { code: 'unknown-op', line: 6, col: 7, message: '`densee`', hint: 'did you mean `dense`?' },
    ]);
  });

  it('checks the rest of a chain whose first op is unknown, but not what needs its value', () => {
    // `bogus` is a mistake of its own; the arity of `add` (fed by a failed layer) is not checked.
    const src = net(['input x : f32[1, 4]', 'y = densse(x, 4) -> dense(3, bogus = 1) -> add', 'output y']);
    expectDiagnostics(diagnosticsOf(src), [
      { code: 'unknown-op', line: 3, message: '`densse`' },
      { code: 'unknown-attr', line: 3, col: 32, message: 'dense has no attribute `bogus`' },
    ]);
  });

  it('reports unknown attributes and ill-typed values in different layers together', () => {
    const src = net([
      'input x : f32[1, 4]',
      'a = dense(x, 8, bais = true)',
      'b = dense(a, 8, weights = q9)',
      'c = dense(b, 2.5)',
      'output c',
    ]);
    expectDiagnostics(diagnosticsOf(src), [
      { code: 'unknown-attr', line: 3, message: '`bais`', hint: 'did you mean `bias`?' },
      { code: 'bad-precision', line: 4, message: '`q9`' },
      { code: 'attr-type', line: 5 },
    ]);
  });

  it('an undefined name is one error: its attribute is not also missing, later values keep their places', () => {
    const src = net(['input x : f32[1, 4]', 'a = dense(x, unitz)', 'b = dense(a, 3) -> relux', 'output b']);
    expectDiagnostics(diagnosticsOf(src), [
      { code: 'undefined-name', line: 3, col: 16, message: '`unitz`' },
      { code: 'unknown-op', line: 4, message: '`relux`' },
    ]);
  });

  it('reports a shape error in a layer that built beside an unknown op in another', () => {
    const src = net(['input x : f32[1, 4]', 'input w : f32[5, 5]', 'a = matmul(x, w)', 'b = x -> densse(3)', 'output a']);
    expectDiagnostics(diagnosticsOf(src), [
      { code: 'shape', line: 4, message: 'inner sizes 4 and 5 differ' },
      { code: 'unknown-op', line: 5, message: '`densse`' },
    ]);
  });

  it('reports a mistake inside a network once, however often it is inlined', () => {
    const src = 'network blk(c = 4) {\n  input x : f32[1, c]\n  y = dense(x, c) -> relux\n  output y\n}\n' +
      'network top {\n  input x : f32[1, 4]\n  a = blk(x)\n  b = blk(x)\n  output b\n}\n';
    expectDiagnostics(diagnosticsOf(src, { network: 'top' }), [{ code: 'unknown-op', line: 3, message: '`relux`' }]);
  });

  it('reports target and train block errors alongside network errors', () => {
    const src = net(['input x : f32[1, 4]', 'y = dense(x, 3) -> sofmax', 'output y']) +
      'target t : simd_cpu { lanez 8 }\n' +
      'train n { data iris(train = 120, test = 30) epochs 1 batch 10 optimizer adamm(lr = 1e-2) loss cross_entropy }\n' +
      'target u extends no_such_base { }\n';
    const r = checkText(src);
    expectDiagnostics(r.diagnostics, [
      { code: 'unknown-op', line: 3, message: '`sofmax`', hint: 'did you mean `softmax`?' },
      { code: 'unknown-property', line: 6, col: 23, message: '`lanez`' },
      { code: 'undefined-name', line: 8, col: 18, message: '`no_such_base`' },
      { code: 'property-value', line: 7, message: '`adamm`', hint: 'did you mean `adam`?' },
    ]);
  });

  it('a layer that uses a failed layer is not reported, however far down the graph', () => {
    const src = net(['input x : f32[1, 4]', 'a = dens(x, 4)', 'b = dense(a, 4)', 'c = add(a, b)', 'd = concat(c, x, axis = 1)', 'output d']);
    expectDiagnostics(diagnosticsOf(src), [{ code: 'unknown-op', line: 3, message: '`dens`' }]);
    expect(checkText(src).modules.size).toBe(0);
  });
});

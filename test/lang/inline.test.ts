import { describe, it, expect } from 'vitest';
import { compileText, expectDiagnostic, expectDiagnostics, expectOnlyError, compileError, net, typeOf } from '../helpers/kiln.ts';

/** A block with two inputs and a parameter; checks on its own with its defaults. */
const blk = net(['input x : f32[2, 3]', 'input z : f32[2, c]', 'h = dense(x, c) -> relu', 'y = add(h, z)', 'output y'], 'c = 3', 'blk');
const caller = (lines: string[]) => blk + net(['input a : f32[2, 3]', 'input b : f32[2, 5]', ...lines], '', 'top');

describe('network calls (inlining)', () => {
  it('inlines a called network, prefixing its layer names with the caller layer', () => {
    const { module: m } = compileText(caller(['p = blk(a, b, c = 5)', 'output p']), { network: 'top' });
    expect(Object.keys(m.nodes)).toEqual(['a', 'b', 'p.h.dense', 'p.h', 'p.y']);
    expect(m.outputs).toEqual(['p.y']);
    // Positional tensors bind to the callee's inputs in order; named values to its parameters.
    expect(m.nodes['p.h.dense']!.inputs).toEqual(['a']);
    expect(m.nodes['p.y']!.inputs).toEqual(['p.h', 'b']);
    expect(m.nodes['p.h.dense']!.attrs.units).toBe(5);
    expect(typeOf(m, 'p.y')).toBe('f32[2, 5]');
    // The callee's own inputs are not nodes of the caller, and its defaults do not leak.
    expect(m.params).toEqual({});
  });

  it('chains network calls and evaluates their parameters in the caller', () => {
    const one = net(['input x : f32[2, w]', 'y = dense(x, 2 * w)', 'output y'], 'w = 3', 'twice');
    const { module: m } = compileText(one + net(['input a : f32[2, 4]', 'p = twice(a, w = k) -> twice(w = 2 * k) -> relu', 'output p'], 'k = 4', 'top'), { network: 'top' });
    expect(Object.keys(m.nodes)).toEqual(['a', 'p.twice.y', 'p.twice2.y', 'p']);
    expect(typeOf(m, 'p.twice.y')).toBe('f32[2, 8]');
    expect(typeOf(m, 'p.twice2.y')).toBe('f32[2, 16]');
    expect(m.nodes.p!.inputs).toEqual(['p.twice2.y']);
  });

  it('inlines nested calls with nested prefixes', () => {
    const inner = net(['input x : f32[2, 3]', 'y = tanh(x)', 'output y'], '', 'inner');
    const outer = net(['input x : f32[2, 3]', 'y = inner(x) -> relu', 'output y'], '', 'outer');
    const { module: m } = compileText(inner + outer + net(['input a : f32[2, 3]', 'z = outer(a)', 'output z'], '', 'top'), { network: 'top' });
    expect(Object.keys(m.nodes)).toEqual(['a', 'z.y.inner.y', 'z.y']);
  });

  it('reports positional parameters, wrong input counts, unknown parameters and several outputs', () => {
    expectOnlyError(caller(['p = blk(a, b, 5)', 'output p']), { code: 'arity', line: 11, col: 17, message: 'network `blk` takes its parameters by name', hint: 'write `blk(x, c = …)`' }, { network: 'top' });
    expectOnlyError(caller(['p = blk(a)', 'output p']), { code: 'arity', line: 11, col: 7, message: 'network `blk` takes 2 inputs but got 1' }, { network: 'top' });
    expectOnlyError(caller(['p = blk(a, b, d = 1)', 'output p']), { code: 'unknown-attr', line: 11, col: 17, message: 'network `blk` has no parameter `d`', hint: 'did you mean `c`?' }, { network: 'top' });
    const two = net(['input x : f32[2]', 'output x, x'], '', 'two');
    expectOnlyError(two + net(['input a : f32[2]', 'p = two(a)', 'output p'], '', 'top'), {
      code: 'arity', line: 7, col: 7, message: 'network `two` is called as a layer, so it needs exactly one output (it has 2)',
    }, { network: 'top' });
  });

  it('requires the callee parameters without defaults', () => {
    const needs = net(['input x : f32[2, 3]', 'y = dense(x, u)', 'output y'], 'u', 'needs');
    expect(compileText(needs + net(['input a : f32[2, 3]', 'p = needs(a, u = 7)', 'output p'], '', 'top'), { network: 'top', overrides: { u: 1 } }).module.nodes['p.y']!.attrs.units).toBe(7);
    const e = compileError(needs + net(['input a : f32[2, 3]', 'p = needs(a)', 'output p'], '', 'top'), { network: 'top', overrides: { u: 1 } });
    expectDiagnostics(e.diagnostics, [{ code: 'missing-attr', line: 8, col: 7, message: 'parameter `u` of network `needs` has no default and no value', hint: 'pass it: `needs(…, u = …)`' }]);
  });

  it('checks shapes inside the inlined layers, at their own source positions', () => {
    // With c = 4 the dense gives [2, 4] but z is [2, 5].
    const e = compileError(caller(['p = blk(a, b, c = 4)', 'output p']), { network: 'top' });
    expectDiagnostic(e.diagnostics, { code: 'shape', line: 5, col: 7, message: 'add `p.y`: add of incompatible shapes [2, 4] and [2, 5]' });
  });
});

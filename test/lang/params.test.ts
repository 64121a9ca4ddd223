import { describe, it, expect } from 'vitest';
import { evaluate, evaluateDim, EvalError } from '../../compiler/lang/evaluate.ts';
import { parseFile } from '../../compiler/lang/build-ast.ts';
import type { Expr } from '../../compiler/lang/ast.ts';
import { compileText, expectOnlyError, net, checkText, expectDiagnostic } from '../helpers/kiln.ts';
import { buildNetwork } from '../../compiler/lang/build-network.ts';
import { loadProgram } from '../../compiler/lang/load.ts';
import { memoryFiles } from '../helpers/memfs.ts';

/** Parse `text` as a parameter default and return its expression. */
function expr(text: string): Expr {
  const r = parseFile(`network n(p = ${text}) { output p }`, 'e.kiln');
  expect(r.diagnostics).toEqual([]);
  return r.ast!.decls[0]!.kind === 'network' ? (r.ast!.decls[0] as { params: { default?: Expr }[] }).params[0]!.default! : (undefined as never);
}

const env = new Map([['a', 7], ['b', 2]]);
const value = (text: string) => evaluate(expr(text), env, true);

describe('parameter arithmetic', () => {
  it('evaluates + - * / % with precedence, parentheses and unary minus', () => {
    expect(value('1 + 2 * 3')).toEqual({ kind: 'number', value: 7, isInt: true });
    expect(value('(1 + 2) * 3')).toMatchObject({ value: 9 });
    expect(value('a * b - 1')).toMatchObject({ value: 13 });
    expect(value('-(a - 10) % 4')).toMatchObject({ value: 3 });
    expect(value('a % b')).toMatchObject({ value: 1 });
    expect(value('-a + 10')).toMatchObject({ value: 3 });
    expect(value('- -a')).toMatchObject({ value: 7 });
    expect(value('20 - 5 - 3')).toMatchObject({ value: 12 });
    expect(value('a * 2 / b')).toMatchObject({ value: 7 });
  });

  it('keeps `/` exact, so a fraction is visible and rejected where an integer is needed', () => {
    expect(value('a / 2')).toEqual({ kind: 'number', value: 3.5, isInt: false });
    expect(() => evaluateDim(expr('a / 2'), env, 'a dimension')).toThrow(/a dimension must be a positive integer, not 3.5/);
    expect(evaluateDim(expr('a / 7'), env, 'a dimension')).toBe(1);
  });

  it('reports division by zero and a non-integer or zero `%`', () => {
    expect(() => value('a / (b - 2)')).toThrow(EvalError);
    expect(() => value('a / (b - 2)')).toThrow('division by zero');
    expect(() => value('a % 0')).toThrow('`%` needs integers and a non-zero divisor');
    expect(() => value('2.5 % 2')).toThrow('`%` needs integers');
  });

  it('rejects words and strings inside arithmetic', () => {
    expect(() => value('"x" * 2')).toThrow('arithmetic needs numbers, not a string');
    expect(() => value('[1, 2] + 1')).toThrow('arithmetic needs numbers, not a list');
    const e = (() => { try { value('a + zz'); } catch (x) { return x as EvalError; } return undefined; })();
    expect(e?.diagnostic).toMatchObject({ code: 'undefined-name', message: 'undefined parameter `zz`', pos: { line: 1, col: 19 } });
  });

  it('reads a bare word outside arithmetic as itself (an enum value or precision)', () => {
    expect(evaluate(expr('batchwise'), env)).toEqual({ kind: 'word', word: 'batchwise' });
    expect(evaluate(expr('a'), env)).toMatchObject({ kind: 'number', value: 7 });
    expect(evaluate(expr('[a, 2 * b, "s"]'), env)).toEqual({ kind: 'list', items: [{ kind: 'number', value: 7, isInt: true }, { kind: 'number', value: 4, isInt: true }, { kind: 'string', value: 's' }] });
  });
});

describe('network parameters', () => {
  it('evaluates defaults in order, each seeing the earlier ones', () => {
    const { module: m } = compileText(net(['input x : f32[d, (a + b) // comment', ', b % 4 + c, 2 * 3]', 'output x'], 'a = 7, b = 2 * a + 1, c = -(a - 10) % 4, d = a / 7'));
    expect(m.params).toEqual({ a: 7, b: 15, c: 3, d: 1 });
    expect(m.nodes.x!.attrs.shape).toEqual([1, 22, 6, 6]);
  });

  it('applies overrides before the defaults that depend on them (`--set`)', () => {
    const src = net(['input x : f32[batch, wide]', 'output x'], 'batch = 64, wide = 2 * batch');
    expect(compileText(src).module.params).toEqual({ batch: 64, wide: 128 });
    const { module: m } = compileText(src, { overrides: { batch: 3 } });
    expect(m.params).toEqual({ batch: 3, wide: 6 });
    expect(m.nodes.x!.type!.shape).toEqual([3, 6]);
  });

  it('requires a value for a parameter without a default', () => {
    const d = expectOnlyError(net(['input x : f32[2]', 'output x'], 'a'), { code: 'missing-attr', line: 1, col: 11, message: 'parameter `a` of network `n` has no default and no value' });
    expect(d.hint).toContain('--set a=N');
    expect(compileText(net(['input x : f32[a]', 'output x'], 'a'), { overrides: { a: 5 } }).module.params).toEqual({ a: 5 });
    // One error, not a second one for each use of the parameter.
    expectOnlyError(net(['input x : f32[a]', 'y = dense(x, a)', 'output y'], 'a'), { code: 'missing-attr', line: 1, col: 11 });
  });

  it('reports an override of a parameter the network does not have', () => {
    const program = loadProgram('m.kiln', { readFile: memoryFiles({ 'm.kiln': net(['input x : f32[batch]', 'output x'], 'batch = 1') }) });
    const r = buildNetwork(program, program.networks.get('n')!, { overrides: new Map([['bacth', 2]]) });
    expect(r.module).toBeUndefined();
    expectDiagnostic(r.diagnostics, { code: 'unknown-attr', message: 'network `n` has no parameter `bacth`', hint: 'did you mean `batch`?' });
  });

  it('reports an override that no network of the program has, in check and compile alike', () => {
    const src = net(['input x : f32[batch]', 'output x'], 'batch = 1');
    const x = { code: 'unknown-attr', message: 'no network in main.kiln has a parameter `bacth`', hint: 'did you mean `batch`?' };
    expectDiagnostic(checkText(src, { overrides: { bacth: 2 } }).diagnostics, x);
    expectOnlyError(src, x, { overrides: { bacth: 2 } });
  });

  it('lets compile take an override meant for another network of the file', () => {
    const needs = net(['input x : f32[2, 3]', 'y = dense(x, u)', 'output y'], 'u', 'needs');
    const top = net(['input a : f32[2, 3]', 'p = needs(a, u = 7)', 'output p'], '', 'top');
    // `needs` only checks with a value for u; `top` has no u, and must still compile.
    expect(compileText(needs + top, { network: 'top', overrides: { u: 1 } }).module.nodes['p.y']!.attrs.units).toBe(7);
  });

  it('applies `check --set` only to the networks that have the parameter', () => {
    const src = net(['input x : f32[batch]', 'output x'], 'batch = 1', 'a') + net(['input x : f32[4]', 'output x'], '', 'b');
    const r = checkText(src, { overrides: { batch: 9 } });
    expect(r.diagnostics).toEqual([]);
    expect(r.modules.get('a')!.params).toEqual({ batch: 9 });
    expect(r.modules.get('b')!.params).toEqual({});
  });

  it('evaluates timesteps from parameters and rejects a non-positive count', () => {
    const spiking = (t: string) => net(['input x : f32[2, 4]', `timesteps ${t}`, 'y = dense(x, 3) -> lif', 'output y'], 'steps = 5');
    expect(compileText(spiking('steps * 2')).module.timesteps).toBe(10);
    expectOnlyError(spiking('steps - 5'), { code: 'attr-type', line: 3, message: '`timesteps` must be a positive integer, not 0' });
  });

  it('gives a network without timesteps one step', () => {
    expect(compileText(net(['input x : f32[2]', 'output x'])).module.timesteps).toBe(1);
  });
});

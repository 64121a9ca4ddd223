import { describe, it, expect } from 'vitest';
import { compileText, diagnosticsOf, expectDiagnostics, net } from '../helpers/kiln.ts';

describe('eliminate-dead-code', () => {
  const src = net([
    'input x : f32[2, 4]',
    'input spare_in : f32[3]',
    'h = dense(x, 3) -> relu',
    'side = dense(h, 5) -> tanh -> relu',
    'more = add(side, side)',
    'y = softmax(h)',
    'output y',
  ]);

  it('drops layers no output uses and warns once per layer, at the layer', () => {
    const { module: m, diagnostics } = compileText(src);
    expect(Object.keys(m.nodes)).toEqual(['x', 'spare_in', 'h.dense', 'h', 'y']);
    // `side.dense` and `side.tanh` belong to `side`: one warning for the layer, at its last op.
    expectDiagnostics(diagnostics, [
      { code: 'unused', severity: 'warning', line: 5, col: 33, message: '`side` is not used by any output and is dropped', hint: 'list it in `output`' },
      { code: 'unused', severity: 'warning', line: 6, col: 10, message: '`more` is not used by any output and is dropped' },
    ]);
  });

  it('keeps unused inputs: they are the interface', () => {
    const { module: m } = compileText(src);
    expect(m.inputs).toEqual(['x', 'spare_in']);
    expect(m.nodes.spare_in!.type).toEqual({ shape: [3], dtype: 'f32' });
  });

  it('warns about an unused layer of an inlined network under its prefixed name', () => {
    const blk = net(['input x : f32[2, 3]', 'waste = relu(x)', 'y = tanh(x)', 'output y'], '', 'blk');
    const diags = diagnosticsOf(blk + net(['input a : f32[2, 3]', 'p = blk(a)', 'output p'], '', 'top'), { network: 'top' });
    // Once for `blk` checked on its own, once for its copy inlined as `p`.
    expect(diags.map((d) => d.message).sort()).toEqual(['`p.waste` is not used by any output and is dropped', '`waste` is not used by any output and is dropped']);
  });

  it('does not warn when everything is used', () => {
    expect(diagnosticsOf(net(['input x : f32[2, 4]', 'h = relu(x)', 'y = add(h, x)', 'output y'])).filter((d) => d.code === 'unused')).toEqual([]);
  });
});

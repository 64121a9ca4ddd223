/** The `delta = θ` attribute of dense, rnn, gru and lstm (docs/delta-networks.md): checks and IR. */
import { describe, expect, it } from 'vitest';
import { printModule } from '../../compiler/ir/print.ts';
import { verifyModule } from '../../compiler/ir/verify.ts';
import { compileText, expectOnlyError, net, node } from '../helpers/kiln.ts';

const seq = 'input x : f32[2, 5, 3]';
const one = (line: string) => net([seq, line, 'output y']);

describe('delta = θ', () => {
  it('is accepted on rnn, gru, lstm and dense, kept in the IR, and absent when not written', () => {
    for (const op of ['rnn(x, 4', 'gru(x, 4', 'lstm(x, 4', 'dense(x, 4']) {
      const m = compileText(one(`y = ${op}, delta = 0.05)`)).module;
      expect(node(m, 'y').attrs.delta).toBe(0.05);
      expect(verifyModule(m, { requireTypes: true })).toEqual([]);
      expect(printModule(m)).toContain('delta = 0.05');
      const plain = compileText(one(`y = ${op})`)).module;
      expect('delta' in node(plain, 'y').attrs).toBe(false);
      expect(verifyModule(plain, { requireTypes: true })).toEqual([]);
    }
  });

  it('θ = 0 is allowed (send any change); a negative θ is an error at the value', () => {
    expect(node(compileText(one('y = gru(x, 4, delta = 0)')).module, 'y').attrs.delta).toBe(0);
    expectOnlyError(one('y = gru(x, 4, delta = -0.1)'), { code: 'attr-type', line: 3, col: 25, message: 'gru: `delta` must be a number ≥ 0, not -0.1' });
    expectOnlyError(one('y = dense(x, 4, delta = fast)'), { code: 'attr-type', line: 3, message: 'dense: `delta` must be a number ≥ 0, not `fast`' });
  });

  it('is not an attribute of other ops', () => {
    expectOnlyError(one('y = relu(x, delta = 0.1)'), { code: 'unknown-attr', message: 'relu has no attribute `delta`' });
  });

  it('the verifier rejects a negative θ in a module JSON', () => {
    const m = compileText(one('y = lstm(x, 4, delta = 0.1)')).module;
    node(m, 'y').attrs.delta = -1;
    expect(verifyModule(m, { requireTypes: true })).toEqual(['node y: attribute "delta" must be a number ≥ 0, not -1']);
  });
});

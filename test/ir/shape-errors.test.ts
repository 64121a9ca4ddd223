import { describe, it, expect } from 'vitest';
import { compileError, expectDiagnostics, expectOnlyError, formattedErrors, net } from '../helpers/kiln.ts';

const inputs = ['input x : f32[2, 3, 4, 4]', 'input v : f32[2, 3]', 'input w : f32[2, 4]'];
const shapeError = (line: string, message: string, hint?: string | RegExp) =>
  expectOnlyError(net([...inputs, line, 'output y']), { code: 'shape', line: 5, col: 7, message, hint });

describe('shape errors', () => {
  it('add of incompatible shapes names both shapes and the axis', () => {
    shapeError('y = add(v, w)', 'add `y`: add of incompatible shapes [2, 3] and [2, 4] (axis 1: 3 vs 4)', 'NumPy broadcasting');
    shapeError('y = mul(x, w)', 'mul `y`: mul of incompatible shapes [2, 3, 4, 4] and [2, 4] (axis 2: 4 vs 2)');
  });

  it('concat of incompatible shapes', () => {
    shapeError('y = concat(v, w, axis = 0)', 'concat `y`: concat along axis 0 of incompatible shapes [2, 3] and [2, 4]', 'every axis but the concat axis must match');
    shapeError('y = concat(x, v)', 'concat along axis 1 of incompatible shapes [2, 3, 4, 4] and [2, 3]');
  });

  it('dense on a 4-D tensor hints at flatten', () => {
    shapeError('y = dense(x, 10)', 'dense `y`: dense expects a 2 or 3-D input but got 4-D [2, 3, 4, 4]', 'insert `flatten` before `dense` to turn [batch, c, h, w] into [batch, c·h·w]');
  });

  it('a kernel larger than its padded input, also when dilated', () => {
    shapeError('y = conv2d(x, 4, 5)', 'conv2d `y`: kernel 5 is larger than the padded input height 4 (4 + pad 0)', 'use a smaller kernel, more padding');
    shapeError('y = conv2d(x, 4, 3, dilation = 2)', 'kernel 3 (dilated to 5) is larger than the padded input height 4 (4 + pad 0)');
    shapeError('y = maxpool2d(x, [1, 7], pad = [0, 1])', 'kernel 7 is larger than the padded input width 6 (4 + pad 2)');
  });

  it('conv2d groups that do not divide the channels', () => {
    shapeError('y = conv2d(x, 4, 3, groups = 2)', 'conv2d groups = 2 must divide both the input channels (3) and the filters (4)', 'its input is f32[2, 3, 4, 4]');
  });

  it('pool padding as large as the kernel', () => {
    shapeError('y = maxpool2d(x, 2, pad = 2)', 'maxpool2d padding must be smaller than the kernel');
  });

  it('ops that need a rank they do not get', () => {
    shapeError('y = conv2d(v, 2, 1)', 'conv2d expects a 4-D input but got 2-D [2, 3]', 'use reshape to add axes');
    shapeError('y = avgpool2d(v, 2)', 'avgpool2d expects a 4-D input but got 2-D [2, 3]');
    shapeError('y = global_avgpool(v)', 'global_avgpool expects a 4-D input but got 2-D [2, 3]');
    shapeError('y = upsample2d(v)', 'upsample2d expects a 4-D input but got 2-D [2, 3]');
    shapeError('y = lstm(v, 4)', 'lstm expects a 3-D input but got 2-D [2, 3]', 'an embedding or a reshape makes one');
    expectOnlyError(net([...inputs, 'y = reshape(v, [1, 1, 1, 1, 6]) -> batchnorm', 'output y']), {
      code: 'shape', line: 5, col: 38, message: 'batchnorm expects a 2 or 3 or 4-D input but got 5-D [1, 1, 1, 1, 6]',
    });
  });

  it('axes out of range', () => {
    shapeError('y = softmax(v, 2)', 'softmax axis 2 is out of range for a 2-D tensor');
    shapeError('y = log_softmax(v, -3)', 'log_softmax axis -3 is out of range for a 2-D tensor');
    shapeError('y = flatten(v, 2)', 'flatten axis 2 is out of range for a 2-D tensor');
    shapeError('y = concat(v, v, axis = 2)', 'concat axis 2 is out of range for a 2-D tensor');
  });

  it('reshape and transpose that do not fit', () => {
    shapeError('y = reshape(v, [4, -1])', 'reshape of [2, 3] (6 elements) to [4, -1] changes the element count');
    shapeError('y = reshape(v, [-1, -1])', 'reshape shape [-1, -1] may hold one -1 and otherwise positive sizes');
    shapeError('y = transpose(v, [0, 0])', 'transpose perm [0, 0] is not a permutation of the 2 axes of [2, 3]', 'list each of 0..1 once');
  });

  it('matmul with different inner sizes', () => {
    shapeError('y = matmul(v, w)', 'matmul of [2, 3] and [2, 4]: the inner sizes 3 and 2 differ');
  });

  it('embedding of real values', () => {
    shapeError('y = embedding(v, 10, 4)', 'embedding takes integer token ids, but its input is f32', 'declare the input as i32');
  });

  it('reports a failed layer once, not again for the layers after it', () => {
    const e = compileError(net([...inputs, 'a = dense(x, 10)', 'b = relu(a) -> softmax', 'c = add(b, v)', 'output c']));
    expectDiagnostics(e.diagnostics, [{ code: 'shape', line: 5, message: 'dense `a`' }]);
  });

  it('reports independent shape errors together, in node order', () => {
    const e = compileError(net([...inputs, 'a = dense(x, 10)', 'b = add(v, w)', 'output a, b']));
    expectDiagnostics(e.diagnostics, [{ code: 'shape', line: 5 }, { code: 'shape', line: 6 }]);
  });

  it('points at the op in a chain that failed', () => {
    expectOnlyError(net([...inputs, 'y = relu(x) -> dense(10)', 'output y']), { code: 'shape', line: 5, col: 18, message: 'dense `y`' });
    expectOnlyError(net([...inputs, 'y = dense(x, 10) -> relu', 'output y']), { code: 'shape', line: 5, col: 7, message: 'dense `y.dense`' });
  });

  it('formats the flatten hint in full', () => {
    expect(formattedErrors(net(['input x : f32[64, 16, 5, 5]', 'y = dense(x, 120)', 'output y']), { file: 'lenet.kiln' })).toBe([
      'lenet.kiln:3:7: error: dense `y`: dense expects a 2 or 3-D input but got 4-D [64, 16, 5, 5]',
      '    3 |   y = dense(x, 120)',
      '      |       ^~~~~',
      '  hint: insert `flatten` before `dense` to turn [batch, c, h, w] into [batch, c·h·w]',
    ].join('\n'));
  });
});

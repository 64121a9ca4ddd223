import { describe, it, expect } from 'vitest';
import { compileText, expectOnlyError, formattedErrors, net, node } from '../helpers/kiln.ts';

const img = 'input x : f32[2, 3, 8, 8]';
const vec = 'input x : f32[2, 3]';
const one = (line: string, input = img) => net([input, line, 'output y']);

describe('op calls: unknown ops and attributes', () => {
  it('reports an unknown op with the nearest op as a suggestion', () => {
    expectOnlyError(one('y = conv3d(x, 4, 3)'), { code: 'unknown-op', line: 3, col: 7, message: 'unknown op `conv3d`', hint: 'did you mean `conv2d`?' });
    expectOnlyError(one('y = x -> rel', vec), { code: 'unknown-op', line: 3, col: 12, message: 'unknown op `rel`', hint: 'did you mean `relu`?' });
  });

  it('suggests network names too, and points at the docs when nothing is close', () => {
    const src = net(['input x : f32[2, 3]', 'output x'], '', 'encoder') + one('y = encodr(x)', vec);
    expectOnlyError(src, { code: 'unknown-op', line: 7, col: 7, hint: 'did you mean `encoder`?' }, { network: 'n' });
    expectOnlyError(one('y = qqqqqqqq(x)', vec), { code: 'unknown-op', hint: 'docs/language.md' });
  });

  it('formats the unknown-op error like the README shows', () => {
    expect(formattedErrors(one('y = conv3d(x, 4, 3)'), { file: 'bad.kiln' })).toBe([
      'bad.kiln:3:7: error: unknown op `conv3d`',
      '    3 |   y = conv3d(x, 4, 3)',
      '      |       ^~~~~~',
      '  hint: did you mean `conv2d`?',
    ].join('\n'));
  });

  it('reports an unknown attribute with a suggestion, or the list of attributes', () => {
    expectOnlyError(one('y = conv2d(x, 4, 3, kernal = 3)'), { code: 'unknown-attr', line: 3, col: 23, message: 'conv2d has no attribute `kernal`', hint: 'did you mean `kernel`?' });
    expectOnlyError(one('y = maxpool2d(x, 2, qqqqq = 1)'), { code: 'unknown-attr', hint: 'its attributes are kernel, stride, pad, dilation, ceil_mode' });
    expectOnlyError(one('y = relu(x, alpha = 1)'), { code: 'unknown-attr', message: 'relu has no attribute `alpha`', hint: 'its attributes are none' });
  });

  it('reports a missing required attribute at the op, with how to write it', () => {
    expectOnlyError(one('y = conv2d(x, 4)'), {
      code: 'missing-attr', line: 3, col: 7, message: 'conv2d needs `kernel` (an integer or a list [h, w]: kernel size: k or [kh, kw])', hint: 'write `conv2d(filters, …)` or `kernel = …`',
    });
    expectOnlyError(one('y = dense(x)', vec), { code: 'missing-attr', message: 'dense needs `units`', hint: 'write `dense(…)` or `units = …`' });
    expectOnlyError(one('y = dropout(x)', vec), { code: 'missing-attr', message: 'dropout needs `p`' });
  });

  it('reports an attribute given twice, positionally and by name', () => {
    expectOnlyError(one('y = dense(x, 3, units = 4)', vec), { code: 'duplicate-attr', line: 3, col: 19, message: '`units` is given twice' });
  });

  it('reports too many positional values, naming the positional attributes', () => {
    expectOnlyError(one('y = dense(x, 3, 4)', vec), { code: 'arity', line: 3, col: 19, message: 'dense takes at most 1 positional value (units)', hint: 'name the attribute' });
    expectOnlyError(one('y = relu(x, 3)', vec), { code: 'arity', message: 'relu takes no positional values' });
  });

  it('reports the wrong number of tensor inputs', () => {
    expectOnlyError(one('y = relu(x, x)', vec), { code: 'arity', line: 3, col: 7, message: 'relu takes 1 input but got 2' });
    expectOnlyError(one('y = add(x)', vec), { code: 'arity', message: 'add takes 2 inputs but got 1', hint: 'write `add(a, b)` or `a -> add(b)`' });
    expectOnlyError(one('y = concat(x)', vec), { code: 'arity', message: 'concat takes at least 2 inputs but got 1' });
    expectOnlyError(one('y = relu()', vec), { code: 'arity', message: 'relu takes 1 input but got 0', hint: 'write `relu(x, …)` or `x -> relu`' });
  });
});

describe('op calls: value types', () => {
  const cases: [string, string, string][] = [
    ['y = conv2d(x, 3.5, 3)', '`filters` must be an integer ≥ 1, not 3.5', 'attr-type'],
    ['y = conv2d(x, 0, 3)', '`filters` must be ≥ 1, not 0', 'attr-type'],
    ['y = conv2d(x, 4, [3, 3, 3])', '`kernel` must be an integer or a list [h, w], not [3, 3, 3]', 'attr-type'],
    ['y = conv2d(x, 4, 3, pad = [1, 2, 3])', '`pad` must be an integer, [h, w] or [top, left, bottom, right], not [1, 2, 3]', 'attr-type'],
    ['y = conv2d(x, 4, 3, pad = -1)', '`pad` must be ≥ 0, not -1', 'attr-type'],
    ['y = conv2d(x, 4, 3, bias = 1)', '`bias` must be `true` or `false`, not 1', 'attr-type'],
    ['y = conv2d(x, 4, 3, stride = same)', '`stride` must be an integer or a list [h, w], not `same`', 'attr-type'],
    ['y = dropout(x, 1.0)', '`p` must be a number in [0, 1), not 1', 'attr-type'],
    ['y = dropout(x, "half")', '`p` must be a number in [0, 1), not "half"', 'attr-type'],
    ['y = dropout(x, 0.5, mode = random)', '`mode` must be one of `elementwise`, `batchwise`, `structured`, not `random`', 'attr-type'],
    ['y = reshape(x, 6)', '`shape` must be a list of integers like [batch, -1], not 6', 'attr-type'],
    ['y = conv2d(x, 4, 3, weights = i7)', 'unknown precision `i7` for `weights`', 'bad-precision'],
    ['y = conv2d(x, 4, 3, activations = i32)', 'unknown precision `i32` for `activations`', 'bad-precision'],
    ['y = conv2d(x, 4, 3, weights = i8 per_row)', 'unknown granularity `per_row` for `weights`', 'bad-precision'],
    ['y = conv2d(x, 4, 3, bias = true per_channel)', '`bias` takes no qualifier `per_channel`', 'attr-type'],
  ];
  for (const [line, message, code] of cases) {
    it(`${line} → ${message}`, () => {
      const col = line.lastIndexOf('=') + 2 + 2 + 1; // past the last `= ` and the indentation
      const d = expectOnlyError(one(line), { code, line: 3, message });
      // The error points at the value (the last argument) and the message names the op.
      expect(d.message.startsWith(line.slice(4, line.indexOf('(')) + ': ')).toBe(true);
      if (line.includes(' = ', 6)) expect(d.pos!.col).toBe(col);
    });
  }

  it('hints the precision names and the granularities', () => {
    expectOnlyError(one('y = conv2d(x, 4, 3, weights = int8)'), { code: 'bad-precision', hint: 'precisions are f32, bf16, f16, i16, i8, ternary, binary' });
    expectOnlyError(one('y = conv2d(x, 4, 3, weights = i8 per_row)'), { code: 'bad-precision', hint: 'write per_tensor or per_channel' });
  });

  it('suggests the nearest enum value', () => {
    expectOnlyError(one('y = dropout(x, 0.5, mode = batchwize)', vec), { code: 'attr-type', hint: 'did you mean `batchwise`?' });
  });

  it('reports an unknown input element type with a suggestion', () => {
    expectOnlyError(net(['input x : q8[2, 3]', 'output x']), { code: 'bad-dtype', line: 2, col: 13, message: 'unknown element type `q8`', hint: 'did you mean `i8`?' });
    expectOnlyError(net(['input x : complex[2, 3]', 'output x']), { code: 'bad-dtype', hint: 'element types are f32, f16, bf16, i32, i16, i8, ternary, binary, spike' });
  });

  it('rejects dimensions that are not positive integers', () => {
    expectOnlyError(net(['input x : f32[a / 2]', 'output x'], 'a = 7'), { code: 'attr-type', line: 2, col: 19, message: 'a dimension must be a positive integer, not 3.5' });
    expectOnlyError(net(['input x : f32[a - 7]', 'output x'], 'a = 7'), { code: 'attr-type', message: 'a dimension must be a positive integer, not 0' });
    expectOnlyError(net(['input x : f32[relu]', 'output x']), { code: 'undefined-name', message: 'undefined parameter `relu`' });
  });
});

describe('op calls: normalization of attribute values', () => {
  it('fills every default, widens scalars to pairs and pads to four sides', () => {
    const { module: m } = compileText(net([img, 'a = conv2d(x, 4, 3, pad = [1, 2])', 'b = maxpool2d(a, 2)', 'c = conv2d(b, 4, [1, 3], pad = [0, 1, 0, 1], stride = [1, 2])', 'output c']));
    expect(node(m, 'a').attrs).toEqual({
      filters: 4, kernel: [3, 3], stride: [1, 1], pad: [1, 2, 1, 2], dilation: [1, 1], groups: 1, bias: true,
      weights: { dtype: 'f32', granularity: 'per_tensor' }, activations: { dtype: 'f32', granularity: 'per_tensor' },
    });
    // A pool's stride defaults to its kernel.
    expect(node(m, 'b').attrs).toMatchObject({ kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], ceil_mode: false });
    expect(node(m, 'c').attrs).toMatchObject({ kernel: [1, 3], stride: [1, 2], pad: [0, 1, 0, 1] });
  });

  it('reads a qualifier into the precision granularity', () => {
    const { module: m } = compileText(net([vec, 'y = dense(x, 4, weights = i8 per_channel, activations = i8 per_tensor)', 'output y']));
    expect(node(m, 'y').attrs.weights).toEqual({ dtype: 'i8', granularity: 'per_channel' });
    expect(node(m, 'y').attrs.activations).toEqual({ dtype: 'i8', granularity: 'per_tensor' });
  });

  it('evaluates attribute arithmetic over parameters', () => {
    const { module: m } = compileText(net([img, 'y = conv2d(x, 2 * c + 1, k - 2, pad = k / 5)', 'output y'], 'c = 3, k = 5'));
    expect(node(m, 'y').attrs).toMatchObject({ filters: 7, kernel: [3, 3], pad: [1, 1, 1, 1] });
  });

  it('keeps floats as given and reads words as booleans and enums', () => {
    const { module: m } = compileText(net([vec, 'y = leaky_relu(x, 0.2) -> hard_tanh(min = -2, max = 2.5) -> dropout(.25, mode = structured)', 'output y']));
    expect(node(m, 'y.leaky_relu').attrs).toEqual({ alpha: 0.2 });
    expect(node(m, 'y.hard_tanh').attrs).toEqual({ min: -2, max: 2.5 });
    expect(node(m, 'y').attrs).toEqual({ p: 0.25, mode: 'structured' });
  });
});

describe('op calls: attributes in the IR', () => {
  it('nodes of ops without attributes share one frozen attrs object, so an edit in place fails loudly', () => {
    const m = compileText(net([vec, 'y = x -> relu -> sigmoid -> relu', 'output y'])).module;
    const [a, b, c] = ['y.relu', 'y.sigmoid', 'y'].map((id) => m.nodes[id]!.attrs);
    expect(a).toEqual({});
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => { (a as Record<string, number>).alpha = 1; }).toThrow(TypeError);
  });
});

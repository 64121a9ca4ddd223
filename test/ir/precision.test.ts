/**
 * Precision attributes → output dtypes and parameter dtypes, as docs/language.md states them:
 * a layer with parameters outputs its `activations` precision when one other than f32 is set;
 * otherwise float, i8 and i16 inputs keep their type and binary, ternary and spike inputs sum into
 * f32. Parameters take the `weights` precision, except biases and batch-norm running statistics.
 */
import { describe, it, expect } from 'vitest';
import { compileText, net, node, paramsOf, typeOf } from '../helpers/kiln.ts';

const compile = (lines: string[]) => compileText(net(lines)).module;

describe('precision attributes', () => {
  it('stores weights in their precision and keeps biases in f32', () => {
    const m = compile(['input x : f32[2, 784]', 'y = dense(x, 10, weights = i8 per_channel, activations = i8)', 'output y']);
    expect(typeOf(m, 'y')).toBe('i8[2, 10]');
    expect(paramsOf(m, 'y')).toEqual({ weight: 'i8[10, 784]', bias: 'f32[10]' });
    expect(node(m, 'y').attrs.weights).toEqual({ dtype: 'i8', granularity: 'per_channel' });
  });

  it('gives binary weights a binary tensor while real inputs keep the output real', () => {
    const m = compile(['input x : f32[1, 3, 8, 8]', 'y = conv2d(x, 4, 3, weights = binary)', 'output y']);
    expect(typeOf(m, 'y')).toBe('f32[1, 4, 6, 6]');
    expect(paramsOf(m, 'y')).toEqual({ weight: 'binary[4, 3, 3, 3]', bias: 'f32[4]' });
  });

  it('sums binary, ternary and spike inputs into f32', () => {
    const m = compile([
      'input x : f32[2, 16]', 'timesteps 3',
      'b = sign(x) -> dense(8, weights = binary)',
      't = dense(x, 16, activations = ternary) -> dense(8)',
      's = lif(x) -> dense(8)',
      'output b, t, s',
    ]);
    expect(typeOf(m, 'b.sign')).toBe('binary[2, 16]');
    expect(typeOf(m, 'b')).toBe('f32[2, 8]');
    expect(typeOf(m, 't.dense')).toBe('ternary[2, 16]');
    expect(typeOf(m, 't')).toBe('f32[2, 8]');
    expect(typeOf(m, 's.lif')).toBe('spike[2, 16]');
    expect(typeOf(m, 's')).toBe('f32[2, 8]');
  });

  it('keeps i8, i16 and half-precision inputs through a layer without an activations precision', () => {
    const m = compile(['input a : i8[2, 4]', 'input b : i16[2, 4]', 'input c : bf16[2, 4]', 'p = dense(a, 3)', 'q = dense(b, 3)', 'r = dense(c, 3)', 'output p, q, r']);
    expect([typeOf(m, 'p'), typeOf(m, 'q'), typeOf(m, 'r')]).toEqual(['i8[2, 3]', 'i16[2, 3]', 'bf16[2, 3]']);
  });

  it('applies activations to every layer kind with parameters', () => {
    const m = compile([
      'input x : f32[2, 3, 8, 8]', 'input t : i32[2, 5]',
      'c = conv2d(x, 4, 3, activations = f16)',
      'n = batchnorm(x, weights = i16, activations = bf16)',
      'e = embedding(t, 50, 6, weights = i8, activations = f16)',
      'r = embedding(t, 50, 6) -> gru(4, weights = i8 per_channel, activations = i16)',
      'output c, n, e, r',
    ]);
    expect(typeOf(m, 'c')).toBe('f16[2, 4, 6, 6]');
    expect(typeOf(m, 'n')).toBe('bf16[2, 3, 8, 8]');
    // Batch-norm scale and shift follow the weights; running statistics stay f32.
    expect(paramsOf(m, 'n')).toEqual({ gamma: 'i16[3]', beta: 'i16[3]', running_mean: 'f32[3]', running_var: 'f32[3]' });
    expect(typeOf(m, 'e')).toBe('f16[2, 5, 6]');
    expect(paramsOf(m, 'e')).toEqual({ table: 'i8[50, 6]' });
    // Token ids are integers, but the looked-up vectors are real.
    expect(typeOf(m, 'r.embedding')).toBe('f32[2, 5, 6]');
    expect(typeOf(m, 'r')).toBe('i16[2, 5, 4]');
    expect(paramsOf(m, 'r')).toEqual({ w_ih0: 'i8[12, 6]', w_hh0: 'i8[12, 4]', b0: 'f32[12]' });
  });

  it('leaves ops without parameters to their input dtype', () => {
    const m = compile(['input x : i8[1, 2, 4, 4]', 'y = maxpool2d(x, 2) -> relu -> flatten -> softmax', 'output y']);
    expect(typeOf(m, 'y')).toBe('i8[1, 8]');
  });
});

/**
 * `ste = identity | clipped | relu | clipped_relu` (Yin et al. 2019, ICLR): the gradient each
 * estimator lets through at points inside and outside the clip range, on sign activations, binary
 * and int8 weights, and the per-precision defaults that a layer naming no estimator keeps.
 */
import { describe, expect, it } from 'vitest';
import { backward, forward } from '../../../runtime/autodiff.ts';
import { fromArray } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';
import { diagnosticsOf, expectDiagnostic, net } from '../../helpers/kiln.ts';

const X = [-2, -1, -0.5, 0, 0.25, 1, 1.5, 3];
const DY = [1, 2, 3, 4, 5, 6, 7, 8];

/** dL/dx of L = Σ DY ⊙ sign(x) through the estimator `ste` (absent: sign's default). */
function signGrad(ste?: string): number[] {
  const m = build(['input x : f32[2, 4]', `y = sign(x${ste ? `, ste = ${ste}` : ''})`, 'output y']);
  const fwd = forward(m, {}, { x: fromArray([2, 4], X) }, { training: true });
  expect(Array.from(fwd.outputs.y!.data)).toEqual([-1, -1, -1, 1, 1, 1, 1, 1]);
  const g = backward(m, fwd, new Map([['y', fromArray([2, 4], DY)]]), { training: true, inputs: true });
  return Array.from(g.inputs.x!.data, (v) => v + 0);
}

describe('sign with each straight-through estimator (clip range ±1)', () => {
  // x = −2, −1, −0.5, 0, 0.25, 1, 1.5, 3
  it('identity passes every gradient', () => expect(signGrad('identity')).toEqual(DY));
  it('clipped passes where |x| ≤ 1', () => expect(signGrad('clipped')).toEqual([0, 2, 3, 4, 5, 6, 0, 0]));
  it('relu passes where x > 0', () => expect(signGrad('relu')).toEqual([0, 0, 0, 0, 5, 6, 7, 8]));
  it('clipped_relu passes where 0 < x ≤ 1', () => expect(signGrad('clipped_relu')).toEqual([0, 0, 0, 0, 5, 6, 0, 0]));
  it('without `ste`, sign keeps the clipped (hardtanh) estimator', () => expect(signGrad()).toEqual(signGrad('clipped')));
});

/** dL/dW of a 1-input, 4-output dense layer with x = 1 and dL/dy = [1, 2, 3, 4]: the STE's mask on W. */
function weightGrad(precision: string, w: number[], ste?: string): number[] {
  const m = build(['input x : f32[1, 1]', `y = dense(x, 4, bias = false, weights = ${precision}${ste ? `, ste = ${ste}` : ''})`, 'output y']);
  const weights = { y: { weight: fromArray([4, 1], w) } };
  const fwd = forward(m, weights, { x: fromArray([1, 1], [1]) }, { training: true });
  const g = backward(m, fwd, new Map([['y', fromArray([1, 4], [1, 2, 3, 4])]]), { training: true });
  return Array.from(g.params.y!.weight!.data, (v) => v + 0);
}

describe('binary weights with each estimator (clip range ±1)', () => {
  const w = [-1.5, -0.5, 0.5, 1.5];
  it('identity', () => expect(weightGrad('binary', w, 'identity')).toEqual([1, 2, 3, 4]));
  it('clipped (the default)', () => {
    expect(weightGrad('binary', w, 'clipped')).toEqual([0, 2, 3, 0]);
    expect(weightGrad('binary', w)).toEqual([0, 2, 3, 0]);
  });
  it('relu', () => expect(weightGrad('binary', w, 'relu')).toEqual([0, 0, 3, 4]));
  it('clipped_relu', () => expect(weightGrad('binary', w, 'clipped_relu')).toEqual([0, 0, 3, 0]));
});

describe('other precisions: the range is the largest quantized magnitude', () => {
  it('ternary defaults to the identity; clipped cuts beyond α', () => {
    // TWN: Δ = 0.7·mean|w| = 0.7·1.5 = 1.05, so −2 and 3 are kept with α = 2.5; clipped cuts |w| > 2.5.
    const w = [-2, 0.5, 0.5, 3];
    expect(weightGrad('ternary', w)).toEqual([1, 2, 3, 4]);
    expect(weightGrad('ternary', w, 'clipped')).toEqual([1, 2, 3, 0]);
    expect(weightGrad('ternary', w, 'relu')).toEqual([0, 2, 3, 4]);
    expect(weightGrad('ternary', w, 'clipped_relu')).toEqual([0, 2, 3, 0]);
  });
  it('i8 with a max-abs scale saturates nothing, so clipped (its default) and identity agree', () => {
    const w = [-0.8, -0.1, 0.2, 0.4];
    expect(weightGrad('i8', w)).toEqual([1, 2, 3, 4]);
    expect(weightGrad('i8', w, 'identity')).toEqual([1, 2, 3, 4]);
    expect(weightGrad('i8', w, 'relu')).toEqual([0, 0, 3, 4]);
  });
});

describe('the language', () => {
  it('rejects an unknown estimator at its position, listing the valid ones', () => {
    const src = net(['input x : f32[batch, 3]', 'y = dense(x, 2, weights = binary, ste = hardtanh)', 'output y'], 'batch = 2');
    const d = expectDiagnostic(diagnosticsOf(src), { code: 'attr-type', line: 3, col: 43, message: '`ste` must be one of `identity`, `clipped`, `relu`, `clipped_relu`, not `hardtanh`' });
    expect(d.severity).toBe('error');
  });
});

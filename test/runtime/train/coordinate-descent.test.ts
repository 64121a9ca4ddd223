/**
 * Coordinate descent over a weight value set (after CoNNTrA, Date et al. 2020): one step on tiny
 * problems whose best value in the set is known, the confirmation that undoes a move the
 * first-order estimate got wrong, and the projection of the initial weights onto the set.
 */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { fromArray } from '../../../runtime/tensor.ts';
import { coordinateStep, discreteParams } from '../../../runtime/train/coordinate-descent.ts';
import { build } from '../autodiff/helpers.ts';

const opts = { fraction: 1, tries: 3, loss: 'mse' as const };

/**
 * y = w·x for one ternary weight and one sample; mse against the one-hot target 1 (label 0):
 * L(w) = (x·w − 1)². The set is {−α, 0, α} with α the TWN scale of the starting weights.
 */
function problem(w: number[], x: number[]) {
  const m = build([`input x : f32[1, ${x.length}]`, 'y = dense(x, 1, bias = false, weights = ternary)', 'output y']);
  const weights = { y: { weight: fromArray([1, w.length], w) } };
  const discrete = discreteParams(m, weights);
  const step = () => coordinateStep(m, weights, discrete, { x: fromArray([1, x.length], x) }, [0], 0, opts);
  return { w: weights.y.weight.data, step, alpha: discrete[0]!.alpha };
}

describe('one coordinate-descent step', () => {
  it('moves a weight at 0 to +α when that is the set’s best value', () => {
    // w = (1, 0): TWN's α = 1 (Δ = 0.35). x = (0, 1): L(w2) = (w2 − 1)², best in {−1, 0, 1} is 1.
    const p = problem([1, 0], [0, 1]);
    expect(Array.from(p.alpha)).toEqual([1]);
    const r = p.step();
    expect(r.loss).toBeCloseTo(1, 6);
    expect(Array.from(p.w)).toEqual([1, 1]);
    expect(r.accepted).toBe(1);
  });

  it('keeps +α when the gradient points down but 0 is worse (the confirmation undoes it)', () => {
    // x = 1.25: L(1) = 0.0625, dL/dw = 2·0.25·1.25 > 0 proposes 0, where L(0) = 1 — rejected.
    const p = problem([1], [1.25]);
    const r = p.step();
    expect(r.loss).toBeCloseTo(0.0625, 6);
    expect(Array.from(p.w)).toEqual([1]);
    expect(r.accepted).toBe(0);
  });

  it('moves one level per step: −α → 0 → +α towards a best value of +α', () => {
    const p = problem([-1], [1]);
    p.step();
    expect(Array.from(p.w)).toEqual([0]);
    p.step();
    expect(Array.from(p.w)).toEqual([1]);
  });

  it('with a share of the weights, moves only those with the largest estimated decrease', () => {
    // Four weights at 0 with α = 1 set by a fifth at 1 (input 0); inputs 0.1 … 0.4 give gradients
    // proportional to them; fraction 0.2 of 5 weights is one move: the weight under x = 0.4.
    const m = build(['input x : f32[1, 5]', 'y = dense(x, 1, bias = false, weights = ternary)', 'output y']);
    const weights = { y: { weight: fromArray([1, 5], [1, 0, 0, 0, 0]) } };
    const discrete = discreteParams(m, weights);
    const r = coordinateStep(m, weights, discrete, { x: fromArray([1, 5], [0, 0.1, 0.2, 0.4, 0.3]) }, [0], 0, { ...opts, fraction: 0.2 });
    expect(r.accepted).toBe(1);
    expect(Array.from(weights.y.weight.data)).toEqual([1, 0, 0, 1, 0]);
  });
});

describe('the value set', () => {
  it('projects initial ternary weights onto {−α, 0, α} with TWN’s α (Δ = 0.7·mean|w|)', () => {
    const m = build(['input x : f32[1, 4]', 'y = dense(x, 1, bias = false, weights = ternary)', 'output y']);
    const weights = { y: { weight: fromArray([1, 4], [0.9, -0.1, -0.5, 0.2]) } };
    const [d] = discreteParams(m, weights);
    // mean|w| = 0.425, Δ = 0.2975: 0.9 and −0.5 stay, α = 0.7.
    expect(d!.alpha[0]).toBeCloseTo(0.7, 6);
    expect(Array.from(weights.y.weight.data, (v) => Math.round(v * 10) / 10)).toEqual([0.7, 0, -0.7, 0]);
  });
  it('binary weights take ±1', () => {
    const m = build(['input x : f32[1, 3]', 'y = dense(x, 1, bias = false, weights = binary)', 'output y']);
    const weights = { y: { weight: fromArray([1, 3], [0.3, -0.2, 0]) } };
    discreteParams(m, weights);
    expect(Array.from(weights.y.weight.data)).toEqual([1, -1, 1]);
  });
  it('refuses a network without ternary or binary weights', () => {
    const m = build(['input x : f32[1, 3]', 'y = dense(x, 1)', 'output y']);
    expect(() => discreteParams(m, { y: { weight: fromArray([1, 3], [1, 2, 3]) } })).toThrow(KilnError);
    expect(() => discreteParams(m, { y: { weight: fromArray([1, 3], [1, 2, 3]) } })).toThrow(/no layer with ternary or binary weights/);
  });
});

/** The rate-band regularizer: its penalty and gradient on a hand network, and its train-block syntax. */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { lossAndGradients } from '../../../runtime/autodiff.ts';
import { forward } from '../../../runtime/autodiff/forward.ts';
import { rateBandLoss } from '../../../runtime/autodiff/rate-band.ts';
import type { Weights } from '../../../runtime/interpreter/types.ts';
import { trainConfig } from '../../../runtime/train.ts';
import { checkText, compileText, net } from '../../helpers/kiln.ts';

const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });

const SRC = net(['input x : f32[batch, 2]', 'h = dense(x, 2) -> relu', 'y = dense(h, 2) -> softmax', 'output y'], 'batch = 2', 'band');

describe('rate_band penalty', () => {
  const m = compileText(SRC).module;
  const w: Weights = {
    'h.dense': { weight: t([2, 2], [1, 0, 0, 1]), bias: t([2], [0, 0]) },
    'y.dense': { weight: t([2, 2], [1, -1, -1, 1]), bias: t([2], [0, 0]) },
  };
  const x = { x: t([2, 2], [3, 0.5, 2, -1]) };

  it('is weight·(q − high)² for the percentile q above the band, with its gradient on that one element', () => {
    // h = [[3, 0.5], [2, 0]]; positives 0.5, 2, 3: the 100th percentile is 3 (index 0), the 50th is 2 (index 2).
    const fwd = forward(m, w, x, { training: true });
    const top = rateBandLoss(m, fwd, { low: 0, high: 1, percentile: 100, weight: 0.5 });
    expect(top.loss).toBeCloseTo(0.5 * 4, 6);
    expect([...top.seeds.get('h')!.data]).toEqual([2 * 0.5 * 2, 0, 0, 0]);
    const mid = rateBandLoss(m, fwd, { low: 2.5, high: 10, percentile: 50, weight: 1 });
    expect(mid.loss).toBeCloseTo(0.25, 6);
    expect([...mid.seeds.get('h')!.data]).toEqual([0, 0, -1, 0]);
    expect(rateBandLoss(m, fwd, { low: 0, high: 5, percentile: 100, weight: 1 }).seeds.size).toBe(0);
  });

  it('is added to the step\'s loss, and its gradient reaches the weights feeding the layer', () => {
    const labels = [0, 1];
    const plain = lossAndGradients(m, w, x, labels);
    const banded = lossAndGradients(m, w, x, labels, { rateBand: { low: 0, high: 1, percentile: 100, weight: 0.5 } });
    expect(banded.loss - plain.loss).toBeCloseTo(2, 5);
    // q = h[0][0] = 3 = x[0]·W[0][0]: dPenalty/dW[0][0] = 2·0.5·(3 − 1)·x[0][0] = 6.
    const dW = (r: typeof plain) => r.grads.params['h.dense']!.weight!.data[0]!;
    expect(dW(banded) - dW(plain)).toBeCloseTo(6, 4);
  });
});

describe('regularize rate_band(…) in a train block', () => {
  const block = (args: string) => trainConfig(checkText(`${SRC}\ntrain band { data iris  regularize rate_band(${args}) }\n`).trains.get('band')!);
  it('defaults to low 0, high 1, the 99.9th percentile and weight 1e-3', () => {
    expect(block('').rateBand).toEqual({ low: 0, high: 1, percentile: 99.9, weight: 1e-3 });
    expect(block('high = 2, weight = 0.1').rateBand).toEqual({ low: 0, high: 2, percentile: 99.9, weight: 0.1 });
  });
  it('refuses low ≥ high and unknown arguments at their position', () => {
    for (const [args, message] of [['low = 2, high = 1', /needs low < high/], ['hi = 2', /has no argument `hi`/], ['percentile = 120', /`percentile` must be in \(0, 100\]/]] as const) {
      let err: unknown;
      try { block(args); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(KilnError);
      const d = (err as KilnError).diagnostics[0]!;
      expect(d.message).toMatch(message);
      expect(d.pos?.line).toBe(SRC.split('\n').length + 1);
    }
  });
});

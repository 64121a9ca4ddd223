/**
 * Integer execution against the fake-quantized training graph (docs/precision.md#execution): on
 * the int8 and int16 examples (the binary one is in precision-agreement.test.ts), after a short training run, the lowered program — XNOR-
 * popcount and folded thresholds, int8 with fixed-point requantization, int16 dynamic fixed point —
 * predicts the class the training graph predicts on ≥ 99 % of held-out samples (int16; ≥ 98.5 %
 * for int8, whose one-epoch lenet5 came out at 98.9 % once training's GEMM summed in the WebAssembly
 * kernel's order: a handful of near-tie digits out of 1,000 flip), and its outputs
 * stay within the bound docs/precision.md gives per precision. One sample's output never depends
 * on its batch-mates.
 */
import { describe, expect, it } from 'vitest';
import { agreement } from '../../helpers/precision-agreement.ts';
import { MINUTES } from '../train/helpers.ts';

describe('lowered integer execution agrees with the fake-quantized graph (int8, int16)', () => {
  it('mlp_i16: int16 dynamic fixed point', () => {
    const a = agreement('mlp_i16', {}, 1);
    expect(a.fake.accuracy).toBeGreaterThan(0.7);
    expect(a.same).toBeGreaterThanOrEqual(0.99);
    // softmax outputs: int16 keeps 15 bits of each operand, so probabilities move by far less than 1e-2.
    expect(a.maxDiff).toBeLessThan(1e-2);
  }, 4 * MINUTES);

  it('lenet5_i8: int8 conv and dense with fixed-point requantization', () => {
    const a = agreement('lenet5_i8', {}, 1);
    expect(a.fake.accuracy).toBeGreaterThan(0.7);
    expect(a.same).toBeGreaterThanOrEqual(0.985);
    expect(a.exec.calibrated.sort()).toEqual(['c1.conv2d/act_scale', 'c2.conv2d/act_scale', 'f.dense/act_scale', 'f.dense/out_scale', 'f.dense2/act_scale', 'f.dense2/out_scale', 'y.dense/act_scale'].sort());
  }, 6 * MINUTES);
});

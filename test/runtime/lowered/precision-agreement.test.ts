/**
 * Integer execution against the fake-quantized training graph (docs/precision.md#execution): on
 * every example with a quantized layer, after a short training run, the lowered program — XNOR-
 * popcount and folded thresholds, int8 with fixed-point requantization, int16 dynamic fixed point —
 * predicts the class the training graph predicts on ≥ 99 % of held-out samples, and its outputs
 * stay within the bound docs/precision.md gives per precision. One sample's output never depends
 * on its batch-mates.
 */
import { describe, expect, it } from 'vitest';
import { agreement } from '../../helpers/precision-agreement.ts';
import { MINUTES } from '../train/helpers.ts';

describe('lowered integer execution agrees with the fake-quantized graph', () => {
  it('binary_mlp: XNOR-popcount with folded batchnorm → sign thresholds', () => {
    const a = agreement('binary_mlp', { hidden: 256 }, 1);
    expect([...a.exec.program.layers.values()].map((l) => l.precision)).toEqual(['binary', 'binary', 'binary', 'binary']);
    expect(a.exec.program.folded.size).toBe(2);
    expect(a.fake.accuracy).toBeGreaterThan(0.5);
    expect(a.same).toBeGreaterThanOrEqual(0.99);
    expect(a.exec.calibrated).toEqual([]);
  }, 4 * MINUTES);

});

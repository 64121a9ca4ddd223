/**
 * binary_mlp's exact first layer on a trained checkpoint: the `mnist` package's pixels are
 * three-decimal fractions, so every value is q/1000 with q < 2^10 and the layer's sums are exact
 * integers, here by the fp32 GEMM on q (784 · 1023 < 2^24; kernels/grid-gemm.ts), which the lowering
 * prefers to 10 bit-planes (kernels/bitplane.ts; the same integers, test/runtime/kernels/grid-gemm.test.ts).
 * They equal a plain integer reference, and the network predicts what the fp32 first layer predicts
 * on the 2,000 test digits except where rounding decides (measured: 2,000 of 2,000 agree,
 * docs/benchmarks.md).
 */
import { describe, expect, it } from 'vitest';
import { loadData } from '../../../runtime/data/index.ts';
import { evaluate, train } from '../../../runtime/train.ts';
import { integerExecution } from '../../../runtime/lowered/precision/execute.ts';
import { inputLevels } from '../../../runtime/kernels/bitplane.ts';
import { newCounts } from '../../../runtime/lowered/precision/types.ts';
import { example, MINUTES } from '../train/helpers.ts';

describe('binary first layer on grid inputs', () => {
  it('is exact in integers and agrees with the fp32 first layer on ≥ 99.9 % of the 2,000 test digits', () => {
    const s = example('binary_mlp', { hidden: 256 });
    const data = loadData('mnist', { train: 1024, test: 2000 });
    const { weights } = train({ ...s, data, config: { ...s.config, epochs: 1 } }, { testLimit: 0 });
    const levels = inputLevels(data.test.x);
    expect(levels).toEqual({ denominator: 1000, bits: 10 });
    const planes = integerExecution(s.module, weights, new Map(), undefined, { inputLevels: levels });
    const float = integerExecution(s.module, weights, new Map(), undefined);
    const first = 'h1.dense';
    expect(planes.program.layers.get(first)!.why).toMatch(/^integer fp32 GEMM 256×784, exact as 784·\(2\^10 − 1\) < 2\^24, on inputs q\/1000/);
    expect(float.program.layers.get(first)!.why).toMatch(/^fp32 GEMM/);
    // With exact integer sums the first layer's batchnorm → sign folds into thresholds, as the hidden layers' do.
    expect(planes.program.folded.size).toBe(3);
    expect(float.program.folded.size).toBe(2);

    // The layer's outputs are the exact integer sums over 1000, plus the bias, rounded once.
    const rows = 50, x = data.test.x.subarray(0, rows * 784);
    const got = planes.program.layers.get(first)!.gemm(rows, x, newCounts());
    const w = weights[first]!.weight!.data, b = weights[first]!.bias?.data;
    const want = new Float32Array(rows * 256);
    for (let i = 0; i < rows; i++) for (let j = 0; j < 256; j++) {
      let q = 0;
      for (let t = 0; t < 784; t++) q += Math.round(x[i * 784 + t]! * 1000) * (w[j * 784 + t]! >= 0 ? 1 : -1);
      want[i * 256 + j] = q / 1000 + (b ? b[j]! : 0);
    }
    expect(got).toEqual(want);

    const a = evaluate(s.module, weights, data.test, { run: planes.run });
    const f = evaluate(s.module, weights, data.test, { run: float.run });
    let same = 0;
    for (let i = 0; i < a.rows; i++) if (a.predictions[i] === f.predictions[i]) same++;
    expect(a.rows).toBe(2000);
    expect(same).toBeGreaterThanOrEqual(1998);
    expect(Math.abs(a.accuracy - f.accuracy)).toBeLessThanOrEqual(0.001);
  }, 3 * MINUTES);
});

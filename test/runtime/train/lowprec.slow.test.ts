/**
 * Low-precision training, measured (docs/training.md, docs/techniques.md):
 * - weights stored in bf16 with plain SGD at a small learning rate stall, because most updates are
 *   under half an ulp of their weight; Kahan summation (Park et al. 2018) recovers f32 accuracy;
 * - LeNet-5 trained with its dense and conv2d GEMMs in int16 dynamic fixed point (Das et al. 2018)
 *   matches f32 training. The run is cut to 2,000 training digits and one epoch for CI time; the
 *   full train block's numbers are in docs/training.md.
 */
import { describe, expect, it } from 'vitest';
import { subset } from '../../../runtime/data/dataset.ts';
import { train, type TrainSetup } from '../../../runtime/train.ts';
import type { WeightStorage } from '../../../runtime/train/storage.ts';
import { example, MINUTES } from './helpers.ts';

describe('low-precision weight storage with and without Kahan summation', () => {
  it('mlp, sgd(lr = 0.004), one epoch: bf16 storage stalls, bf16 + kahan matches f32 within 0.5 points', () => {
    const run = (storage: WeightStorage, kahan: boolean) => {
      const s = example('mlp');
      const config = { ...s.config, optimizer: { kind: 'sgd' as const, lr: 0.004, momentum: 0, weightDecay: 0, storage, kahan }, schedule: { kind: 'constant' as const }, augment: { shift: 0 } };
      return train({ ...s, config }, { epochs: 1 }).history[0]!.test_accuracy;
    };
    const f32 = run('f32', false), plain = run('bf16', false), kahan = run('bf16', true);
    // Measured: 54.75 %, 22.25 %, 54.75 %.
    expect(plain).toBeLessThan(f32 - 0.2);
    expect(Math.abs(kahan - f32)).toBeLessThanOrEqual(0.005);
  }, 4 * MINUTES);
});

describe('INT16 dynamic fixed point training', () => {
  it('lenet5 on 2,000 digits for one epoch: int16 GEMMs train as well as f32, overflows counted', () => {
    const s = example('lenet5');
    const short: TrainSetup = { ...s, data: { ...s.data, train: subset(s.data.train, Array.from({ length: 2000 }, (_, i) => i)) } };
    const f32 = train(short, { epochs: 1 }).history[0]!;
    const int16 = train({ ...short, config: { ...short.config, precision: 'dfp16' } }, { epochs: 1 }).history[0]!;
    // 62 steps of 32; 14 int16 GEMMs a step: 3 per layer, but the first conv needs no input gradient.
    expect(int16.int16_gemms).toBe(62 * 14);
    expect(int16.int16_overflows).toBeGreaterThan(0);
    // Measured: 80.80 % f32, 81.40 % dfp16 (held-out, 2,000 digits); 2.1 points apart once the f32
    // GEMM gained fused multiply-adds (its sums moved, the int16 path's did not). After 62 steps
    // the runs are far from converged and sum order alone moves them by points, so the margin
    // here is 2.5 points; the claim (within 0.3 points) is the full block's, in docs/training.md.
    expect(f32.test_accuracy).toBeGreaterThan(0.75);
    expect(Math.abs(int16.test_accuracy - f32.test_accuracy)).toBeLessThanOrEqual(0.025);
    // The int16 GEMMs are scalar JavaScript (about 5× the f32 path): this test took 203 s at load
    // average 23 on 2 cores (over 8 minutes at load 30), so the limit is generous.
  }, 15 * MINUTES);
});

/**
 * INT16 dynamic fixed point training (`precision dfp16`, after Das et al. 2018): the int16 GEMM
 * with int32 overflow counted and the overflowing row rescaled, and whole-network gradients of
 * dense and conv2d layers (forward, dX, dW in int16) against the f32 ones.
 */
import { describe, expect, it } from 'vitest';
import { lossAndGradients } from '../../../runtime/autodiff.ts';
import { dfp16Counts, dfp16Gemm } from '../../../runtime/autodiff/dfp16-train.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { trainConfig } from '../../../runtime/train.ts';
import { formatEpoch, formatProgress } from '../../../runtime/train/progress.ts';
import { mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { checkText, net } from '../../helpers/kiln.ts';
import { build } from './helpers.ts';

const q = (values: number[], exponent = 0) => ({ shape: [values.length], values: Int16Array.from(values), exponent });

describe('the int16 GEMM of training', () => {
  it('multiplies mantissas exactly and scales by 2^(e_a + e_b)', () => {
    const c = dfp16Counts();
    expect([...dfp16Gemm(2, 2, 2, q([1, 2, 3, 4], -1), q([5, 6, 7, 8], 2), false, c)]).toEqual([38, 44, 86, 100]);
    expect([...dfp16Gemm(2, 2, 2, q([1, 2, 3, 4]), q([5, 6, 7, 8]), true, c)]).toEqual([17, 23, 39, 53]);
    expect(c).toEqual({ gemms: 2, overflows: 0, rescales: 0 });
  });

  it('counts a row whose int32 sum overflows and recomputes it with A shifted one bit, leaving other rows exact', () => {
    // Row 0: 4 · 32767² = 4,294,705,156 > 2^31 − 1. Shifted: 16384 (32767/2, half to even) · 32767 · 4 fits.
    const c = dfp16Counts();
    const y = dfp16Gemm(2, 1, 4, q([32767, 32767, 32767, 32767, 1, 2, 3, 4]), q([32767, 32767, 32767, 32767]), false, c);
    expect(c).toEqual({ gemms: 1, overflows: 1, rescales: 1 });
    expect(y[0]).toBe(4 * 16384 * 32767 * 2);
    expect(Math.abs(y[0]! - 4 * 32767 ** 2) / (4 * 32767 ** 2)).toBeLessThan(1e-4);
    expect(y[1]).toBe(10 * 32767);
  });
});

describe('dense and conv2d gradients in int16 dynamic fixed point', () => {
  const m = build([
    'input x : f32[4, 2, 8, 8]',
    'c = conv2d(x, filters = 3, kernel = 3, pad = 1, stride = 2) -> relu',
    'f = flatten(c) -> dense(10) -> relu',
    'y = dense(f, 5) -> softmax',
    'output y',
  ]);
  const x = randomUniform([4, 2, 8, 8], mulberry32(3), -1, 1);
  const labels = [0, 3, 1, 4];
  const weights = initParams(m, 7);
  const f32 = lossAndGradients(m, weights, { x }, labels, { inputGrads: true });
  const counts = dfp16Counts();
  const int16 = lossAndGradients(m, weights, { x }, labels, { inputGrads: true, dfp16: counts });

  it('runs every GEMM of the step in int16: 3 per layer with an input gradient', () => {
    expect(counts.gemms).toBe(9);
    expect(int16.loss).toBeCloseTo(f32.loss, 3);
  });

  it('agrees with the f32 gradients within int16 rounding (relative to each tensor\'s largest entry)', () => {
    const close = (a: Float32Array, b: Float32Array) => {
      let err = 0, big = 0;
      for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i]! - b[i]!)); big = Math.max(big, Math.abs(b[i]!)); }
      expect(big).toBeGreaterThan(0);
      expect(err / big).toBeLessThan(2e-3);
      expect(err).toBeGreaterThan(0); // it really ran in another arithmetic
    };
    for (const [id, ps] of Object.entries(f32.grads.params)) for (const [name, g] of Object.entries(ps)) close(int16.grads.params[id]![name]!.data, g.data);
    close(int16.grads.inputs.x!.data, f32.grads.inputs.x!.data);
  });
});

describe('the precision property of the train block', () => {
  const mlp = net(['input x : f32[b, 4]', 'y = dense(x, 3) -> softmax', 'output y'], 'b = 8', 'mlp');
  it('reads dfp16, f32 by default, and refuses other words with the choices', () => {
    expect(trainConfig(checkText(mlp + 'train mlp { data iris  precision dfp16 }\n').trains.get('mlp')!).precision).toBe('dfp16');
    expect(trainConfig(checkText(mlp + 'train mlp { data iris }\n').trains.get('mlp')!).precision).toBe('f32');
    const d = checkText(mlp + 'train mlp { data iris  precision int16 }\n').diagnostics;
    expect(d.map((x) => `${x.pos?.line}: ${x.message} ${x.hint ?? ''}`).join('\n')).toMatch(/^6: .*f32.*dfp16/s);
  });

  it('the epoch summary reports the int16 GEMMs and their overflows', () => {
    const line = formatEpoch({ epoch: 1, loss: 0.5, train_accuracy: 0.9, test_accuracy: 0.95, seconds: 2, int16_gemms: 900, int16_overflows: 12, int16_rescales: 14 }, 5);
    expect(line).toMatch(/int16: 900 GEMMs, 12 rows overflowed int32 \(14 rescales\)$/);
  });

  it('the progress bar shows the running overflow count, and nothing about int16 otherwise', () => {
    const p = { epoch: 1, epochs: 2, batch: 5, batches: 10, loss: 1, seconds: 1, samples: 160 };
    expect(formatProgress({ ...p, overflows: 3 })).toMatch(/int16 overflows 3$/);
    expect(formatProgress(p)).not.toContain('int16');
  });
});

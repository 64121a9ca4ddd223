/**
 * Training steps recycle their kernels' output arrays (runtime/kernels/step-buffers.ts): the next
 * step gets the previous step's arrays back, stale, so every kernel that takes one must overwrite
 * it whole. The arrays of a first step are poisoned with NaN before the second step reuses them;
 * the second step must still give what fresh arrays give. Lengths that change from step to step
 * share arrays of one capacity class.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { conv2d } from '../../../runtime/kernels/conv2d.ts';
import { conv2dBackward } from '../../../runtime/kernels/conv2d-backward.ts';
import { binarize, binarizeInside, relu, signSteBackward } from '../../../runtime/kernels/activations.ts';
import { batchNorm, batchNormBackward } from '../../../runtime/kernels/batchnorm.ts';
import { dense, denseBackward } from '../../../runtime/kernels/dense.ts';
import { applyMask } from '../../../runtime/interpreter/dropout.ts';
import { gatherAxis, scatterAxis } from '../../../runtime/autodiff/submatrix.ts';
import { maxPool, maxPoolBackward, type PoolOptions } from '../../../runtime/kernels/pool.ts';
import { StepBuffers, outputArray, pooledCapacity, withStepBuffers } from '../../../runtime/kernels/step-buffers.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { type Tensor, mulberry32, randomUniform } from '../../../runtime/tensor.ts';

afterEach(() => setKernelBackend(undefined));

const POOL: PoolOptions = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] };

/** A LeNet-like layer's forward and backward, every output a kernel may take from the buffers. */
function layer(seed: number): { floats: Tensor[]; argmax: Int32Array } {
  const x = randomUniform([4, 3, 16, 16], mulberry32(seed), -1, 1);
  const w = randomUniform([6, 3, 5, 5], mulberry32(seed + 1), -1, 1);
  const c = conv2d(x, w, undefined, { pad: 2 });
  const r = relu(c);
  const { y, argmax } = maxPool(r, POOL);
  const dy = randomUniform(y.shape, mulberry32(seed + 2), -1, 1);
  const dr = maxPoolBackward(dy, argmax, r.shape, POOL, y.data);
  const g = conv2dBackward(x, w, dr, { pad: 2 }, { input: true, weight: true });
  return { floats: [c, r, y, dr, g.dx!, g.dw!], argmax };
}

/**
 * A binary_mlp layer's forward and backward: binarized weights, dense (with and without bias),
 * batch norm (large enough for its WebAssembly path), sign, batchwise dropout, a kept-unit gather
 * and its scatter, and the backward passes.
 */
function binaryLayer(seed: number): { floats: Tensor[]; argmax: Int32Array } {
  const x = randomUniform([64, 96], mulberry32(seed), -1, 1);
  const w = binarizeInside(randomUniform([80, 96], mulberry32(seed + 1), -1, 1)).y;
  const b = randomUniform([80], mulberry32(seed + 2), -1, 1);
  const h = dense(x, w, b), h0 = dense(x, w);
  const ones = { shape: [80], data: new Float32Array(80).fill(1) }, zero = { shape: [80], data: new Float32Array(80) };
  const bn = batchNorm(h, ones, zero, zero, ones, { training: true });
  const s = binarize(bn.y);
  const mask = randomUniform([1, 80], mulberry32(seed + 3), 0, 2);
  const d = applyMask(s, mask);
  const keep = Int32Array.from({ length: 40 }, (_, i) => 2 * i);
  const cut = gatherAxis(d, 1, keep), spread = scatterAxis(cut, 1, keep, 80);
  const dy = randomUniform(d.shape, mulberry32(seed + 4), -1, 1);
  const ds = signSteBackward(bn.y, dy);
  const gb = batchNormBackward(h, ones, ds, bn.mean, bn.invStd, true);
  const gd = denseBackward(x, w, gb.dx);
  return { floats: [w, h, h0, bn.y, s, d, cut, spread, ds, gb.dx, gd.dx!, gd.dw!], argmax: new Int32Array(0) };
}

describe('step buffers', () => {
  it('hand a step the arrays of the step before, and nothing outside a step', () => {
    const b = new StepBuffers();
    const first = withStepBuffers(b, () => [outputArray(2048), outputArray(2048), outputArray(4096)]);
    const second = withStepBuffers(b, () => [outputArray(4096), outputArray(2048), outputArray(2048)]);
    expect(new Set(second)).toEqual(new Set(first));
    expect(second[1]).not.toBe(second[2]);
    expect(outputArray(2048)).not.toBe(first[0]);
    expect(outputArray(2048)).not.toBe(outputArray(2048));
  });

  it('serve lengths that change from step to step (the units a dropout keeps) from the same arrays, at most an eighth spare', () => {
    const b = new StepBuffers(), rng = mulberry32(4);
    const buffers = new Set<ArrayBufferLike>();
    for (let step = 0; step < 200; step++) {
      // binary_mlp's cut weights: 1024 rows by the 780–860 kept columns of a step.
      const lengths = [0, 1, 2].map(() => 1024 * (780 + Math.floor(rng() * 81)));
      const got = withStepBuffers(b, () => lengths.map((n) => outputArray(n)));
      got.forEach((a, i) => {
        expect(a.length).toBe(lengths[i]);
        expect(a.buffer.byteLength).toBeLessThanOrEqual(4 * lengths[i]! * 1.125);
        buffers.add(a.buffer);
      });
      expect(new Set(got.map((a) => a.buffer)).size).toBe(3);
    }
    // Two capacity classes (768–832 and 832–896 rows of 1024) span the lengths, three arrays each at most.
    expect(buffers.size).toBeLessThanOrEqual(6);
    expect([1024, 1025, 1152, 1153, 150528].map(pooledCapacity)).toEqual([1024, 1152, 1152, 1280, 163840]);
  });

  for (const backend of ['wasm', 'js'] as const) for (const [name, run] of [['conv', layer], ['binary dense', binaryLayer]] as const) {
    it(`every kernel that takes one overwrites it whole (${name}, ${backend})`, () => {
      setKernelBackend(backend);
      const b = new StepBuffers();
      const poisoned = withStepBuffers(b, () => run(1));
      for (const t of poisoned.floats) t.data.fill(NaN);
      poisoned.argmax.fill(-7);
      const again = withStepBuffers(b, () => run(2));
      const fresh = run(2);
      again.floats.forEach((t, i) => expect(Array.from(t.data), `output ${i}`).toEqual(Array.from(fresh.floats[i]!.data)));
      expect(Array.from(again.argmax)).toEqual(Array.from(fresh.argmax));
      // The pool did lend the poisoned arrays again (on this backend's kernels that take them).
      expect(again.floats.some((t) => poisoned.floats.some((p) => p.data === t.data))).toBe(true);
    });
  }
});

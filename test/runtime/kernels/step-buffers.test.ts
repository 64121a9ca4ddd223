/**
 * Training steps recycle their kernels' output arrays (runtime/kernels/step-buffers.ts): the next
 * step gets the previous step's arrays back, stale, so every kernel that takes one must overwrite
 * it whole. The arrays of a first step are poisoned with NaN before the second step reuses them;
 * the second step must still give what fresh arrays give.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { conv2d } from '../../../runtime/kernels/conv2d.ts';
import { conv2dBackward } from '../../../runtime/kernels/conv2d-backward.ts';
import { relu } from '../../../runtime/kernels/activations.ts';
import { maxPool, maxPoolBackward, type PoolOptions } from '../../../runtime/kernels/pool.ts';
import { StepBuffers, outputArray, withStepBuffers } from '../../../runtime/kernels/step-buffers.ts';
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

  for (const backend of ['wasm', 'js'] as const) {
    it(`every kernel that takes one overwrites it whole (${backend})`, () => {
      setKernelBackend(backend);
      const b = new StepBuffers();
      const poisoned = withStepBuffers(b, () => layer(1));
      for (const t of poisoned.floats) t.data.fill(NaN);
      poisoned.argmax.fill(-7);
      const again = withStepBuffers(b, () => layer(2));
      const fresh = layer(2);
      again.floats.forEach((t, i) => expect(Array.from(t.data), `output ${i}`).toEqual(Array.from(fresh.floats[i]!.data)));
      expect(Array.from(again.argmax)).toEqual(Array.from(fresh.argmax));
      // The pool did lend the poisoned arrays again (on this backend's kernels that take them).
      expect(again.floats.some((t) => poisoned.floats.some((p) => p.data === t.data))).toBe(true);
    });
  }
});

/**
 * A dense layer's training-mode batch norm ([n, c], one value per channel and sample) on the
 * WebAssembly path (bn-rows.wat) gives the JS loops' bits: outputs, the saved statistics, the
 * running statistics, dx, dγ and dβ, for even and odd channel counts (the odd one takes the
 * sums' one-lane tail and dx's overlapping last pair), a single channel, a mean far above the
 * spread, and the unbiased running variance.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { batchNorm, batchNormBackward } from '../../../runtime/kernels/batchnorm.ts';
import { wasmBatchNormRowsBackward } from '../../../runtime/kernels/wasm/bn-rows.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { scratchMark, setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { mulberry32, randomUniform, type Tensor } from '../../../runtime/tensor.ts';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function run(backend: 'js' | 'wasm', x: Tensor, dy: Tensor, unbiased: boolean) {
  setKernelBackend(backend);
  const c = x.shape[1]!;
  const gamma = randomUniform([c], mulberry32(7), 0.5, 1.5), beta = randomUniform([c], mulberry32(8), -0.5, 0.5);
  const rm = randomUniform([c], mulberry32(9), -1, 1), rv = randomUniform([c], mulberry32(10), 0.5, 2);
  const f = batchNorm(x, gamma, beta, rm, rv, { training: true, eps: 1e-5, momentum: 0.9, unbiasedRunningVar: unbiased });
  const b = batchNormBackward(x, gamma, dy, f.mean, f.invStd, true);
  // Outputs may be recycled arrays: copy before the next call.
  return [f.y.data, f.mean, f.invStd, f.runningMean.data, f.runningVar.data, b.dx.data, b.dgamma.data, b.dbeta.data].map((a) => bits(a.slice()));
}

describe('batch norm of [n, c] in WebAssembly', () => {
  afterEach(() => { vi.unstubAllEnvs(); setKernelBackend(undefined); });

  // [100, 1024] is binary_mlp's hidden layer; 37 channels are odd; [300, 5] has c < 4; 2 and 3
  // are one pair and two overlapping pairs; one
  // channel has no pair for the backward kernel, which leaves it to JS.
  for (const [n, c, lo, hi, unbiased] of [[100, 1024, -3, 3, false], [41, 37, -1, 1, true], [300, 5, -2, 2, false], [64, 33, 1e4, 1e4 + 1, false],
    [600, 2, -1, 1, false], [400, 3, -2, 2, false], [1100, 1, -1, 1, false]] as const) {
    it(`[${n}, ${c}] of values in [${lo}, ${hi}]${unbiased ? ', unbiased running variance' : ''}: the JS loops' bits`, () => {
      const x = randomUniform([n, c], mulberry32(n + c), lo, hi), dy = randomUniform([n, c], mulberry32(n * c), -1, 1);
      const mark = scratchMark(), calls = wasmCalls('bn-rows');
      const js = run('js', x, dy, unbiased);
      expect(wasmCalls('bn-rows')).toBe(calls);
      const wasm = run('wasm', x, dy, unbiased);
      // The forward and the backward kernel ran (a single channel's backward is JS's).
      expect(wasmCalls('bn-rows') - calls).toBe(c >= 2 ? 2 : 1);
      const names = ['y', 'mean', 'invStd', 'running mean', 'running var', 'dx', 'dgamma', 'dbeta'];
      names.forEach((what, i) => expect(wasm[i], what).toEqual(js[i]));
      expect(scratchMark()).toBe(mark);
    });
  }

  it('runs in WebAssembly by default and not under KILN_KERNELS=js', () => {
    const x = randomUniform([100, 1024], mulberry32(1), -1, 1), gamma = randomUniform([1024], mulberry32(2), 0.5, 1.5);
    const step = (kernels: string) => {
      vi.stubEnv('KILN_KERNELS', kernels);
      setKernelBackend(undefined);
      const calls = wasmCalls('bn-rows');
      const f = batchNorm(x, gamma, randomUniform([1024], mulberry32(3), -1, 1), randomUniform([1024], mulberry32(4), -1, 1),
        randomUniform([1024], mulberry32(5), 0.5, 2), { training: true, eps: 1e-5, momentum: 0.9 });
      batchNormBackward(x, gamma, x, f.mean, f.invStd, true);
      return wasmCalls('bn-rows') - calls;
    };
    expect(step('')).toBe(2);
    expect(step('js')).toBe(0);
  });

  // With one channel the kernel's pair loop would run past dx's scratch into whatever the
  // kernels' memory holds next; the wrapper declines before any write, whoever calls it.
  it('declines a single channel instead of writing past its scratch: undefined, dx untouched, no kernel call', () => {
    const n = 2000, one = new Float32Array(n).fill(0.5), c1 = new Float32Array(1), f64 = new Float64Array(1);
    const dx = new Float32Array(n).fill(7);
    const mark = scratchMark(), calls = wasmCalls('bn-rows');
    expect(wasmBatchNormRowsBackward(one, one, n, 1, f64, c1, c1, dx)).toBeUndefined();
    expect(dx.every((v) => v === 7)).toBe(true);
    expect(wasmCalls('bn-rows')).toBe(calls);
    expect(scratchMark()).toBe(mark);
  });
});

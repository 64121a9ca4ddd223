/**
 * Training's fused LIF step (lif-fused.ts), run step by step with its membrane and carry buffers,
 * equals the reference kernel (lif.ts) over the whole [T, …] sequence: spikes, pre-reset membrane
 * and BPTT input gradients, for every surrogate, reset mode and the detach option, and for a
 * membrane readout (neurons that never fire). The WebAssembly kernels over all steps
 * (wasm/lif.ts) equal the JS loops bit for bit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LifStepOptions, lifBackwardOverTime, lifForwardOverTime, lifStepBackward, lifStepForward } from '../../../runtime/kernels/lif-fused.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { wasmLifPoolBackward, wasmLifPoolForward } from '../../../runtime/kernels/wasm/lif.ts';
import { maxPool, maxPoolBackward } from '../../../runtime/kernels/pool.ts';
import { lif, lifBackward, type LifReset, type Surrogate } from '../../../runtime/kernels/lif.ts';
import { mulberry32, randomUniform } from '../../../runtime/tensor.ts';

const T = 7, N = 40;

function compare(o: LifStepOptions): void {
  const x = randomUniform([T, N], mulberry32(3), -0.5, 1.2);
  const dy = randomUniform([T, N], mulberry32(4), -1, 1);
  const ref = lif(x, o);
  const refB = o.fire ? lifBackward(ref.cache, dy) : lifBackward(ref.cache, undefined, dy);
  const v = new Float32Array(N), carry = new Float32Array(N);
  const outs: Float32Array[] = [], us: Float32Array[] = [];
  for (let t = 0; t < T; t++) {
    const out = new Float32Array(N), u = new Float32Array(N);
    lifStepForward(o, x.data.subarray(t * N, (t + 1) * N), v, out, u);
    outs.push(out); us.push(u);
    expect(Array.from(u)).toEqual(Array.from(ref.cache.u.subarray(t * N, (t + 1) * N)));
    expect(Array.from(out)).toEqual(Array.from((o.fire ? ref.spikes : ref.v).data.subarray(t * N, (t + 1) * N)));
  }
  if (o.fire) expect(outs.some((s) => s.includes(1)) && outs.some((s) => s.includes(0))).toBe(true);
  for (let t = T - 1; t >= 0; t--) {
    const dx = new Float32Array(N);
    lifStepBackward(o, us[t]!, outs[t]!, dy.data.subarray(t * N, (t + 1) * N), carry, dx);
    const want = refB.dInput.data.subarray(t * N, (t + 1) * N);
    dx.forEach((g, i) => expect(Math.abs(g - want[i]!), `step ${t} neuron ${i}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i]!))));
  }
  carry.forEach((g, i) => expect(g).toBeCloseTo(refB.dv0.data[i]!, 6));
}

describe('fused LIF step = reference LIF kernel', () => {
  for (const surrogate of ['fast_sigmoid', 'atan', 'triangle', 'straight_through'] as Surrogate[]) {
    for (const reset of ['zero', 'subtract'] as LifReset[]) {
      for (const detachReset of [false, true]) {
        it(`${surrogate}, reset ${reset}${detachReset ? ', reset detached' : ''}`, () => {
          compare({ decay: 0.8, threshold: 0.7, reset, surrogate, alpha: 3, detachReset, fire: true });
        });
      }
    }
  }

  it('a membrane readout never fires: its output is the leaky integral of the input, its gradient the leak\'s', () => {
    compare({ decay: 0.9, threshold: 1, reset: 'subtract', surrogate: 'atan', alpha: 2, detachReset: false, fire: false });
  });
});

describe('LIF over all steps: WebAssembly = JavaScript, bit for bit', () => {
  afterEach(() => setKernelBackend(undefined));

  const run = (backend: 'wasm' | 'js', o: LifStepOptions, n: number, constant: boolean) => {
    setKernelBackend(backend);
    const steps = 4;
    // Inputs near the threshold, so that rounding anywhere would flip spikes.
    const x = randomUniform([constant ? n : steps * n], mulberry32(11), -0.4, 1.4).data;
    const dy = randomUniform([steps * n], mulberry32(12), -1, 1).data;
    const out = new Float32Array(steps * n), u = new Float32Array(steps * n), dx = new Float32Array(x.length);
    lifForwardOverTime(o, x, steps, out, u);
    lifBackwardOverTime(o, u, out, dy, steps, dx);
    return { out, u, dx };
  };

  for (const reset of ['zero', 'subtract'] as LifReset[]) {
    for (const detachReset of [false, true]) {
      for (const [n, constant] of [[37, false], [37, true], [64, false], [64, true]] as const) {
        it(`reset ${reset}${detachReset ? ', detached' : ''}, ${n} neurons${constant ? ', input constant over time' : ''}`, () => {
          const o: LifStepOptions = { decay: 0.9, threshold: 0.6, reset, surrogate: 'fast_sigmoid', alpha: 25, detachReset, fire: true };
          const w = run('wasm', o, n, constant), j = run('js', o, n, constant);
          expect(w.out.some((s) => s === 1) && w.out.some((s) => s === 0)).toBe(true);
          expect(w.out).toEqual(j.out);
          expect(w.u).toEqual(j.u);
          expect(w.dx).toEqual(j.dx);
        });
      }
    }
  }

  it('other surrogates and membrane readouts keep the JS loops (same results either way)', () => {
    for (const o of [{ surrogate: 'atan' as Surrogate, fire: true }, { surrogate: 'fast_sigmoid' as Surrogate, fire: false }]) {
      const opts: LifStepOptions = { decay: 0.8, threshold: 0.7, reset: 'subtract', alpha: 3, detachReset: false, ...o };
      const w = run('wasm', opts, 21, false), j = run('js', opts, 21, false);
      expect(w).toEqual(j);
    }
  });
});

describe('a lif read only by a 2×2 max pool, fused (wasm/lif.ts) = the lif, then the pool, bit for bit', () => {
  // w = 8: rows of 4 windows, which the kernels take two at a time; w = 6: 3, the last one alone.
  for (const [constant, detachReset, w] of [[true, false, 8], [false, false, 8], [false, true, 8], [false, false, 6], [true, false, 6]] as const) {
    it(`${constant ? 'input constant over time' : 'a different input each step'}${detachReset ? ', reset detached' : ''}, rows of ${w / 2} windows`, () => {
      const steps = 3, b = 2, c = 3, h = 6, n = b * c * h * w;
      const o: LifStepOptions = { decay: 0.9, threshold: 0.6, reset: 'subtract', surrogate: 'fast_sigmoid', alpha: 25, detachReset, fire: true };
      const x = randomUniform([constant ? n : steps * n], mulberry32(21), -0.3, 1.2).data;
      const spikes = new Float32Array(steps * n), u = new Float32Array(steps * n);
      lifForwardOverTime(o, x, steps, spikes, u);
      const pool = maxPool({ shape: [steps * b, c, h, w], data: spikes }, { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], ceilMode: false, countIncludePad: false });
      // Windows where none fired, one did, and several did.
      const fired: number[] = [];
      for (let pl = 0; pl < steps * b * c; pl++) {
        for (let i = 0; i < h; i += 2) {
          for (let j = 0; j < w; j += 2) {
            const at = pl * h * w + i * w + j;
            fired.push(spikes[at]! + spikes[at + 1]! + spikes[at + w]! + spikes[at + w + 1]!);
          }
        }
      }
      expect(new Set(fired.map((f) => Math.min(f, 2)))).toEqual(new Set([0, 1, 2]));

      const planes = { planes: b * c, h, w };
      const pooled = new Float32Array(pool.y.data.length);
      wasmLifPoolForward(o, x, steps, planes, pooled);
      expect(pooled).toEqual(pool.y.data);

      const dpooled = randomUniform([pooled.length], mulberry32(22), -1, 1);
      const want = new Float32Array(x.length);
      lifBackwardOverTime(o, u, spikes, maxPoolBackward(dpooled, pool.argmax, pool.y.shape.map((d, i) => (i > 1 ? 2 * d : d))).data, steps, want);
      // Stale contents, as a recycled step buffer has: the kernel writes dx whole.
      const got = new Float32Array(x.length).fill(Number.NaN);
      wasmLifPoolBackward(o, x, dpooled.data, steps, planes, got);
      expect(got).toEqual(want);
    });
  }
});

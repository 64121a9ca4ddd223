/**
 * Training with time folded into the batch (runtime/autodiff/time-fold.ts) computes what the
 * step-by-step run computes: outputs, batch-norm running statistics, parameter and input gradients
 * agree within float32 rounding on spiking networks like examples/spiking_cnn.kiln, and networks
 * it cannot fold keep the step-by-step run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { backward, computeLoss, forward } from '../../../runtime/autodiff.ts';
import { foldsTime } from '../../../runtime/autodiff/time-fold.ts';
import { fusablePool } from '../../../runtime/autodiff/lif-pool.ts';
import { lifBackwardOverTime, lifForwardOverTime, lifStepBackward, lifStepForward } from '../../../runtime/kernels/lif-fused.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { type Tensor, mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';

function close(got: Tensor, want: Tensor, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  want.data.forEach((v, i) => expect(Math.abs(got.data[i]! - v), `${what}[${i}]`).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(v))));
}

const cnn = (steps: number, batch: number) => build([
  `timesteps ${steps}`, `input x : f32[${batch}, 1, 12, 12]`,
  's1 = conv2d(x, 4, 3) -> batchnorm -> lif(threshold = 0.5, surrogate = fast_sigmoid) -> maxpool2d(2)',
  's2 = conv2d(s1, 6, 3) -> batchnorm -> lif(threshold = 0.5) -> maxpool2d(2)',
  'y = flatten(s2) -> dense(10) -> lif(readout = membrane)', 'output y']);

describe('time folded into the batch = step by step', () => {
  afterEach(() => setKernelBackend(undefined));
  // With the JS kernels the folded run keeps its JS loops (LIF, per-step batch norm, no fusion).
  for (const [training, backend] of [[true, 'wasm'], [false, 'wasm'], [true, 'js']] as const) {
    it(`a spiking CNN with batch norms and a membrane readout (${training ? 'training' : 'inference'}, ${backend} kernels): outputs, running statistics, gradients`, () => {
      setKernelBackend(backend);
      const m = cnn(4, 3);
      expect(foldsTime(m, 'direct')).toBe(true);
      const w = initParams(m, 3);
      const x = randomUniform([3, 1, 12, 12], mulberry32(4), 0, 2);
      const labels = [1, 7, 3];
      const runs = [true, false].map((foldTime) => {
        const fwd = forward(m, w, { x }, { training, foldTime });
        const l = computeLoss(m, fwd, labels, 'cross_entropy');
        return { fwd, loss: l.loss, grads: backward(m, fwd, l.seeds, { training, inputs: true }) };
      });
      const [folded, stepped] = runs as [typeof runs[0], typeof runs[0]];
      expect(folded.fwd.folded?.steps).toBe(4);
      // In training the first lif runs fused with its max pool (lif-pool.ts); the second's 3×3 planes do not pool evenly.
      expect(folded.fwd.tape.filter((e) => e.saved.lifPool).length).toBe(training && backend === 'wasm' ? 1 : 0);
      expect(folded.fwd.tape.some((e) => e.saved.perStep)).toBe(training && backend === 'js');
      expect(stepped.fwd.folded).toBeUndefined();
      close(folded.fwd.outputs.y!, stepped.fwd.outputs.y!, 'y');
      expect(folded.loss).toBeCloseTo(stepped.loss, 5);
      // The hidden layers must fire for the comparison to test the surrogate path.
      const spikes = stepped.fwd.tape.filter((e) => e.op === 'lif' && e.node !== 'y').reduce((s, e) => s + e.output.data.reduce((a, b) => a + b, 0), 0);
      expect(spikes).toBeGreaterThan(0);
      for (const [id, st] of Object.entries(stepped.fwd.state)) for (const [name, t] of Object.entries(st)) close(folded.fwd.state[id]![name]!, t, `${id}.${name}`);
      expect(Object.keys(folded.fwd.state).sort()).toEqual(Object.keys(stepped.fwd.state).sort());
      const ids = Object.keys(stepped.grads.params);
      expect(ids.length).toBe(5);
      for (const id of ids) for (const [name, g] of Object.entries(stepped.grads.params[id]!)) close(folded.grads.params[id]![name]!, g, `d${id}.${name}`);
      close(folded.grads.inputs.x!, stepped.grads.inputs.x!, 'dx');
    });
  }

  it('keeps the step-by-step run where steps are not independent samples', () => {
    expect(foldsTime(cnn(1, 2), 'direct')).toBe(false);
    expect(foldsTime(cnn(4, 2), 'rate')).toBe(false);
    const dropout = build(['timesteps 3', 'input x : f32[2, 8]', 'h = dense(x, 6) -> lif -> dropout(0.5)', 'y = dense(h, 3)', 'output y']);
    expect(foldsTime(dropout, 'direct')).toBe(false);
    const quantized = build(['timesteps 3', 'input x : f32[2, 8]', 'h = dense(x, 6) -> lif', 'y = dense(h, 3, activations = i8)', 'output y']);
    expect(foldsTime(quantized, 'direct')).toBe(false);
    expect(forward(dropout, initParams(dropout, 1), { x: randomUniform([2, 8], mulberry32(1), 0, 1) }, { training: true }).folded).toBeUndefined();
  });
});

describe('which lif fuses with its max pool', () => {
  afterEach(() => setKernelBackend(undefined));
  it('only a lif whose one reader is the 2×2 pool', () => {
    setKernelBackend('wasm');
    const shape = [12, 4, 10, 10];
    const m = cnn(4, 3);
    expect(fusablePool(m, m.nodes['s1.lif']!, shape)?.id).toBe('s1');
    // The same lif read also by a second node: its spike tensor is needed, so no fusion.
    const shared = build(['timesteps 4', 'input x : f32[3, 1, 12, 12]', 's = conv2d(x, 4, 3) -> lif(surrogate = fast_sigmoid)',
      'p = maxpool2d(s, 2)', 'q = avgpool2d(s, 2)', 'y = add(p, q) -> flatten -> dense(10)', 'output y']);
    expect(fusablePool(shared, shared.nodes.s!, shape)).toBeUndefined();
  });
});

describe('LIF over all steps = its steps one by one', () => {
  for (const constant of [false, true]) {
    it(`forward and BPTT (${constant ? 'an input constant over time' : 'a different input each step'})`, () => {
      const steps = 5, n = 40;
      const o = { decay: 0.9, threshold: 0.6, reset: 'subtract' as const, surrogate: 'fast_sigmoid' as const, alpha: 25, detachReset: false, fire: true };
      const x = randomUniform([constant ? n : steps * n], mulberry32(9), -0.5, 1.5).data;
      const dy = randomUniform([steps * n], mulberry32(10), -1, 1).data;
      const out = new Float32Array(steps * n), u = new Float32Array(steps * n), dx = new Float32Array(x.length);
      lifForwardOverTime(o, x, steps, out, u);
      lifBackwardOverTime(o, u, out, dy, steps, dx);
      const v = new Float32Array(n), carry = new Float32Array(n);
      const outs: Float32Array[] = [], us: Float32Array[] = [];
      for (let t = 0; t < steps; t++) {
        outs.push(new Float32Array(n)); us.push(new Float32Array(n));
        lifStepForward(o, constant ? x : x.subarray(t * n, (t + 1) * n), v, outs[t]!, us[t]!);
      }
      expect(out).toEqual(Float32Array.from(outs.flatMap((a) => [...a])));
      expect(out.some((s) => s === 1) && out.some((s) => s === 0)).toBe(true);
      const want = new Float32Array(x.length);
      for (let t = steps - 1; t >= 0; t--) {
        const d = new Float32Array(n);
        lifStepBackward(o, us[t]!, outs[t]!, dy.subarray(t * n, (t + 1) * n), carry, d);
        d.forEach((g, i) => { const at = constant ? i : t * n + i; want[at] = want[at]! + g; });
      }
      want.forEach((g, i) => expect(dx[i]).toBeCloseTo(g, 5));
    });
  }
});

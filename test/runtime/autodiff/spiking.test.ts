/**
 * Backpropagation through time in spiking networks: the IR path evaluates one time step at a time
 * and carries each lif node's membrane gradient back across steps; it must agree with the LIF
 * kernel's own BPTT over the whole [T, …] sequence (surrogate gradients, Zenke & Ganguli 2018;
 * Fang et al. 2021), and gradients of nodes evaluated once but read every step must sum over steps.
 */
import { describe, expect, it } from 'vitest';
import { backward, forward } from '../../../runtime/autodiff.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { dense, denseBackward } from '../../../runtime/kernels/dense.ts';
import { lif, lifBackward, type LifReset, type Surrogate } from '../../../runtime/kernels/lif.ts';
import { type Tensor, mulberry32, randomUniform, reshape, zeros } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';

const T = 6;

/** x repeated T times along a new leading time axis. */
function repeat(x: Tensor, steps: number): Tensor {
  const out = zeros([steps, ...x.shape]);
  for (let t = 0; t < steps; t++) out.data.set(x.data, t * x.data.length);
  return out;
}

function expectClose(got: Float32Array, want: ArrayLike<number>, digits = 5): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(want[i]!, digits));
}

describe('LIF surrogate gradients through the IR, one step at a time', () => {
  for (const [surrogate, reset] of [['fast_sigmoid', 'subtract'], ['atan', 'zero'], ['triangle', 'subtract'], ['straight_through', 'zero']] as [Surrogate, LifReset][]) {
    it(`${surrogate} with ${reset} reset equals the kernel's BPTT over the whole sequence`, () => {
      const m = build([`timesteps ${T}`, 'input x : f32[2, 5]', `y = lif(x, threshold = 0.6, decay = 0.8, reset = ${reset}, surrogate = ${surrogate}, slope = 3)`, 'output y']);
      const x = randomUniform([2, 5], mulberry32(1), 0, 0.9);
      const fwd = forward(m, {}, { x });
      const r = randomUniform([2, 5], mulberry32(2), -1, 1);
      const g = backward(m, fwd, new Map([['y', r]]), { training: false, inputs: true });
      // The kernel: the same input at every step, the output rate's gradient R/T at every step.
      const k = lif(repeat(x, T), { decay: 0.8, threshold: 0.6, reset, surrogate, alpha: 3 });
      expectClose(fwd.outputs.y!.data, Array.from({ length: 10 }, (_, n) => { let s = 0; for (let t = 0; t < T; t++) s += k.spikes.data[t * 10 + n]!; return s / T; }));
      const kb = lifBackward(k.cache, repeat(fromScaled(r, 1 / T), T));
      const want = Array.from({ length: 10 }, (_, n) => { let s = 0; for (let t = 0; t < T; t++) s += kb.dInput.data[t * 10 + n]!; return s; });
      expect(want.some((v) => v !== 0)).toBe(true);
      expectClose(g.inputs.x!.data, want);
    });
  }

  for (const foldTime of [false, true]) it(`dense → lif → dense: the first dense runs once, its gradient sums every step's (${foldTime ? 'time folded into the batch' : 'step by step'})`, () => {
    const m = build([`timesteps ${T}`, 'input x : f32[3, 4]', 'a = dense(x, 5)', 's = lif(a, threshold = 0.5, decay = 0.9)', 'y = dense(s, 2)', 'output y']);
    const w = initParams(m, 3);
    const x = randomUniform([3, 4], mulberry32(4), 0, 2);
    const fwd = forward(m, w, { x }, { foldTime });
    expect(fwd.tape.filter((e) => e.node === 'a')).toHaveLength(1);
    expect(fwd.tape.filter((e) => e.node === 'y')).toHaveLength(foldTime ? 1 : T);
    const r = randomUniform([3, 2], mulberry32(5), -1, 1);
    const g = backward(m, fwd, new Map([['y', r]]), { training: false });

    const a = dense(x, w.a!.weight!, w.a!.bias);
    const k = lif(repeat(a, T), { decay: 0.9, threshold: 0.5 });
    expect(k.spikes.data.some((v) => v === 1)).toBe(true);
    const rt = fromScaled(r, 1 / T);
    const dS = zeros([T, 3, 5]);
    const dW2 = new Float64Array(10), dB2 = new Float64Array(2);
    for (let t = 0; t < T; t++) {
      const st = reshape({ shape: [3, 5], data: k.spikes.data.slice(t * 15, (t + 1) * 15) }, [3, 5]);
      const d = denseBackward(st, w.y!.weight!, rt);
      dS.data.set(d.dx!.data, t * 15);
      d.dw!.data.forEach((v, i) => { dW2[i] = dW2[i]! + v; });
      d.db!.data.forEach((v, i) => { dB2[i] = dB2[i]! + v; });
    }
    const dA = lifBackward(k.cache, dS).dInput;
    const dASum = zeros([3, 5]);
    for (let t = 0; t < T; t++) for (let i = 0; i < 15; i++) dASum.data[i] = dASum.data[i]! + dA.data[t * 15 + i]!;
    const d1 = denseBackward(x, w.a!.weight!, dASum);
    expectClose(g.params.y!.weight!.data, dW2);
    expectClose(g.params.y!.bias!.data, dB2);
    expectClose(g.params.a!.weight!.data, d1.dw!.data);
    expectClose(g.params.a!.bias!.data, d1.db!.data);
  });
});

function fromScaled(t: Tensor, k: number): Tensor {
  return { shape: [...t.shape], data: Float32Array.from(t.data, (v) => v * k) };
}

/**
 * `lif(readout = membrane)`: the output neurons never fire, the network's output is their membrane
 * potential averaged over the time steps, and the loss acts on it (Lee, Delbruck & Pfeiffer 2016
 * train on membrane potentials). With no spike in the readout its gradient is exact, so central
 * finite differences check it; the readout is allowed on network outputs only.
 */
import { describe, expect, it } from 'vitest';
import { computeLoss, forward, lossAndGradients } from '../../../runtime/autodiff.ts';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { formattedErrors, net } from '../../helpers/kiln.ts';
import { build, checkGradients } from './helpers.ts';

const T = 5;

describe('membrane-potential readout', () => {
  it('outputs the mean over the steps of a leaky integrator of its input, as the interpreter defines it', () => {
    const m = build([`timesteps ${T}`, 'input x : f32[2, 3]', 'y = dense(x, 4) -> lif(decay = 0.5, readout = membrane)', 'output y']);
    expect(m.nodes.y!.type!.dtype).toBe('f32');
    const w = initParams(m, 1);
    const x = randomUniform([2, 3], mulberry32(2), -1, 1);
    const i = run(m, w, { x }, { keepValues: true }).values!['y.dense']!;
    // u[t] = Σ_{k ≤ t} 0.5^(t−k)·i, so the mean over T steps is i·Σ_t (1 − 0.5^(t+1)) / 0.5 / T.
    const gain = Array.from({ length: T }, (_, t) => (1 - 0.5 ** (t + 1)) / 0.5).reduce((a, b) => a + b, 0) / T;
    const ref = run(m, w, { x }).outputs.y!;
    const train = forward(m, w, { x }, { training: true }).outputs.y!;
    ref.data.forEach((v, k) => {
      expect(v).toBeCloseTo(i.data[k]! * gain, 5);
      expect(train.data[k]).toBeCloseTo(v, 6);
    });
    // Large enough to fire a spiking neuron many times over: a readout never resets.
    expect(Math.max(...ref.data.map(Math.abs))).toBeGreaterThan(0);
  });

  it('its gradients match finite differences (weights, bias, input)', () => {
    const m = build([`timesteps ${T}`, 'input x : f32[3, 6]', 'y = dense(x, 4) -> lif(decay = 0.8, readout = membrane)', 'output y']);
    expect(checkGradients(m, { x: randomUniform([3, 6], mulberry32(7), -1, 1) }, { samples: 12 })).toBeGreaterThan(20);
  });

  it('cross-entropy acts on the membrane as logits, behind hidden spiking layers', () => {
    const m = build([`timesteps ${T}`, 'input x : f32[4, 6]', 'h = dense(x, 8) -> lif(threshold = 0.3)', 'y = dense(h, 3) -> lif(readout = membrane)', 'output y']);
    const w = initParams(m, 3);
    const x = randomUniform([4, 6], mulberry32(4), 0, 2);
    const labels = [0, 1, 2, 1];
    const r = lossAndGradients(m, w, { x }, labels);
    const logits = r.outputs.y!;
    let want = 0;
    for (let b = 0; b < 4; b++) {
      const row = Array.from(logits.data.subarray(b * 3, b * 3 + 3));
      const mx = Math.max(...row);
      want += mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0)) - row[labels[b]!]!;
    }
    expect(r.loss).toBeCloseTo(want / 4, 5);
    expect(computeLoss(m, forward(m, w, { x }, { training: true }), labels, 'cross_entropy').loss).toBeCloseTo(r.loss, 6);
    expect(Array.from(r.grads.params['h.dense']!.weight!.data).some((g) => g !== 0)).toBe(true);
  });

  it('is an error on a layer that feeds another, with the place and what to do', () => {
    const errs = formattedErrors(net(['timesteps 4', 'input x : f32[2, 3]', 'h = dense(x, 4) -> lif(readout = membrane)', 'y = dense(h, 2)', 'output y']));
    expect(errs).toMatch(/main.kiln:4:22: error: `h` reads out its membrane potential \(readout = membrane\) but feeds `y`/);
    expect(errs).toMatch(/only a network output may use `readout = membrane`/);
  });
});

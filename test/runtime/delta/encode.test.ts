/**
 * The delta encoder and the delta kernels on hand-made sequences (Neil et al. 2017; see
 * docs/delta-networks.md): which units send, how the references move, that the accumulated
 * pre-activations give the dense layer's result at θ = 0, and the multiply-accumulates counted.
 */
import { describe, expect, it } from 'vitest';
import { DeltaChannel, encodeStep } from '../../../runtime/kernels/delta-encode.ts';
import { deltaDense } from '../../../runtime/kernels/delta-dense.ts';
import { deltaRecurrent } from '../../../runtime/kernels/delta-recurrent.ts';
import { dense } from '../../../runtime/kernels/dense.ts';
import { gru } from '../../../runtime/kernels/gru.ts';
import { lstm } from '../../../runtime/kernels/lstm.ts';
import { rnn } from '../../../runtime/kernels/rnn.ts';
import { fromArray, mulberry32, randomUniform } from '../../../runtime/tensor.ts';

describe('the delta encoder', () => {
  it('sends a unit only when it moved more than θ from its last sent value, and only then moves the reference', () => {
    // One row of 3 units over 4 steps, θ = 0.1.
    const steps = [[0.05, 0.5, -0.2], [0.12, 0.55, -0.2], [0.2, 0.65, 0.0], [0.2, 0.66, -0.25]];
    const ref = new Float32Array(3), delta = new Float32Array(3), sent = new Int32Array(3), counts = new Int32Array(1);
    const log: { sent: number[]; delta: number[]; ref: number[] }[] = [];
    for (const v of steps) {
      encodeStep(Float32Array.from(v), 0, ref, 0.1, 1, 3, delta, sent, counts);
      log.push({ sent: Array.from(sent.subarray(0, counts[0]!)), delta: Array.from(delta, (d) => +d.toFixed(4)), ref: Array.from(ref, (r) => +r.toFixed(4)) });
    }
    expect(log).toEqual([
      // 0.05 is within θ of the start (0): not sent; 0.5 and −0.2 are.
      { sent: [1, 2], delta: [0, 0.5, -0.2], ref: [0, 0.5, -0.2] },
      // 0.12 − 0 > θ: sent in full (0.12), although it moved only 0.07 this step.
      { sent: [0], delta: [0.12, 0, 0], ref: [0.12, 0.5, -0.2] },
      // 0.65 − 0.5 = 0.15 > θ; 0.2 − 0.12 = 0.08 is not: its reference stays at 0.12.
      { sent: [1, 2], delta: [0, 0.15, 0.2], ref: [0.12, 0.65, 0] },
      { sent: [2], delta: [0, 0, -0.25], ref: [0.12, 0.65, -0.25] },
    ]);
  });

  it('at θ = 0 sends every change and nothing else', () => {
    const ch = new DeltaChannel(1, 2, 0);
    const acc = new Float64Array(1);
    expect(ch.step([1, 0], 0, Float32Array.from([1, 1]), 1, acc)).toBe(1);
    expect(ch.step([1, 0], 0, Float32Array.from([1, 1]), 1, acc)).toBe(0);
    expect(ch.step([1, 1e-7], 0, Float32Array.from([1, 1]), 1, acc)).toBe(1);
  });
});

describe('delta kernels', () => {
  const rng = mulberry32(7);
  const x = randomUniform([6, 2, 3], rng, -1, 1);
  const wt = (g: number) => ({ w: randomUniform([g * 4, 3], rng, -0.5, 0.5), r: randomUniform([g * 4, 4], rng, -0.5, 0.5), wb: randomUniform([g * 4], rng, -0.2, 0.2) });

  it('at θ = 0 the accumulated pre-activations give the dense rnn, lstm and linear-before-reset gru', () => {
    const close = (a: Float32Array, b: Float32Array) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    const w1 = wt(1), w3 = wt(3), w4 = wt(4);
    close(deltaRecurrent('rnn', x, w1, 0).y.data, rnn(x, w1).y.data);
    close(deltaRecurrent('gru', x, w3, 0).y.data, gru(x, w3, undefined, { gateOrder: 'zrh', linearBeforeReset: true }).y.data);
    close(deltaRecurrent('lstm', x, w4, 0).y.data, lstm(x, w4, undefined, undefined, { gateOrder: 'ifgo' }).y.data);
    const w = randomUniform([5, 3], rng, -1, 1), b = randomUniform([5], rng, -1, 1);
    close(deltaDense(x, w, b, 0).y.data, dense(x, w, b).data);
  });

  it('counts the products it did: a held input sends nothing after its first step', () => {
    // Two rows, input of 3 units held constant over 4 steps, θ = 0.5: only |x| > 0.5 units send, once.
    const held = fromArray([4, 2, 3], Array.from({ length: 4 }, () => [0.9, 0.1, -0.7, 0.2, 0.3, 0.6]).flat());
    const w = randomUniform([5, 3], rng, -1, 1);
    const r = deltaDense(held, w, undefined, 0.5);
    expect(r.macs).toEqual({ done: 3 * 5, dense: 4 * 2 * 3 * 5 });
    // The rows whose units never sent see the reference 0 for them.
    expect(Array.from(r.xhat.data.subarray(18, 24))).toEqual([0.9, 0, -0.7, 0, 0, 0.6].map(Math.fround));
    const rec = deltaRecurrent('gru', held, wt(3), 0.5);
    expect(rec.macs.dense).toBe(4 * 2 * (3 + 4) * 12);
    expect(rec.macs.done).toBeGreaterThanOrEqual(3 * 12);
    expect(rec.macs.done).toBeLessThan(rec.macs.dense);
  });

  it('a larger θ sends fewer units', () => {
    const w3 = wt(3);
    const done = [0, 0.1, 0.3, 0.6].map((t) => deltaRecurrent('gru', x, w3, t).macs.done);
    for (let i = 1; i < done.length; i++) expect(done[i]!).toBeLessThan(done[i - 1]!);
  });
});

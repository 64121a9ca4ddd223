/**
 * Losses: cross-entropy through the fused log-softmax when the network ends in softmax (checked
 * against finite differences, against the unfused softmax backward, and for stability at large
 * logits), on log_softmax outputs, on raw logits and on spike counts; MSE against one-hot targets.
 */
import { describe, expect, it } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { backward, computeLoss, forward, lossAndGradients, type LossKind } from '../../../runtime/autodiff.ts';
import { initParams, type Weights } from '../../../runtime/interpreter.ts';
import { type Tensor, fromArray, mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';

function fdCheck(m: Module, w: Weights, x: Tensor, labels: number[], kind: LossKind): void {
  const r = lossAndGradients(m, w, { x }, labels, { loss: kind, training: false });
  const loss = () => computeLoss(m, forward(m, w, { x }), labels, kind).loss;
  for (const [id, ps] of Object.entries(w)) {
    for (const [name, t] of Object.entries(ps)) {
      for (let i = 0; i < Math.min(6, t.data.length); i++) {
        const v = t.data[i]!;
        t.data[i] = v + 1e-2; const up = loss();
        t.data[i] = v - 1e-2; const down = loss();
        t.data[i] = v;
        const fd = (up - down) / 2e-2;
        const got = r.grads.params[id]![name]!.data[i]!;
        expect(Math.abs(got - fd), `${id}.${name}[${i}]: ${got} vs ${fd}`).toBeLessThan(1e-3 + 2e-2 * Math.abs(fd));
      }
    }
  }
}

const labels = [2, 0, 1, 2];

describe('cross-entropy', () => {
  const m = build(['input x : f32[4, 5]', 'h = dense(x, 6) -> tanh', 'y = dense(h, 3) -> softmax', 'output y']);
  const x = randomUniform([4, 5], mulberry32(1), -1, 1);

  it('on a softmax output: matches finite differences of −mean log p[label]', () => {
    fdCheck(m, initParams(m, 2), x, labels, 'cross_entropy');
  });

  it('fused log-softmax gradient = softmax backward of −1/(N·p[label])', () => {
    const w = initParams(m, 2);
    const fused = lossAndGradients(m, w, { x }, labels, { training: false }).grads.params;
    const fwd = forward(m, w, { x });
    const p = fwd.outputs.y!;
    const seed = fromArray([4, 3], Array.from({ length: 12 }, (_, i) => (i % 3 === labels[Math.floor(i / 3)] ? -1 / (4 * p.data[i]!) : 0)));
    const plain = backward(m, fwd, new Map([['y', seed]]), { training: false }).params;
    for (const id of ['h.dense', 'y.dense']) {
      Array.from(fused[id]!.weight!.data).forEach((v, i) => expect(v).toBeCloseTo(plain[id]!.weight!.data[i]!, 5));
    }
  });

  it('stays finite when the softmax saturates (logits ~ 10⁴)', () => {
    const big = build(['input x : f32[2, 2]', 'y = dense(x, 2) -> softmax', 'output y']);
    const w = initParams(big, 1);
    w['y.dense']!.weight!.data.set([5000, -5000, -5000, 5000]);
    const xb = fromArray([2, 2], [1, 0, 1, 0]);
    // Both rows' logits are (5000, −5000): p = (1, 0) in f32; the label-1 row costs 10⁴.
    const r = lossAndGradients(big, w, { x: xb }, [0, 1], { training: false });
    expect(r.loss).toBeCloseTo(5000, 3);
    for (const t of Object.values(r.grads.params['y.dense']!)) for (const v of t.data) expect(Number.isFinite(v)).toBe(true);
  });

  it('on a log_softmax output: −mean of the label entries', () => {
    const ml = build(['input x : f32[4, 5]', 'y = dense(x, 3) -> log_softmax', 'output y']);
    const w = initParams(ml, 3);
    const out = forward(ml, w, { x }).outputs.y!;
    const want = -labels.reduce((s, l, r) => s + out.data[r * 3 + l]!, 0) / 4;
    expect(computeLoss(ml, forward(ml, w, { x }), labels, 'cross_entropy').loss).toBeCloseTo(want, 5);
    fdCheck(ml, w, x, labels, 'cross_entropy');
  });

  it('on raw logits and on [batch, steps, classes] sequences (one label per position)', () => {
    const ms = build(['input x : f32[2, 2, 5]', 'y = dense(x, 3)', 'output y']);
    fdCheck(ms, initParams(ms, 4), randomUniform([2, 2, 5], mulberry32(4), -1, 1), labels, 'cross_entropy');
  });

  it('per pixel over a softmax on the channel axis: the same loss and gradients as the classes moved last, and finite differences agree', () => {
    const seg = build(['input x : f32[2, 3, 2, 3]', 'y = conv2d(x, 2, 1) -> softmax(axis = 1)', 'output y']);
    const last = build(['input x : f32[2, 3, 2, 3]', 'y = conv2d(x, 2, 1) -> transpose([0, 2, 3, 1]) -> softmax', 'output y']);
    const w = initParams(seg, 5);
    const xs = randomUniform([2, 3, 2, 3], mulberry32(5), -1, 1);
    // One label per pixel, batch-major then row-major: what the [N, H, W] class map of a data set holds.
    const pix = Array.from({ length: 12 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    const a = lossAndGradients(seg, w, { x: xs }, pix, { training: false });
    const b = lossAndGradients(last, w, { x: xs }, pix, { training: false });
    expect(a.rows).toBe(12);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    const ga = a.grads.params['y.conv2d']!.weight!.data, gb = b.grads.params['y.conv2d']!.weight!.data;
    ga.forEach((g, i) => expect(g).toBeCloseTo(gb[i]!, 6));
    fdCheck(seg, w, xs, pix, 'cross_entropy');
  });

  it('on a spiking output: logits are the firing rates', () => {
    const ms = build(['timesteps 5', 'input x : f32[2, 3]', 'y = lif(x, threshold = 0.5, decay = 1)', 'output y']);
    const fwd = forward(ms, {}, { x: fromArray([2, 3], [0.3, 0.6, 0.1, 0.2, 0.9, 0.4]) });
    // Rates of a no-leak, subtract-reset neuron over 5 steps at threshold 0.5: 0.3 → 3/5, 0.6 → 5/5, 0.9 → 5/5 …
    const counts = Array.from(fwd.outputs.y!.data);
    expect(counts.slice(0, 2)).toEqual([0.6, 1].map(Math.fround));
    const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    const want = (lse(counts.slice(0, 3)) - counts[1]! + lse(counts.slice(3)) - counts[5]!) / 2;
    expect(computeLoss(ms, fwd, [1, 2], 'cross_entropy').loss).toBeCloseTo(want, 5);
  });

  it('rejects labels that do not fit the output', () => {
    const w = initParams(m, 2);
    expect(() => lossAndGradients(m, w, { x }, [0, 1, 2], { training: false })).toThrowError(KilnError);
    expect(() => lossAndGradients(m, w, { x }, [0, 1, 2, 3], { training: false })).toThrowError(/outside the 3 classes/);
  });
});

describe('mean squared error against one-hot targets', () => {
  it('is mean (y − onehot)² over every element, with matching gradients', () => {
    const m = build(['input x : f32[4, 5]', 'y = dense(x, 3) -> sigmoid', 'output y']);
    const w = initParams(m, 5);
    const x = randomUniform([4, 5], mulberry32(6), -1, 1);
    const y = forward(m, w, { x }).outputs.y!;
    const want = Array.from(y.data).reduce((s, v, i) => s + (v - (i % 3 === labels[Math.floor(i / 3)] ? 1 : 0)) ** 2, 0) / 12;
    expect(computeLoss(m, forward(m, w, { x }), labels, 'mse').loss).toBeCloseTo(want, 6);
    fdCheck(m, w, x, labels, 'mse');
  });
});

/**
 * The training loop as a library: seeded determinism, the learning-rate schedule, batch-norm
 * running statistics, BinaryConnect's latent-weight clipping, recurrent language models, and
 * evaluation that pads the last batch without changing any prediction.
 */
import { describe, expect, it } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { loadData } from '../../../runtime/data/index.ts';
import type { Weights } from '../../../runtime/interpreter.ts';
import { evaluate, train, trainConfig, type TrainConfig, type TrainSetup } from '../../../runtime/train.ts';
import { checkText, compileText } from '../../helpers/kiln.ts';

function setup(src: string, overrides: Partial<TrainConfig> = {}): TrainSetup {
  const checked = checkText(src);
  expect(checked.diagnostics).toEqual([]);
  const [t] = [...checked.trains.values()];
  const config = { ...trainConfig(t!), ...overrides };
  const module: Module = compileText(src, { network: t!.network }).module;
  return { module, config, data: loadData(config.data.name, config.data.args) };
}

const MLP = `network small(batch = 32) {
  input x : f32[batch, 784]
  h = dense(x, 32) -> batchnorm -> relu -> dropout(0.1)
  y = dense(h, 10) -> softmax
  output y
}
train small { data mnist(train = 256, test = 100, shift = 1)  epochs 2  batch 32  seed 1  optimizer adam(lr = 3e-3) }
`;

const bits = (w: Weights) => Object.entries(w).flatMap(([id, ps]) => Object.entries(ps).map(([k, t]) => [`${id}/${k}`, Buffer.from(t.data.buffer).toString('base64')]));

describe('training runs', () => {
  it('the same seed gives bit-identical weights; another seed different ones', () => {
    const a = train(setup(MLP), { testLimit: 0 });
    const b = train(setup(MLP), { testLimit: 0 });
    const c = train(setup(MLP), { testLimit: 0, seed: 2 });
    expect(bits(a.weights)).toEqual(bits(b.weights));
    expect(bits(a.weights)).not.toEqual(bits(c.weights));
    expect(a.history.map((h) => h.loss)).toEqual(b.history.map((h) => h.loss));
    expect(a.steps).toBe(16);
  });

  it('updates batch-norm running statistics from the batches it trained on', () => {
    const r = train(setup(MLP), { testLimit: 0, epochs: 1 });
    const mean = r.weights['h.batchnorm']!.running_mean!.data;
    expect(Array.from(mean).some((v) => v !== 0)).toBe(true);
    expect(Array.from(r.weights['h.batchnorm']!.running_var!.data).some((v) => v !== 1)).toBe(true);
  });

  it('follows the schedule: after a step decay of 10⁻⁶ the weights barely move', () => {
    const s = setup(MLP, { schedule: { kind: 'step', every: 1, gamma: 1e-6 } });
    const one = train(s, { testLimit: 0, epochs: 1 }).weights['y.dense']!.weight!.data;
    const two = train(s, { testLimit: 0, epochs: 2 }).weights['y.dense']!.weight!.data;
    const init = train(s, { testLimit: 0, epochs: 0 }).weights['y.dense']!.weight!.data;
    const dist = (p: Float32Array, q: Float32Array) => Math.sqrt(p.reduce((acc, v, i) => acc + (v - q[i]!) ** 2, 0));
    expect(dist(one, init)).toBeGreaterThan(1e-2);
    expect(dist(two, one)).toBeLessThan(1e-5 * dist(one, init) + 1e-6);
  });

  it('keeps binary latent weights within [−1, 1] (BinaryConnect) while it learns', () => {
    const src = `network bin(batch = 32) {
  input x : f32[batch, 784]
  h = dense(x, 64, weights = binary) -> batchnorm -> sign
  y = dense(h, 10, weights = binary) -> batchnorm -> softmax
  output y
}
train bin { data mnist(train = 640, test = 200)  epochs 2  batch 32  seed 1  optimizer adam(lr = 5e-2) }
`;
    const r = train(setup(src));
    for (const id of ['h.dense', 'y.dense']) {
      const w = r.weights[id]!.weight!.data;
      expect(Math.max(...Array.from(w).map(Math.abs))).toBeLessThanOrEqual(1);
      expect(Array.from(w).filter((v) => Math.abs(v) === 1).length).toBeGreaterThan(0);
    }
    expect(r.history[1]!.test_accuracy).toBeGreaterThan(0.5);
  });

  it('trains an LSTM language model on generated sequences well above chance', () => {
    const src = `network lm(batch = 16, steps = 8, vocab = 12, width = 16) {
  input tokens : i32[batch, steps]
  e = embedding(tokens, vocab, width)
  h = lstm(e, width)
  y = dense(h, vocab) -> softmax
  output y
}
train lm { data sequence(vocab = 12, length = 8, train = 480, test = 64)  epochs 6  batch 16  seed 1  optimizer adam(lr = 2e-2) }
`;
    const r = train(setup(src));
    // Three likely successors per token (90 %): the best predictor reaches ≈ 0.3 + 0.1/12, chance is 1/12.
    expect(r.history[5]!.test_accuracy).toBeGreaterThan(0.2);
    expect(r.history[5]!.loss).toBeLessThan(r.history[0]!.loss);
  });

  it('evaluation pads the last batch without changing any prediction', () => {
    const s = setup(MLP);
    const r = train(s, { testLimit: 0, epochs: 1 });
    const all = evaluate(s.module, r.weights, s.data.test, { limit: 64 });
    const part = evaluate(s.module, r.weights, s.data.test, { limit: 37 });
    expect(Array.from(part.predictions)).toEqual(Array.from(all.predictions.subarray(0, 37)));
    expect(part.rows).toBe(37);
  });
});

/**
 * Spiking networks over `timesteps`: membrane state per lif node across steps, input encodings,
 * outputs as rates, and which nodes are evaluated every step.
 */
import { describe, expect, it } from 'vitest';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { fromArray, full } from '../../../runtime/tensor.ts';
import { build, expectValues, runWith } from './helpers.ts';

describe('spiking networks', () => {
  it('accumulate membrane potential across steps and report rates', () => {
    // Constant input 0.3, decay 1 (no leak), threshold 1, subtract reset: spikes at steps 4 and 7
    // (membrane 1.2 → 0.2, then 0.2 + 0.9 = 1.1) of 8 → rate 2/8.
    const m = build(['timesteps 8', 'input x : f32[1, 1]', 'y = lif(x, decay = 1)', 'output y']);
    expectValues(runWith(m, { x: [0.3] }).outputs.y!, [1, 1], [0.25]);
  });

  it('chain lif layers: the second layer integrates the first one\'s spikes', () => {
    // Layer 1 spikes on every step for input 1 (threshold 1, decay 0); layer 2 (threshold 2.5,
    // no leak, reset to zero) reaches 3 on every third step: 1 spike per 3 steps → 4 of 12.
    const m = build(['timesteps 12', 'input x : f32[1, 1]', 'a = lif(x, decay = 0)', 'b = lif(a, threshold = 2.5, decay = 1, reset = zero)', 'output a, b']);
    const o = runWith(m, { x: [1] }).outputs;
    expectValues(o.a!, [1, 1], [1]);
    expectValues(o.b!, [1, 1], [4 / 12]);
  });

  it('rate encoding presents Bernoulli spikes with probability clamp(x, 0, 1)', () => {
    const m = build(['timesteps 50', 'input x : f32[1, 300]', 'y = lif(x, threshold = 0.5, decay = 0)', 'output y']);
    const x = [...new Array(100).fill(-1), ...new Array(100).fill(0.3), ...new Array(100).fill(2)];
    const rates = Array.from(runWith(m, { x }, {}, { encoding: 'rate', seed: 11 }).outputs.y!.data);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(rates.slice(0, 100))).toBe(0);
    expect(mean(rates.slice(200))).toBe(1);
    // 5000 Bernoulli(0.3) draws: σ of the mean ≈ 0.0065.
    expect(Math.abs(mean(rates.slice(100, 200)) - 0.3)).toBeLessThan(0.04);
    // With direct encoding the same input drives the membrane with 0.3 each step: never reaches 0.5 with decay 0.
    expect(mean(Array.from(runWith(m, { x }).outputs.y!.data.slice(100, 200)))).toBe(0);
  });

  it('evaluates nodes upstream of every lif once, the rest every step', () => {
    const m = build(['timesteps 5', 'input x : f32[1, 1, 4, 4]', 'c = conv2d(x, 2, 3) -> relu', 's = lif(c)', 'y = flatten(s) -> dense(3)', 'output y']);
    const r = run(m, initParams(m, 1), { x: full([1, 1, 4, 4], 0.5) }, { record: true });
    const count = (op: string) => r.tape!.filter((e) => e.op === op).length;
    expect([count('conv2d'), count('relu'), count('lif'), count('flatten'), count('dense')]).toEqual([1, 1, 5, 5, 5]);
    expect(r.tape!.filter((e) => e.op === 'lif').map((e) => e.step)).toEqual([0, 1, 2, 3, 4]);
  });

  it('starts every run from a resting membrane', () => {
    const m = build(['timesteps 3', 'input x : f32[1, 2]', 'y = lif(x)', 'output y']);
    const w = initParams(m, 0);
    const x = { x: fromArray([1, 2], [0.6, 1.5]) };
    expect(Array.from(run(m, w, x).outputs.y!.data)).toEqual(Array.from(run(m, w, x).outputs.y!.data));
  });

  it('averages a non-spike output over the steps', () => {
    // y = dense(lif(x)) with weight 1: the mean of the spike train, the same as the rate.
    const m = build(['timesteps 4', 'input x : f32[1, 1]', 's = lif(x, decay = 1)', 'y = dense(s, 1, bias = false)', 'output y']);
    expectValues(runWith(m, { x: [0.5] }, { y: { weight: [3] } }).outputs.y!, [1, 1], [3 * 0.5]);
  });
});

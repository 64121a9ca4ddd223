/**
 * Activity measured in the interpreter: a neuron driven far above threshold fires every step
 * (rate 1), one driven below never fires (rate 0); the input's rate is what a rate-coding host
 * sends, clamp(x, 0, 1), averaged over the samples; a layer's zero fraction counts its exact
 * zeros at every time step of the real samples only; a probe added to the list is run too.
 */
import { describe, expect, it } from 'vitest';
import { initParams } from '../../../runtime/interpreter.ts';
import type { Dataset } from '../../../runtime/data/dataset.ts';
import { measureActivity } from '../../../runtime/activity/measure.ts';
import { ACTIVITY_PROBES, type ActivityProbe } from '../../../runtime/activity/probes.ts';
import { spikingRates } from '../../../targets/activity.ts';
import { mapNetwork } from '../../../targets/neuromorphic/network-mapping.ts';
import { neuromorphicConfig } from '../../../targets/neuromorphic/config.ts';
import { presets } from '../../../targets/resolve.ts';
import { compileText } from '../../helpers/kiln.ts';

describe('measureActivity of a spiking layer', () => {
  const m = compileText('network s(batch = 2) { timesteps 8  input x : f32[batch, 3]  h = dense(x, 2) -> lif(threshold = 1.0, decay = 0.5)  output h }').module;
  const w = initParams(m, 1);
  // Unit 0 gets 10·Σx (fires every step), unit 1 gets −10·Σx (never fires).
  const weight = w['h.dense']!.weight!;
  weight.data.set(weight.shape[0] === 2 ? [10, 10, 10, -10, -10, -10] : [10, -10, 10, -10, 10, -10]);
  w['h.dense']!.bias!.data.fill(0);
  const data: Dataset = { name: 'd', sampleShape: [3], x: Float32Array.from([0.5, 2, -1, 0.1, 0.2, 0.3, 1, 1, 1]), y: Int32Array.from([0, 0, 0]), count: 3, classes: 2 };

  it('a neuron far above threshold fires every step, one below never; input rates are clamp(x, 0, 1)', () => {
    const r = measureActivity(m, w, data, 3);
    expect(r.samples).toBe(3);
    const h = r.activity.layers.h!;
    expect(Array.from(h.neuron_rates!)).toEqual([1, 0]);
    expect(h.firing_rate).toBe(0.5);
    // Spikes are 0 or 1: half the outputs are zero at every step.
    expect(h.zero_fraction).toBe(0.5);
    const x = r.activity.layers.x!.neuron_rates!;
    expect(x[0]).toBeCloseTo((0.5 + 0.1 + 1) / 3, 6);
    expect(x[1]).toBeCloseTo((1 + 0.2 + 1) / 3, 6);
    expect(x[2]).toBeCloseTo((0 + 0.3 + 1) / 3, 6);
    // No input value is exactly zero (−1 is clamped for the rate, not for the zeros).
    expect(r.activity.layers.x!.zero_fraction).toBe(0);
  });

  it('the mapping weights nets by the measured rates', () => {
    const r = measureActivity(m, w, data, 2);
    const { neuronRates } = spikingRates(r.activity);
    const { config } = neuromorphicConfig(presets().get('loihi_1chip')!);
    const mp = mapNetwork(m, config, { neuronRates });
    expect(mp.rates.source.h).toBe('measured');
    // The input nets (one per pixel, merged when they reach the same block) carry the pixels' rates.
    const inputRate = Array.from(neuronRates.x!).reduce((a, b) => a + b, 0);
    expect(Array.from(mp.rates.net).reduce((a, b) => a + b, 0)).toBeCloseTo(inputRate, 6);
    // Vertex rates are the sums of their neurons' rates: 1 + 0.
    expect(Array.from(mp.rates.vertex).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});

describe('measureActivity of a relu network', () => {
  // Batch 2 and three samples: the second batch holds one real sample and one padding row.
  const m = compileText('network r(batch = 2) { input x : f32[batch, 4]  h = dense(x, 3) -> relu  output h }').module;
  const w = initParams(m, 1);
  // h = relu(x · W): W picks x0, −x0 and x1, so with x0 > 0 exactly one of the first two is zero.
  const wt = w['h.dense']!.weight!;
  const pick = [[1, 0, 0, 0], [-1, 0, 0, 0], [0, 1, 0, 0]];
  for (let o = 0; o < 3; o++) for (let i = 0; i < 4; i++) wt.data[wt.shape[0] === 3 ? o * 4 + i : i * 3 + o] = pick[o]![i]!;
  w['h.dense']!.bias!.data.fill(0);
  const data: Dataset = { name: 'd', sampleShape: [4], x: Float32Array.from([1, 2, 0, 0, 3, 0, 0, 5, 2, -1, 7, 0]), y: Int32Array.from([0, 0, 0]), count: 3, classes: 2 };

  it('counts exact zeros over the real samples, not the padding', () => {
    const r = measureActivity(m, w, data, 3);
    // Inputs: zeros 2 + 2 + 1 of 12.
    expect(r.activity.layers.x!.zero_fraction).toBeCloseTo(5 / 12, 12);
    // Outputs: [1, 0, 2], [3, 0, 0], [2, 0, 0]: 5 zeros of 9 (a padding row would add 3 more).
    expect(r.activity.layers.h!.zero_fraction).toBeCloseTo(5 / 9, 12);
    // Pre-activations [1, −1, 2], [3, −3, 0], [2, −2, −1]: one exact zero.
    expect(r.activity.layers['h.dense']!.zero_fraction).toBeCloseTo(1 / 9, 12);
    expect(r.activity.layers.h!.firing_rate).toBeUndefined();
  });

  it('runs a probe an op adds, on the nodes it applies to', () => {
    const positive: ActivityProbe = {
      key: 'delta_fraction',
      applies: (n) => n.op === 'dense',
      start: () => {
        let pos = 0, all = 0;
        return { observe: (t, rows) => { for (let i = 0; i < rows * 3; i++) { all++; if (t.data[i]! > 0) pos++; } }, value: () => pos / all };
      },
    };
    const r = measureActivity(m, w, data, 3, undefined, [...ACTIVITY_PROBES, positive]);
    // Pre-activations [1, −1, 2], [3, −3, 0], [2, −2, −1]: 4 of 9 positive.
    expect(r.activity.layers['h.dense']!.delta_fraction).toBeCloseTo(4 / 9, 12);
    expect(r.activity.layers.h!.delta_fraction).toBeUndefined();
  });

  it('makes a probe\'s run options once per measurement and hands them to every tally', () => {
    const made: object[] = [], given: object[] = [];
    const counting: ActivityProbe = {
      key: 'delta_fraction',
      applies: (n) => n.op !== 'param',
      runOptions: () => { const o = { seed: 3 }; made.push(o); return o; },
      start: (_n, _m, run) => { given.push(run); return { observe: () => {}, value: () => undefined }; },
    };
    measureActivity(m, w, data, 3, undefined, [counting]);
    expect(made).toHaveLength(1);
    expect(given).toHaveLength(Object.keys(m.nodes).length);
    for (const g of given) expect(g).toBe(made[0]);
  });
});

describe('measureActivity of a delta layer', () => {
  // Each sample holds its value for the first half of the sequence and changes it in the second,
  // so a delta rnn transmits at some steps and not at others.
  const m = compileText('network d(batch = 2) { input x : f32[batch, 6, 3]  h = rnn(x, 4, sequence = last, delta = 0.05)  output h }').module;
  const w = initParams(m, 3);
  const x = new Float32Array(3 * 6 * 3);
  for (let s = 0; s < 3; s++) for (let t = 0; t < 6; t++) for (let f = 0; f < 3; f++) x[(s * 6 + t) * 3 + f] = t < 3 ? 0.5 + s : -0.3 * f + 0.01 * t;
  const data: Dataset = { name: 'd', sampleShape: [6, 3], x, y: Int32Array.from([0, 1, 0]), count: 3, classes: 4 };

  it('reports the share of the dense MACs the layer did, the same figure the delta counter gives', async () => {
    const { measureDeltaActivity } = await import('../../../runtime/delta-activity.ts');
    const r = measureActivity(m, w, data, 3);
    const f = r.activity.layers.h!.delta_fraction!;
    expect(f).toBeGreaterThan(0);
    expect(f).toBeLessThan(1);
    expect(f).toBeCloseTo(measureDeltaActivity(m, w, data, 3).layers.h!.delta_fraction, 12);
    // Layers that are not delta layers get no delta_fraction.
    expect(r.activity.layers.x!.delta_fraction).toBeUndefined();
  });
});

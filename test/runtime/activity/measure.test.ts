/**
 * Rates measured in the interpreter: a neuron driven far above threshold fires every step (rate 1),
 * one driven below never fires (rate 0); the input's rate is what a rate-coding host sends,
 * clamp(x, 0, 1), averaged over the samples.
 */
import { describe, expect, it } from 'vitest';
import { initParams } from '../../runtime/interpreter.ts';
import type { Dataset } from '../../runtime/data/dataset.ts';
import { measureRates } from '../../runtime/measure-rates.ts';
import { mapNetwork } from '../../targets/neuromorphic/network-mapping.ts';
import { neuromorphicConfig } from '../../targets/neuromorphic/config.ts';
import { presets } from '../../targets/resolve.ts';
import { compileText } from '../helpers/kiln.ts';

describe('measureRates', () => {
  const m = compileText('network s(batch = 2) { timesteps 8  input x : f32[batch, 3]  h = dense(x, 2) -> lif(threshold = 1.0, decay = 0.5)  output h }').module;
  const w = initParams(m, 1);
  // Unit 0 gets 10·Σx (fires every step), unit 1 gets −10·Σx (never fires).
  const weight = w['h.dense']!.weight!;
  weight.data.set(weight.shape[0] === 2 ? [10, 10, 10, -10, -10, -10] : [10, -10, 10, -10, 10, -10]);
  w['h.dense']!.bias!.data.fill(0);
  const data: Dataset = { name: 'd', sampleShape: [3], x: Float32Array.from([0.5, 2, -1, 0.1, 0.2, 0.3, 1, 1, 1]), y: Int32Array.from([0, 0, 0]), count: 3, classes: 2 };

  it('a neuron far above threshold fires every step, one below never; input rates are clamp(x, 0, 1)', () => {
    const r = measureRates(m, w, data, 3);
    expect(r.samples).toBe(3);
    expect(Array.from(r.neuronRates.h!)).toEqual([1, 0]);
    const x = r.neuronRates.x!;
    expect(x[0]).toBeCloseTo((0.5 + 0.1 + 1) / 3, 6);
    expect(x[1]).toBeCloseTo((1 + 0.2 + 1) / 3, 6);
    expect(x[2]).toBeCloseTo((0 + 0.3 + 1) / 3, 6);
  });

  it('the mapping weights nets by the measured rates', () => {
    const r = measureRates(m, w, data, 2);
    const { config } = neuromorphicConfig(presets().get('loihi_1chip')!);
    const mp = mapNetwork(m, config, { neuronRates: r.neuronRates });
    expect(mp.rates.source.h).toBe('measured');
    // The input nets (one per pixel, merged when they reach the same block) carry the pixels' rates.
    const inputRate = Array.from(r.neuronRates.x!).reduce((a, b) => a + b, 0);
    expect(Array.from(mp.rates.net).reduce((a, b) => a + b, 0)).toBeCloseTo(inputRate, 6);
    // Vertex rates are the sums of their neurons' rates: 1 + 0.
    expect(Array.from(mp.rates.vertex).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});

/**
 * An output `lif(readout = membrane)` never fires: its output is a potential (often negative), so
 * a neuromorphic estimate must treat it as a readout (rate 0, no assumed rate, no warning naming
 * it), and `--measure` must not report the mean of that potential as a firing rate. Before this,
 * spiking_cnn's `y` was priced at a measured "rate" of −0.089 spikes per neuron and step.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { measureActivity } from '../../../runtime/activity/measure.ts';
import { loadData } from '../../../runtime/data/index.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { neuronGraph } from '../../../targets/neuromorphic/neuron-graph.ts';
import { resolveRates } from '../../../targets/neuromorphic/rates.ts';
import { removeTempFiles, runMain, tempFiles } from '../../helpers/cli.ts';
import { compileText } from '../../helpers/kiln.ts';

afterAll(removeTempFiles);

const SNN = `network s(batch = 4) {
  timesteps 3
  input x : f32[batch, 1, 28, 28]
  f = flatten(x)
  h = dense(f, 16) -> lif
  y = dense(h, 10) -> lif(readout = membrane)
  output y
}
train s { data mnist(train = 16, test = 8)  epochs 1  batch 4  seed 1  optimizer adam(lr = 1e-3) }
`;

describe('a membrane readout on a neuromorphic target', () => {
  const m = compileText(SNN).module;

  it('is a readout population: rate 0 by construction, never an assumed rate', () => {
    const g = neuronGraph(m);
    const y = g.populations.find((p) => p.name === 'y')!;
    expect(y.readout).toBe(true);
    expect(g.populations.find((p) => p.name === 'h')!.readout).toBeUndefined();
    const rates = resolveRates(g, {});
    expect(rates.source.y).toBe('readout (never spikes)');
    expect(rates.mean.y).toBe(0);
    expect(rates.warnings.join('\n')).toMatch(/no firing rate for x, h;/);
  });

  it('has no measured firing rate; its hidden layer and input still do', () => {
    const data = loadData('mnist', { train: 16, test: 8 }).test;
    const a = measureActivity(m, initParams(m, 1), data, 8).activity.layers;
    expect(a.y!.firing_rate).toBeUndefined();
    expect(a.h!.firing_rate).toBeGreaterThanOrEqual(0);
    expect(a.x!.firing_rate).toBeGreaterThan(0);
  });

  it('kiln estimate --measure prices it as a readout with rate 0, no negative rate anywhere', () => {
    const dir = tempFiles({ 's.kiln': SNN });
    const r = runMain(['estimate', path.join(dir, 's.kiln'), '--target', 'loihi_1chip', '--measure', 'mnist:test', '--samples', '8', '--json']);
    expect(r.code, r.err).toBe(0);
    const layers = (JSON.parse(r.out) as { results: { layers: { name: string; op: string; activity: { value: { firing_rate?: number }; source: string } }[] }[] }).results[0]!.layers;
    const y = layers.find((l) => l.name === 'y')!;
    expect(y.op).toBe('readout');
    expect(y.activity.value.firing_rate).toBe(0);
    expect(layers.find((l) => l.name === 'h')!.activity.source).toBe('measured');
    for (const l of layers) expect(l.activity.value.firing_rate ?? 0).toBeGreaterThanOrEqual(0);
  });
});

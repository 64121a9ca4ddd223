/**
 * Costs of an LMU and of sigma-delta units (docs/lmu.md, "Costs") on the three target kinds: the
 * per-step GEMM holds exactly the cell's multiply-accumulates (up to one column's rounding),
 * measured events shrink the products that read sigma-delta units, and a sigma-delta LMU runs on a
 * neuromorphic preset with the synaptic operations the cell needs.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.ts';
import type { Activity } from '../../targets/activity.ts';
import { priceActivity } from '../../targets/activity-pricing.ts';
import { estimate, type Workload } from '../../targets/estimate.ts';
import { presets } from '../../targets/resolve.ts';
import { moduleWork } from '../../targets/workload.ts';
import { memoryFiles } from '../helpers/memfs.ts';

const src = (sd: string, seq = 'last') => `network n(batch = 4) {
  input x : f32[batch, 10, 3]
  h = lmu(x, 8, order = 6, theta = 10, sequence = ${seq}${sd})
  y = dense(h, 5)
  output y
}
`;
const moduleOf = (s: string) => compile('t.kiln', { readFile: memoryFiles({ 't.kiln': s }) }).module;
const work = (s: string): Workload => ({ kind: 'module', module: moduleOf(s) });
const measured = (events: Record<string, number>, source: Activity['source'] = 'measured'): Activity =>
  ({ layers: Object.fromEntries(Object.entries(events).map(([id, e]) => [id, { events_per_activation: e, bits_per_activation: 2 }])), source });

describe('lmu costs', () => {
  it('one GEMM per step: the hidden product plus the memory update as extra columns', () => {
    const l = moduleWork(moduleOf(src('')))[0]!;
    // Per step and sample: hidden 8·(6 + 8) = 112 MACs; memory 6² + 6 + 3 = 45, i.e. ⌈45/8⌉ = 6 columns of 8.
    expect(l.work).toMatchObject({ kind: 'gemm', m: 4, n: 8, k: 14 + 6, repeat: 10 });
    expect(l.macs).toBe(4 * 10 * 8 * 20);
    expect(l.notes!.join()).toMatch(/order² = 36/);
  });

  it('sigma-delta units: dense without measured events, over e·k columns with them', () => {
    const m = moduleOf(src(', sigma_delta = 0.5', 'all'));
    const dense = priceActivity(moduleWork(m), undefined, undefined);
    expect(dense[0]!.work).toMatchObject({ k: 20 });
    expect(dense[0]!.activity).toMatchObject({ source: 'default', priced_by: null });
    expect(dense[1]!.notes!.join()).toMatch(/its input `h` is sigma-delta: priced dense, its events per unit and step not measured/);
    const sparse = priceActivity(moduleWork(m), measured({ h: 0.25 }), undefined);
    // The recurrent product's 8 columns become round(8·0.25) = 2; the dense layer reads 2 of 8.
    expect(sparse[0]!.work).toMatchObject({ k: 6 + 2 + 6 });
    expect(sparse[0]!.activity).toEqual({ value: { events_per_activation: 0.25, bits_per_activation: 2 }, source: 'measured', priced_by: 'events_per_activation' });
    expect(sparse[1]!.work).toMatchObject({ k: 2 });
    expect(sparse[1]!.macs).toBe(4 * 10 * 5 * 2);
    expect(sparse[1]!.activity).toMatchObject({ value: { input_events_per_activation: 0.25 }, priced_by: 'input_events_per_activation' });
    expect(sparse[1]!.notes!.join()).toMatch(/its input `h` feeds 2 of 8 product columns \(0\.250 events per unit and step\)/);
    // More than one event per unit and step is no dearer than the dense product.
    expect(priceActivity(moduleWork(m), measured({ h: 3 }), undefined)[1]!.work).toMatchObject({ k: 8 });
  });

  it('prices on a CPU, a systolic array and a neuromorphic chip', () => {
    const p = presets();
    const w = work(src(', sigma_delta = 0.5'));
    for (const name of ['avx2_laptop', 'tpu_v1_like']) expect(estimate(w, p.get(name)!).summary.macs).toBe(4 * 10 * 8 * 20 + 4 * 5 * 8);
    const loihi = estimate(w, p.get('loihi_1chip')!);
    // Per step: memory 6² + 6 + 3 = 45, hidden 6·8 + e·8·8 with e = 1 assumed: 112 synops; 10 steps.
    expect(loihi.summary.macs).toBe(10 * (45 + 48 + 64));
    expect(loihi.layers[0]!.actions['neuron.active']).toBe(10 * (6 + 8));
    expect(loihi.notes.join()).toMatch(/one event per hidden unit and step assumed/);
    expect(loihi.layers[0]!.activity).toEqual({ value: {}, source: 'default', priced_by: null });
    const fromFile = estimate(work(src(', sigma_delta = 0.5')), p.get('loihi_1chip')!, { activity: measured({ h: 0.5 }, 'file') });
    expect(fromFile.summary.macs).toBe(10 * (45 + 48 + 32));
    expect(fromFile.summary.energy_j).toBeLessThan(loihi.summary.energy_j);
    expect(fromFile.layers[0]!.activity).toMatchObject({ source: 'file', priced_by: 'events_per_activation' });
    // The same activity prices the CPU's products per event too: at 0.5 events, 4 of the recurrence's 8 columns and 4 of the readout's.
    const cpu = estimate(work(src(', sigma_delta = 0.5')), p.get('avx2_laptop')!, { activity: measured({ h: 0.5 }) });
    expect(cpu.summary.macs).toBe(4 * 10 * 8 * (20 - 8 + 4) + 4 * 5 * 4);
  });

  it('a plain LMU is not a spiking network: neuromorphic targets still say so', () => {
    expect(() => estimate(work(src('')), presets().get('loihi_1chip')!)).toThrow(/no lif layers/);
  });
});

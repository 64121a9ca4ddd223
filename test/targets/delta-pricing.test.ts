/**
 * A `delta =` layer on CPUs and systolic arrays: priced dense with a note until its transmitted
 * fraction is known (measured or from an activity file), then over that fraction of its product
 * columns (docs/delta-networks.md, targets/activity-pricing.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Activity } from '../../targets/activity.ts';
import { priceActivity } from '../../targets/activity-pricing.ts';
import { estimate } from '../../targets/estimate.ts';
import { presets } from '../../targets/resolve.ts';
import { moduleWork } from '../../targets/workload.ts';
import { compileText, net } from '../helpers/kiln.ts';

const m = compileText(net(['input x : f32[4, 28, 28]', 'h = gru(x, 64, sequence = last, delta = 0.1)', 'y = dense(h, 10)', 'output y'])).module;
const measured = (f: number): Activity => ({ layers: { h: { delta_fraction: f } }, source: 'measured' });

describe('pricing delta layers', () => {
  it('prices an unmeasured delta layer dense and says so', () => {
    const layers = priceActivity(moduleWork(m), undefined, undefined);
    const gru = layers.find((l) => l.name === 'h')!;
    expect(gru.macs).toBe(4 * 28 * 3 * 64 * (28 + 64));
    expect(gru.notes?.[0]).toMatch(/delta layer: priced dense, its transmitted fraction not measured/);
    expect(layers.find((l) => l.name === 'y')!.notes).toBeUndefined();
  });

  it('prices a measured one over the transmitted share of its columns', () => {
    const gru = priceActivity(moduleWork(m), measured(0.25), undefined).find((l) => l.name === 'h')!;
    expect(gru.work.kind === 'gemm' && gru.work.k).toBe(23);
    expect(gru.macs).toBe(4 * 28 * 3 * 64 * 23);
    expect(gru.notes?.[0]).toContain('23 of 92 product columns (delta_fraction 0.250)');
    expect(gru.activity).toMatchObject({ source: 'measured', priced_by: 'delta_fraction' });
  });

  it('a CPU and a systolic array both charge fewer cycles for the measured layer, with the note', () => {
    for (const t of ['avx2_laptop', 'tpu_v1_like']) {
      const dense = estimate({ kind: 'module', module: m }, presets().get(t)!);
      const delta = estimate({ kind: 'module', module: m }, presets().get(t)!, { activity: measured(0.1) });
      const at = (r: typeof dense) => r.layers.find((l) => l.name === 'h')!;
      expect(at(delta).macs).toBeLessThan(at(dense).macs / 5);
      expect(at(delta).cycles!).toBeLessThan(at(dense).cycles!);
      expect(at(delta).notes?.join(' ')).toContain('delta_fraction 0.100');
      expect(at(dense).notes?.join(' ')).toContain('priced dense');
    }
  });
});

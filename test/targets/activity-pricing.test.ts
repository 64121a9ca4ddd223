/**
 * priceActivity on CPU and array layers: a delta layer's GEMM is priced over its transmitted
 * columns on every target, zero-skipping or not, and dense with a note until measured; a
 * recurrent cell's zero inputs feed only its input columns, not its state's.
 */
import { describe, expect, it } from 'vitest';
import { priceActivity, zeroSkipping } from '../../targets/activity-pricing.ts';
import { moduleWork, type GemmWork, type LayerWork } from '../../targets/workload.ts';
import type { Activity } from '../../targets/activity.ts';
import { compileText } from '../helpers/kiln.ts';
import { presets } from '../../targets/resolve.ts';

const gemm = (l: LayerWork) => l.work as GemmWork;
const SKIP = { mode: 'skip' as const, fraction: 1, overhead: 0 };

describe('delta layers', () => {
  const m = compileText('network d(batch = 4) { input x : f32[batch, 100]  h = dense(x, 8)  output h }').module;
  // The delta attribute as the delta-network work writes it on a layer (`delta = θ`).
  const layers = moduleWork(m).map((l) => (l.name === 'h' ? { ...l, node: { ...l.node, attrs: { ...l.node.attrs, delta: 0.1 } } } : l));
  const activity: Activity = { layers: { x: { zero_fraction: 0.5 }, h: { delta_fraction: 0.3 } }, source: 'file' };

  it('are priced per transmitted event, on a target with or without zero-skipping', () => {
    for (const skip of [undefined, SKIP]) {
      const h = priceActivity(layers, activity, skip).find((l) => l.name === 'h')!;
      expect(gemm(h).k).toBe(30);
      expect(h.macs).toBe(4 * 8 * 30);
      expect(gemm(h).performed).toBeUndefined();
      expect(h.activity).toEqual({ value: { delta_fraction: 0.3, input_zero_fraction: 0.5 }, source: 'file', priced_by: 'delta_fraction' });
    }
  });

  it('are priced dense, and say so, without a measured fraction', () => {
    const h = priceActivity(layers, undefined, SKIP).find((l) => l.name === 'h')!;
    expect(h.macs).toBe(4 * 8 * 100);
    expect(h.activity).toEqual({ value: {}, source: 'default', priced_by: null });
    expect(h.notes!.join()).toMatch(/delta layer: priced dense/);
  });
});

describe('zero-skipping', () => {
  it('in a recurrent cell skips only the input columns', () => {
    const m = compileText('network r(batch = 2) { input x : f32[batch, 5, 30]  h = lstm(x, hidden = 10)  output h }').module;
    const [cell] = priceActivity(moduleWork(m), { layers: { x: { zero_fraction: 0.4 } }, source: 'measured' }, SKIP).filter((l) => l.work.kind === 'gemm');
    // K = 30 inputs + 10 state: 0.4 of the 30 input columns are zeros.
    expect(gemm(cell!).performed).toBeCloseTo(1 - (0.4 * 30) / 40, 12);
  });

  it('is off on every shipped preset', () => {
    for (const [name, desc] of presets()) if (desc.kind !== 'neuromorphic') expect(zeroSkipping(desc), name).toBeUndefined();
  });
});

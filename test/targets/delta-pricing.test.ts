/**
 * A `delta =` layer on CPUs and systolic arrays: priced dense with a note until its transmitted
 * fraction is measured, then over that fraction of its product columns (docs/delta-networks.md).
 */
import { describe, expect, it } from 'vitest';
import { estimate } from '../../targets/estimate.ts';
import { presets } from '../../targets/resolve.ts';
import { moduleWork } from '../../targets/workload.ts';
import { compileText, net } from '../helpers/kiln.ts';

const m = compileText(net(['input x : f32[4, 28, 28]', 'h = gru(x, 64, sequence = last, delta = 0.1)', 'y = dense(h, 10)', 'output y'])).module;

describe('pricing delta layers', () => {
  it('prices an unmeasured delta layer dense and says so', () => {
    const gru = moduleWork(m).find((l) => l.name === 'h')!;
    expect(gru.macs).toBe(4 * 28 * 3 * 64 * (28 + 64));
    expect(gru.notes?.[0]).toMatch(/delta = 0\.1: priced dense, its transmitted fraction not measured/);
    expect(moduleWork(m).find((l) => l.name === 'y')!.notes).toBeUndefined();
  });

  it('prices a measured one over the transmitted share of its columns', () => {
    const gru = moduleWork(m, { h: 0.25 }).find((l) => l.name === 'h')!;
    expect(gru.work.kind === 'gemm' && gru.work.k).toBe(23);
    expect(gru.macs).toBe(4 * 28 * 3 * 64 * 23);
    expect(gru.notes?.[0]).toContain('priced over 23 of 92 product columns, the measured transmitted fraction 25.0%');
  });

  it('a CPU and a systolic array both charge fewer cycles for the measured layer, with the note', () => {
    for (const t of ['avx2_laptop', 'tpu_v1_like']) {
      const dense = estimate({ kind: 'module', module: m }, presets().get(t)!);
      const delta = estimate({ kind: 'module', module: m, deltaFractions: { h: 0.1 } }, presets().get(t)!);
      const at = (r: typeof dense) => r.layers.find((l) => l.name === 'h')!;
      expect(at(delta).macs).toBeLessThan(at(dense).macs / 5);
      expect(at(delta).cycles!).toBeLessThan(at(dense).cycles!);
      expect(at(delta).notes?.join(' ')).toContain('measured transmitted fraction 10.0%');
      expect(at(dense).notes?.join(' ')).toContain('priced dense');
    }
  });
});

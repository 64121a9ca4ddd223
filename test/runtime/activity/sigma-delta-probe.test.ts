/**
 * Sigma-delta activity as `kiln estimate --measure` measures it (runtime/activity/probes.ts): the
 * events per unit and step and the fixed-width bits per activation of a hand sequence, over the
 * real samples only (the last batch is short, not padded), the same figures `kiln run` reports
 * (runtime/sigma-delta-activity.ts); and an activity file carries them, checked on reading.
 */
import { describe, expect, it } from 'vitest';
import { measureActivity } from '../../../runtime/activity/measure.ts';
import type { Dataset } from '../../../runtime/data/dataset.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { measureSigmaDeltaActivity } from '../../../runtime/sigma-delta-activity.ts';
import { activityFileText, readActivityText } from '../../../targets/activity-file.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { compileText } from '../../helpers/kiln.ts';

const m = compileText('network s(batch = 2) { input x : f32[batch, 4, 2]  y = sigma_delta(x, 0.5)  output y }').module;
const w = initParams(m, 1);
// Three samples, each unit's input the same at all four steps: (0.3, −1), (0.3, −1), (0, 0).
const steps = (a: number, b: number) => Array.from({ length: 4 }, () => [a, b]).flat();
const data: Dataset = { name: 'd', sampleShape: [4, 2], x: Float32Array.from([...steps(0.3, -1), ...steps(0.3, -1), ...steps(0, 0)]), y: Int32Array.from([0, 0, 0]), count: 3, classes: 2 };

describe('sigma-delta activity probe', () => {
  it('events per unit and step and fixed-width bits of a hand sequence, over the real samples', () => {
    const y = measureActivity(m, w, data, 3).activity.layers.y!;
    // Step 0.5, input 0.3: s = 0.3, 0.1, 0.4, 0.2 sends 1, 0, 1, 0; input −1 sends −2 every step; 0 sends 0.
    // Events 2 + 8 per sample for the first two, 0 for the third, over 3 × 4 × 2 unit-steps (a padding row would make it 32).
    expect(y.events_per_activation).toBeCloseTo(20 / 24, 12);
    // Unit 0 sent 0..1 (two levels, 1 bit), unit 1 −2..0 (three levels).
    expect(y.bits_per_activation).toBeCloseTo((1 + Math.log2(3)) / 2, 12);
    const run = measureSigmaDeltaActivity(m, w, data, 3).layers.y!;
    expect(run.events_per_activation).toBe(y.events_per_activation);
    expect(run.fixed_bits).toBe(y.bits_per_activation);
    // The input is not a sigma-delta layer.
    expect(measureActivity(m, w, data, 3).activity.layers.x!.events_per_activation).toBeUndefined();
  });

  it('an activity file keeps events and bits, and rejects them where they do not belong', () => {
    const a = measureActivity(m, w, data, 3).activity;
    const back = readActivityText(activityFileText('s', { data: 'd', samples: 3, checkpoint: null }, a), 'a.json', m);
    expect(back.layers.y).toEqual(a.layers.y);
    const file = (layers: object) => JSON.stringify({ kiln: 'activity', version: 1, layers });
    const fails = (layers: object) => {
      try { readActivityText(file(layers), 'a.json', m); } catch (e) { expect(e).toBeInstanceOf(KilnError); return (e as KilnError).diagnostics[0]!; }
      throw new Error('no error');
    };
    // Events may exceed one per unit and step (|n| > 1), but not be negative.
    expect(readActivityText(file({ y: { events_per_activation: 2.5 } }), 'a.json', m).layers.y!.events_per_activation).toBe(2.5);
    const neg = fails({ y: { events_per_activation: -1 } });
    expect(neg.message).toMatch(/`y\.events_per_activation` must be a number ≥ 0/);
    expect(neg.pos).toMatchObject({ file: 'a.json', line: 1 });
    expect(fails({ x: { bits_per_activation: 3 } }).message).toMatch(/`x` \(op input\) has no sigma-delta units, so no `bits_per_activation`/);
  });
});

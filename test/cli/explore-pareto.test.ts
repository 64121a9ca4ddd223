/** kiln explore's pieces without training: Pareto marking on hand-made rows, variant parsing. */
import { describe, expect, it } from 'vitest';
import { paretoFront } from '../../cli/explore/pareto.ts';
import { markPareto, type ExploreRow } from '../../cli/explore/rows.ts';
import { parseDropouts, parsePrecisions } from '../../cli/explore/variants.ts';
import { UsageError } from '../../cli/args.ts';

describe('paretoFront: accuracy against energy', () => {
  it('drops a row that another beats on both, keeps the knee', () => {
    // f32: accurate and dear; i8: nearly as accurate, cheaper; i16: less accurate than f32 and dearer than i8 and f32.
    expect(paretoFront([
      { accuracy: 0.98, energy_j: 10 }, { accuracy: 0.97, energy_j: 4 }, { accuracy: 0.96, energy_j: 12 }, { accuracy: 0.5, energy_j: 1 },
    ])).toEqual([true, true, false, true]);
  });

  it('keeps both of two rows that tie on accuracy and energy', () => {
    expect(paretoFront([{ accuracy: 0.9, energy_j: 2 }, { accuracy: 0.9, energy_j: 2 }])).toEqual([true, true]);
  });

  it('of two equally accurate rows keeps only the cheaper', () => {
    expect(paretoFront([{ accuracy: 0.9, energy_j: 3 }, { accuracy: 0.9, energy_j: 2 }])).toEqual([false, true]);
  });

  it('of two equally cheap rows keeps only the more accurate', () => {
    expect(paretoFront([{ accuracy: 0.8, energy_j: 2 }, { accuracy: 0.9, energy_j: 2 }])).toEqual([false, true]);
  });
});

describe('markPareto marks each target on its own and skips rows a target could not price', () => {
  const row = (variant: string, target: string, accuracy: number, energy_j: number | null): ExploreRow =>
    ({ variant, target, kind: 'simd_cpu', accuracy, energy_j, latency_s: energy_j, param_bytes: 1, pareto: false, ...(energy_j === null ? { error: 'n/a' } : {}) });
  it('per target', () => {
    const rows = markPareto([row('f32', 'a', 0.9, 5), row('i8', 'a', 0.9, 2), row('f32', 'b', 0.9, 1), row('i8', 'b', 0.9, 2), row('f32', 'c', 0.9, null)]);
    expect(rows.map((r) => r.pareto)).toEqual([false, true, true, false, false]);
  });
});

describe('variant lists', () => {
  it('--precision lists its choices when a value is wrong', () => {
    expect(() => parsePrecisions('f32,int4')).toThrow(UsageError);
    expect(() => parsePrecisions('f32,int4')).toThrow(/f32, i16, i8, ternary, binary or auto, not 'int4'/);
    expect(() => parsePrecisions('f32,,i8')).toThrow(/--precision/);
    expect(parsePrecisions('binary,f32,binary').choices).toEqual(['binary', 'f32']);
  });

  it('--dropout takes probabilities below 1', () => {
    expect(parseDropouts('0,0.25,0.5')).toEqual([0, 0.25, 0.5]);
    expect(() => parseDropouts('0.5,1')).toThrow(/0 ≤ p < 1/);
    expect(() => parseDropouts('x')).toThrow(UsageError);
  });
});

describe('--precision auto: wider first and last layers', () => {
  it('one mix per pair of choices, the ends wider than the middle', async () => {
    const { prepare } = await import('../../runtime/train/setup.ts');
    const { mixedVariants, precisionMap } = await import('../../cli/explore/variants.ts');
    const m = prepare('examples/lenet5.kiln').module;
    const mixes = mixedVariants(m, ['f32', 'i8', 'binary'], [undefined]);
    expect(mixes.map((v) => v.label)).toEqual(['i8 (f32 ends)', 'binary (f32 ends)', 'binary (i8 ends)']);
    const map = precisionMap(m, mixes[2]!);
    const layers = Object.values(map);
    expect(layers.map((l) => l.weights!.dtype)).toEqual(['i8', 'binary', 'binary', 'binary', 'i8']);
    // A layer's output is as wide as what reads it: the first i8 layer feeds binary layers, the last keeps its scores i8.
    expect(layers.map((l) => l.activations!.dtype)).toEqual(['binary', 'binary', 'binary', 'i8', 'i8']);
  });
});

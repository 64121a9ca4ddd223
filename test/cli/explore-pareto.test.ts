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
    ({ variant, layers: {}, target, kind: 'simd_cpu', accuracy, energy_j, latency_s: energy_j, param_bytes: 1, pareto: false, ...(energy_j === null ? { error: 'n/a' } : {}) });
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

describe('--precision auto: a greedy per-layer search, first and last layers kept at i8 or wider', () => {
  it('narrows one layer one step at a time, the one that loses least accuracy per bit operation saved', async () => {
    const { prepare } = await import('../../runtime/train/setup.ts');
    const { greedyMixes, bitOps } = await import('../../cli/explore/greedy.ts');
    const { precisionMap, variantModule } = await import('../../cli/explore/variants.ts');
    const m = prepare('examples/lenet5.kiln').module;
    // A made-up sensitivity: narrowing conv2 (layer 1) costs 20 points per step, any other layer 0.01 point.
    const accuracy = (v: { layers: string[] }) => 0.99 - v.layers.reduce((a, p, i) => a + ({ f32: 0, i8: 1, binary: 2 } as Record<string, number>)[p]! * (i === 1 ? 0.2 : 1e-4), 0);
    const seen: string[] = [];
    const path = greedyMixes(m, ['f32', 'i8', 'binary'], undefined, accuracy, (v) => seen.push(v.label));
    // Every step changes exactly one layer by one step narrower, and saves bit operations.
    const all = ['f32/f32/f32/f32/f32', ...seen].map((l) => (l.includes('/') ? l : Array(5).fill(l).join('/')).split('/'));
    const rank = { f32: 0, i8: 1, binary: 2 } as Record<string, number>;
    for (let k = 1; k < all.length; k++) {
      const diff = all[k]!.map((p, i) => rank[p]! - rank[all[k - 1]![i]!]!);
      expect(diff.filter((d) => d !== 0)).toEqual([1]);
    }
    const cost = (l: string[]) => bitOps(variantModule(m, { label: '', layers: l as never, dropout: undefined }));
    for (let k = 1; k < all.length; k++) expect(cost(all[k]!)).toBeLessThan(cost(all[k - 1]!));
    // conv2, the sensitive layer, is the last to narrow; the ends stop at i8.
    expect(all.at(-1)).toEqual(['i8', 'binary', 'binary', 'binary', 'i8']);
    expect(all.at(-2)![1]).toBe('i8');
    expect(all.slice(0, -2).every((l) => l[1] === 'f32')).toBe(true);
    expect(all.every((l) => l[0] !== 'binary' && l[4] !== 'binary')).toBe(true);
    // Only the mixes are returned (the uniform i8 step is already a variant of its own).
    expect(path.every((v) => v.label.includes('/'))).toBe(true);
    expect(path.map((v) => v.label)).toEqual(seen.filter((l) => l.includes('/')));
    // A mix's layers as it declares them: the i8 ends around binary layers.
    expect(Object.values(precisionMap(m, path.at(-1)!)).map((l) => l.weights!.dtype)).toEqual(['i8', 'binary', 'binary', 'binary', 'i8']);
  });

  it('leaves batch norm at the widest choice and keeps the ends that multiply (binary_mlp\'s first and last dense) at i8', async () => {
    const { prepare } = await import('../../runtime/train/setup.ts');
    const { greedyMixes } = await import('../../cli/explore/greedy.ts');
    const { weightLayers } = await import('../../cli/explore/variants.ts');
    const m = prepare('examples/binary_mlp.kiln').module;
    const ops = weightLayers(m).map((id) => m.nodes[id]!.op);
    expect(ops).toEqual(['dense', 'batchnorm', 'dense', 'batchnorm', 'dense', 'batchnorm', 'dense', 'batchnorm']);
    const path = greedyMixes(m, ['f32', 'i8', 'binary'], undefined, () => 0.9);
    expect(path.at(-1)!.layers).toEqual(['i8', 'f32', 'binary', 'f32', 'binary', 'f32', 'i8', 'f32']);
    expect(path.every((v) => v.layers.every((p, i) => ops[i] !== 'batchnorm' || p === 'f32'))).toBe(true);
    // Labels name the four dense layers, whose precisions are what the search chose.
    expect(path.at(-1)!.label).toBe('i8/binary/binary/i8');
    expect(path.every((v) => v.label.split('/').length === 4)).toBe(true);
  });

  it('a step whose dense layers all agree is that precision\'s uniform variant, not a mix', async () => {
    const { prepare } = await import('../../runtime/train/setup.ts');
    const { greedyMixes } = await import('../../cli/explore/greedy.ts');
    const m = prepare('examples/binary_mlp.kiln').module;
    // Binary costs accuracy, i8 nothing: every dense layer goes i8 before any goes binary.
    const seen: string[] = [];
    const path = greedyMixes(m, ['f32', 'i8', 'binary'], undefined, (v) => 0.9 - 0.1 * v.layers.filter((p) => p === 'binary').length, (v) => seen.push(v.label));
    expect(seen).toContain('i8');
    expect(path.map((v) => v.label)).toEqual(seen.filter((l) => l !== 'i8'));
    expect(new Set(path.map((v) => v.label)).size).toBe(path.length);
  });
});

describe('a row\'s `layers`: what the variant applies, the same for a uniform row and a greedy one', () => {
  it('binary_mlp\'s batch norms keep f32 weights and output what the next dense layer reads, whatever the slot says', async () => {
    const { prepare } = await import('../../runtime/train/setup.ts');
    const { assignment, uniformVariants } = await import('../../cli/explore/variants.ts');
    const m = prepare('examples/binary_mlp.kiln').module;
    const [i8, binary] = uniformVariants(m, ['i8', 'binary'], [undefined]);
    // The greedy search leaves batch norm slots at f32; the uniform variants fill them with their precision.
    const greedyBinary = { label: 'binary', layers: ['binary', 'f32', 'binary', 'f32', 'binary', 'f32', 'binary', 'f32'] as never, dropout: undefined };
    const u = assignment(m, binary!), g = assignment(m, greedyBinary);
    expect(g).toEqual(u);
    expect(u['h1.batchnorm']).toEqual({ weights: 'f32', activations: 'binary' });
    // A binary layer outputs its real sum to the batch norm it feeds (binarizing first would lose what the norm shifts).
    expect(u['h1.dense']).toEqual({ weights: 'binary', activations: 'f32' });
    expect(assignment(m, i8!)['h1.batchnorm']).toEqual({ weights: 'f32', activations: 'i8' });
  });
});

/**
 * Partial sums on a weight-stationary array with packed precisions (targets/systolic/packing.ts):
 * only a layer's final outputs are stored at its output precision; the partial sums of every row
 * fold before the last keep SCALE-Sim's one word. Counts are hand-computed from SCALE-Sim's ws
 * ofmap writes, rowFolds · M · N (docs/scalesim-semantics.md).
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { estimate } from '../../../targets/estimate.ts';
import { presets } from '../../../targets/resolve.ts';
import type { LayerStats } from '../../../targets/stats.ts';
import { memoryFiles } from '../../helpers/memfs.ts';

// On tpu_v1_like (256 × 256, ws, word i8) a 1 × 1024 · 1024 × 256 dense layer has K / 256 = 4 row
// folds and one column fold: 4 · 1 · 256 = 1,024 ofmap writes, 768 of them partial sums.
const layer = (input: string, weights: string, out: string) => `network n_${input}_${out}(batch = 1) {
  input x : ${input}[batch, 1024]
  h = dense(x, 256, weights = ${weights}, activations = ${out})
  output h
}`;
const CASES = [['i8', 'i8', 'i8'], ['binary', 'binary', 'i8'], ['binary', 'binary', 'f32'], ['binary', 'binary', 'binary']] as const;
const SOURCE = CASES.map(([i, w, o]) => layer(i, w, o)).join('\n');

function priced(input: string, out: string): LayerStats {
  const module = compile(`t.kiln:n_${input}_${out}`, { readFile: memoryFiles({ 't.kiln': SOURCE }) }).module;
  return estimate({ kind: 'module', module }, presets().get('tpu_v1_like')!).layers.find((l) => l.name === 'h')!;
}

describe('ofmap words on tpu_v1_like: partial sums one word, final outputs at their precision', () => {
  it('i8 outputs: every write one word, as SCALE-Sim counts', () => {
    expect(priced('i8', 'i8').sram_writes).toEqual({ ofmap: 1024 });
  });

  it('f32 outputs: 768 partial sums of one word + 256 outputs of four = 1,792 words, not 4 × 1,024', () => {
    expect(priced('binary', 'f32').sram_writes).toEqual({ ofmap: 768 + 256 * 4 });
  });

  it('binary outputs: 768 partial sums of one word + 256 one-bit outputs = 800 words, not 1,024 / 8', () => {
    expect(priced('binary', 'binary').sram_writes).toEqual({ ofmap: 768 + 256 / 8 });
  });

  it('a binary × binary product takes exactly the cycles of i8 × i8 of the same shape and output (it runs on the i8 MACs)', () => {
    const b = priced('binary', 'i8'), i = priced('i8', 'i8');
    expect(b.cycles).toBe(i.cycles);
    expect(b.actions).toEqual({ ...i.actions });
    // Wider outputs add write-back only: never fewer cycles, compute unchanged.
    const f = priced('binary', 'f32');
    expect(f.compute_cycles).toBe(i.compute_cycles);
    expect(f.cycles!).toBeGreaterThanOrEqual(i.cycles!);
  });
});

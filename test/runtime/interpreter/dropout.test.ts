/**
 * Dropout in training: inverted scaling, seeding, and which values share a keep/drop decision in
 * each mode (elementwise: none; batchwise: every sample; structured: every sample and time step).
 */
import { describe, expect, it } from 'vitest';
import { maskShape } from '../../../runtime/interpreter/dropout.ts';
import { build, runWith } from './helpers.ts';

const ones = (n: number) => new Array<number>(n).fill(1);

function trainOut(mode: string, shape: number[], p = 0.5, seed = 7) {
  const m = build([`input x : f32[${shape.join(', ')}]`, `y = dropout(x, ${p}, mode = ${mode})`, 'output y']);
  const n = shape.reduce((a, b) => a * b, 1);
  return runWith(m, { x: ones(n) }, {}, { training: true, seed }).outputs.y!;
}

describe('dropout in training', () => {
  it('elementwise: drops about p of the values and scales the rest by 1/(1 − p)', () => {
    const y = trainOut('elementwise', [64, 64], 0.25);
    const kept = Array.from(y.data).filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    // 4096 Bernoulli(0.25) drops: mean 1024, σ ≈ 27.7; ±5σ.
    expect(4096 - kept.length).toBeGreaterThan(1024 - 139);
    expect(4096 - kept.length).toBeLessThan(1024 + 139);
    // Different samples get different patterns.
    const rows = Array.from({ length: 64 }, (_, r) => Array.from(y.data.slice(r * 64, r * 64 + 64)).join());
    expect(new Set(rows).size).toBeGreaterThan(60);
  });

  it('is reproducible for a seed and differs between seeds', () => {
    const a = trainOut('elementwise', [8, 32], 0.5, 1), b = trainOut('elementwise', [8, 32], 0.5, 1), c = trainOut('elementwise', [8, 32], 0.5, 2);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('batchwise: one pattern for the whole minibatch', () => {
    const y = trainOut('batchwise', [16, 3, 20]);
    const per = 60;
    const first = Array.from(y.data.slice(0, per));
    for (let b = 1; b < 16; b++) expect(Array.from(y.data.slice(b * per, (b + 1) * per))).toEqual(first);
    expect(first.some((v) => v === 0) && first.some((v) => v === 2)).toBe(true);
  });

  it('structured: whole units, the same across the batch and time ([batch, time, units])', () => {
    const [B, T, H] = [4, 5, 32];
    const y = trainOut('structured', [B, T, H]);
    const unit = (b: number, t: number, h: number) => y.data[(b * T + t) * H + h]!;
    const dropped = Array.from({ length: H }, (_, h) => unit(0, 0, h) === 0);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) expect(unit(b, t, h) === 0).toBe(dropped[h]);
    expect(dropped.some(Boolean) && !dropped.every(Boolean)).toBe(true);
  });

  it('structured on feature maps drops whole channels', () => {
    expect(maskShape([2, 8, 5, 5], 'structured')).toEqual([1, 8, 1, 1]);
    const y = trainOut('structured', [2, 8, 3, 3]);
    for (let c = 0; c < 8; c++) {
      const vals = new Set<number>();
      for (let b = 0; b < 2; b++) for (let i = 0; i < 9; i++) vals.add(y.data[(b * 8 + c) * 9 + i]!);
      expect(vals.size).toBe(1);
    }
  });

  it('is the identity with p = 0 even in training', () => {
    const y = trainOut('elementwise', [3, 3], 0);
    expect(Array.from(y.data)).toEqual(ones(9));
  });

  it('uses one mask per run for every time step of a spiking network', () => {
    // A lif with threshold 0 spikes wherever its input is ≥ 0 … and dropout upstream of it would, if
    // redrawn per step, give rates between 0 and 1; one mask per run gives rates of exactly 0 or 1.
    const m = build(['timesteps 10', 'input x : f32[1, 200]', 'd = dropout(x, 0.5)', 'y = lif(d, threshold = 0.5, decay = 0)', 'output y']);
    const rates = Array.from(runWith(m, { x: ones(200) }, {}, { training: true, seed: 3 }).outputs.y!.data);
    expect(rates.every((r) => r === 0 || r === 1)).toBe(true);
    expect(rates.filter((r) => r === 1).length).toBeGreaterThan(60);
    expect(rates.filter((r) => r === 0).length).toBeGreaterThan(60);
  });

  it('drops between stacked recurrent layers only in training', () => {
    const m = build(['input x : f32[2, 3, 4]', 'y = lstm(x, 8, layers = 2, dropout = 0.5)', 'output y']);
    const w = (l: number) => ({ [`w_ih${l}`]: Array.from({ length: 32 * (l === 0 ? 4 : 8) }, (_, i) => Math.sin(i + l)), [`w_hh${l}`]: Array.from({ length: 256 }, (_, i) => Math.cos(i * 0.7 + l) * 0.3), [`b${l}`]: new Array(32).fill(0) });
    const x = Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.3));
    const weights = { y: { ...w(0), ...w(1) } };
    const inf1 = runWith(m, { x }, weights).outputs.y!, inf2 = runWith(m, { x }, weights, { seed: 5 }).outputs.y!;
    const tr = runWith(m, { x }, weights, { training: true, seed: 5 }).outputs.y!;
    expect(Array.from(inf1.data)).toEqual(Array.from(inf2.data));
    expect(Array.from(tr.data)).not.toEqual(Array.from(inf1.data));
  });
});

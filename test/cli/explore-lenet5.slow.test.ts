/**
 * Issue 14's acceptance run, small: kiln explore on LeNet-5 with --ptq (one f32 run of one epoch on
 * 4,000 MNIST digits, quantized without fine-tuning) across a CPU, a systolic array and a
 * neuromorphic preset. On the CPU and the array binary must be the cheapest variant, f32 or i16
 * the most accurate, and i8 the knee: nearly f32's accuracy for less energy. On the chip every
 * variant runs converted to spiking, at 10 steps to keep the run short (binary, steps throughout, in one), and the converted f32
 * network stays within 4 points of its ANN (3.0 points measured at T = 10 on these 1,000 digits;
 * 1.2 at the default T = 25 on 500, docs/explore.md).
 */
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { removeTempFiles, runMain, tempFiles } from '../helpers/cli.ts';

afterAll(removeTempFiles);

interface Row { variant: string; target: string; accuracy: number; energy_j: number | null; pareto: boolean; error?: string }

it('lenet5 --ptq: binary cheapest, f32/i16 most accurate, i8 the knee', () => {
  const cache = path.join(tempFiles({}), 'cache');
  const r = runMain(['explore', 'examples/lenet5.kiln', '--ptq', '--train-epochs', '1', '--train-samples', '4000', '--test-samples', '1000',
    '--target', 'avx2_laptop', '--target', 'tpu_v1_like', '--target', 'loihi_32chip', '--timesteps', '10', '--cache', cache, '--json']);
  expect(r.code, r.err).toBe(0);
  const rows = (JSON.parse(r.out) as { rows: Row[] }).rows;
  const at = (target: string, variant: string) => rows.find((x) => x.target === target && x.variant === variant)!;
  for (const target of ['avx2_laptop', 'tpu_v1_like']) {
    const priced = rows.filter((x) => x.target === target);
    expect(priced).toHaveLength(5);
    const cheapest = priced.reduce((a, b) => (b.energy_j! < a.energy_j! ? b : a));
    expect(cheapest.variant).toBe('binary');
    expect(cheapest.pareto).toBe(true);
    const best = Math.max(...priced.map((x) => x.accuracy));
    expect(['f32', 'i16']).toContain(priced.find((x) => x.accuracy === best)!.variant);
    expect(at(target, 'f32').pareto || at(target, 'i16').pareto).toBe(true);
  }
  // The knee on the CPU: i8 keeps f32's accuracy within 2 points for at most 2/3 of its energy; binary loses far more.
  const f32 = at('avx2_laptop', 'f32'), i8 = at('avx2_laptop', 'i8'), binary = at('avx2_laptop', 'binary');
  expect(f32.accuracy - i8.accuracy).toBeLessThan(0.02);
  expect(i8.energy_j!).toBeLessThan((2 / 3) * f32.energy_j!);
  expect(f32.accuracy - binary.accuracy).toBeGreaterThan(0.2);
  expect(f32.accuracy).toBeGreaterThan(0.8);
  const loihi = rows.filter((x) => x.target === 'loihi_32chip');
  // Binary's relus read sign activations: steps, exact in one step; ternary activations convert as relu rates, and say so.
  expect(loihi.map((x) => x.variant)).toEqual(['f32 → SNN T=10', 'i16 → SNN T=10', 'i8 → SNN T=10', 'ternary → SNN T=10 (relu rates)', 'binary → SNN T=1']);
  expect(loihi.every((x) => x.energy_j! > 0)).toBe(true);
  expect(Math.abs(loihi[0]!.accuracy - f32.accuracy)).toBeLessThan(0.04);
  expect(loihi.some((x) => x.pareto)).toBe(true);
}, 240_000);

/**
 * kiln explore end to end on a tiny Iris network (one epoch): the table and JSON, the cache (a
 * re-run and a run with another target train nothing; a partial cache resumes), usage errors, and
 * --jobs 2 through the real executable (worker processes).
 */
import { readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFiles, runKilnProcess, runMain, STACK_TRACE, tempFiles } from '../helpers/cli.ts';

const NET = `network tiny(batch = 10) {
  input x : f32[batch, 4]
  h = dense(x, 8) -> relu -> dropout(p = 0.5)
  y = dense(h, 3) -> softmax
  output y
}
train tiny { data iris(train = 120, test = 30)  epochs 1  batch 10  seed 1  optimizer adam(lr = 1e-2) }
`;
const NO_DROPOUT = NET.replace(' -> dropout(p = 0.5)', '');

afterAll(removeTempFiles);

const summary = (err: string) => /(\d+) from the cache, (\d+) computed, (\d+) epochs trained here/.exec(err)!.slice(1).map(Number);

describe('kiln explore on a tiny network', () => {
  const dir = tempFiles({ 'tiny.kiln': NET });
  const file = path.join(dir, 'tiny.kiln');
  const explore = (...args: string[]) => runMain(['explore', file, '--precision', 'f32,i8,binary', ...args]);

  it('prints one table per target with the Pareto rows marked, and caches beside the network', () => {
    const r = explore('--target', 'avx2_laptop', '--target', 'loihi_32chip');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/avx2_laptop \(simd_cpu\), per inference:/);
    expect(r.out).toMatch(/^ {2}\* /m);
    // Not spiking, so on the chip each variant runs converted, at the default step count, which the output states;
    // binary's relu reads sign activations, steps that one time step computes exactly.
    expect(r.out).toMatch(/ i8 → SNN T=25 +\d+\.\d+% +[\d.]+ [µnm]J/);
    expect(r.out).toMatch(/ binary → SNN T=1 +\d+\.\d+% +[\d.]+ [µnm]J/);
    expect(r.out).toMatch(/converted to spiking \(→ SNN\), T = 25 time steps/);
    expect(r.err).toMatch(/T = 25 time steps, the default; --timesteps T to change/);
    expect(r.err).toMatch(/variant 1\/3 f32/);
    expect(summary(r.err)).toEqual([0, 3, 3]);
    expect(readdirSync(path.join(dir, '.kiln-cache')).filter((f) => f.startsWith('result-'))).toHaveLength(3);
  });

  it('a re-run with one more target trains nothing, and --json has the rows', () => {
    const r = explore('--target', 'avx2_laptop', '--target', 'tpu_v1_like', '--target', 'loihi_32chip', '--json');
    expect(r.code, r.err).toBe(0);
    expect(summary(r.err)).toEqual([3, 0, 0]);
    const j = JSON.parse(r.out) as { rows: Record<string, unknown>[] };
    expect(j.rows).toHaveLength(9);
    for (const row of j.rows) expect(Object.keys(row)).toEqual(expect.arrayContaining(['variant', 'target', 'accuracy', 'energy_j', 'latency_s', 'param_bytes', 'pareto']));
    const cpu = j.rows.filter((x) => x.target === 'avx2_laptop');
    expect(cpu.map((x) => x.variant)).toEqual(['f32', 'i8', 'binary']);
    // The label names the precision; the row also gives every layer's.
    expect(cpu[1]!.layers).toEqual({ 'h.dense': { weights: 'i8', activations: 'i8' }, 'y.dense': { weights: 'i8', activations: 'i8' } });
    // Binary weights and activations: the fewest bytes and the least energy on the CPU.
    expect(Math.min(...cpu.map((x) => x.energy_j as number))).toBe(cpu[2]!.energy_j);
    expect(cpu[2]!.param_bytes).toBeLessThan(cpu[1]!.param_bytes as number);
    expect(cpu[1]!.param_bytes).toBeLessThan(cpu[0]!.param_bytes as number);
    // The cheapest row is always on the front.
    expect(cpu[2]!.pareto).toBe(true);
    const loihi = j.rows.filter((x) => x.target === 'loihi_32chip');
    expect(loihi.map((x) => x.variant)).toEqual(['f32 → SNN T=25', 'i8 → SNN T=25', 'binary → SNN T=1']);
    for (const x of loihi) {
      expect(x.timesteps).toBe(x.variant === 'binary → SNN T=1' ? 1 : 25);
      expect(x.energy_j as number).toBeGreaterThan(0);
      expect(x.accuracy as number).toBeGreaterThanOrEqual(0);
    }
    // Binary synapses take 1 bit of synapse memory, f32 ones are stored at the chip's 8 (and said so).
    expect(loihi[2]!.param_bytes as number).toBeLessThan(loihi[0]!.param_bytes as number);
    expect(r.err).toMatch(/loihi_32chip: stores synaptic weights of at most 8 bits/);
  });

  it('resumes a killed run: only the missing variant is computed, from the cached training checkpoint', () => {
    const cache = path.join(dir, '.kiln-cache');
    const before = JSON.parse(explore('--target', 'avx2_laptop', '--json').out) as { rows: { accuracy: number }[] };
    // A run killed before its last variant finished: one result entry is missing, the others are whole.
    rmSync(path.join(cache, readdirSync(cache).find((f) => f.startsWith('result-'))!));
    const r = explore('--target', 'avx2_laptop', '--json');
    expect(summary(r.err)).toEqual([2, 1, 0]);
    // The recomputed result is the same: its training checkpoint was complete, so nothing trained anew.
    expect((JSON.parse(r.out) as typeof before).rows.map((x) => x.accuracy)).toEqual(before.rows.map((x) => x.accuracy));
  });

  it('--ptq quantizes the cached f32 run: nothing is trained again', () => {
    const r = explore('--target', 'avx2_laptop', '--ptq');
    expect(r.code, r.err).toBe(0);
    expect(summary(r.err)).toEqual([0, 3, 0]);
    expect(r.out).toMatch(/post-training quantized from f32 trained 1 epoch,/);
  });

  it('--dropout makes one variant per rate, each trained', () => {
    const r = runMain(['explore', file, '--target', 'avx2_laptop', '--precision', 'f32', '--dropout', '0,0.25', '--cache', path.join(dir, 'other-cache')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/f32 d=0 /);
    expect(r.out).toMatch(/f32 d=0.25 /);
    expect(summary(r.err)).toEqual([0, 2, 2]);
  });
});

describe('kiln explore: errors', () => {
  const dir = tempFiles({ 'tiny.kiln': NET, 'plain.kiln': NO_DROPOUT });
  const run = (...args: string[]) => runMain(['explore', path.join(dir, 'tiny.kiln'), ...args]);
  it.each([
    [['--target', 'avx2_laptop', '--precision', 'f32,int4'], /--precision takes a comma-separated list of f32, i16, i8, ternary, binary or auto, not 'int4'/],
    [['--precision', 'f32'], /give at least one --target/],
    [['--target', 'no_such_chip'], /unknown target 'no_such_chip'/],
    [['--target', 'avx2_laptop', '--jobs', '0'], /--jobs takes a whole number ≥ 1/],
    [['--target', 'avx2_laptop', '--dropout', '1'], /--dropout takes drop probabilities/],
    [['--target', 'avx2_laptop', '--chips', '1,2'], /--chips partitions neuromorphic targets onto each chip count; add one/],
    [['--target', 'loihi_32chip', '--chips', '1,0'], /--chips takes counts from 1 to 4096, not 0/],
    [['--target', 'loihi_32chip', '--chips', 'two'], /--chips takes chip counts separated by commas/],
    [['--target', 'avx2_laptop', '--timesteps', '10'], /--timesteps sets the spiking conversion for neuromorphic targets, and there is none to do/],
    [['--target', 'avx2_laptop', '--report', '/no/such/dir/x.html'], /--report .* the directory .* does not exist/],
    [['--target', 'avx2_laptop', '--only', 'i4'], /--only names a variant: f32, i16, i8, ternary, binary; not 'i4'/],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(STACK_TRACE);
  });

  it('--dropout on a network without dropout is an input error (exit 1)', () => {
    const r = runMain(['explore', path.join(dir, 'plain.kiln'), '--target', 'avx2_laptop', '--dropout', '0,0.5']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/has no dropout layer for --dropout to vary/);
  });
});

describe('kiln explore --jobs 2 --ptq (worker processes, from the dist bundle)', () => {
  it('computes the variants in workers and prints the same table as a run in one process', async () => {
    const dir = tempFiles({ 'tiny.kiln': NET });
    const file = path.join(dir, 'tiny.kiln');
    // A neuromorphic target too: the workers convert each variant to spiking as the parent would.
    const args = ['explore', file, '--precision', 'f32,i8,binary', '--target', 'avx2_laptop', '--target', 'loihi_1chip', '--timesteps', '8', '--ptq', '--json'];
    const r = await runKilnProcess([...args, '--jobs', '2', '--cache', path.join(dir, 'jobs')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/3 variants, 0 from the cache, 3 computed/);
    // The parent trains the one f32 run the workers quantize, once.
    expect(r.err.match(/epoch 1\/1 trained/g)).toHaveLength(1);
    const alone = runMain([...args, '--cache', path.join(dir, 'alone')]);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(alone.out));
  }, 60_000);
});

/**
 * runPrecision fake-quantizes the weights of the layers the lowering leaves in floating point
 * (here an f16 dense) once per program and weights, not on every batch `kiln run` hands it; weights
 * swapped for other tensors, or another weights object, are quantized again, so a run never
 * computes with weights it was not given.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { lowerPrecision } from '../../../runtime/lowered/precision/lower.ts';
import { runPrecision } from '../../../runtime/lowered/precision/run.ts';
import { calibrateScales } from '../../../runtime/lowered/precision/scales.ts';
import { mulberry32, randomNormal } from '../../../runtime/tensor.ts';
import { memoryFiles } from '../../helpers/memfs.ts';

const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../../runtime/autodiff/forward.ts', async (original) => {
  const mod = await original<typeof import('../../../runtime/autodiff/forward.ts')>();
  return { ...mod, effectiveWeights: (...a: Parameters<typeof mod.effectiveWeights>) => { calls.n++; return mod.effectiveWeights(...a); } };
});

const SOURCE = `network mixed(batch = 4) {
  input x : f32[batch, 20]
  h = dense(x, 16, weights = i8) -> relu
  y = dense(h, 6, weights = f16)
  output y
}`;

afterEach(() => { calls.n = 0; });

describe('runPrecision and the float layers\' weights', () => {
  const m = compile('mixed.kiln', { readFile: memoryFiles({ 'mixed.kiln': SOURCE }) }).module;
  const params = initParams(m, 3);
  const inputs = { x: randomNormal([4, 20], mulberry32(5)) };
  const program = lowerPrecision(m, params, calibrateScales(m, params, inputs, new Map()).scales);

  it('quantizes them once over many batches, with the same outputs', () => {
    const first = runPrecision(program, params, inputs).outputs.y!.data;
    const made = calls.n;
    expect(made).toBe(1);
    for (let i = 0; i < 3; i++) expect(runPrecision(program, params, inputs).outputs.y!.data).toEqual(first);
    expect(calls.n).toBe(made);
  });

  it('quantizes again when a tensor or the weights object changes, and the outputs follow the new weights', () => {
    const before = runPrecision(program, params, inputs).outputs.y!.data;
    const n0 = calls.n;
    const w = params.y!.weight!;
    const swapped = { ...params, y: { ...params.y!, weight: { shape: w.shape, data: w.data.map((v) => 2 * v) } } };
    const after = runPrecision(program, swapped, inputs).outputs.y!.data;
    expect(calls.n).toBe(n0 + 1);
    expect(after).not.toEqual(before);
    // The same object with one tensor replaced in place of its record is another set of weights too.
    const copy = { ...params, y: { ...params.y! } };
    runPrecision(program, copy, inputs);
    expect(calls.n).toBe(n0 + 2);
    copy.y.weight = swapped.y.weight;
    expect(runPrecision(program, copy, inputs).outputs.y!.data).toEqual(after);
    expect(calls.n).toBe(n0 + 3);
  });
});

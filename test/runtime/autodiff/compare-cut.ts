/**
 * Training on submatrices (dropout-plan.ts, lstm-cut.ts) against the masked computation the
 * interpreter defines: forward values and every gradient equal within float32 rounding.
 */
import { expect } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { backward, forward } from '../../../runtime/autodiff.ts';
import type { TrainTapeEntry } from '../../../runtime/autodiff/types.ts';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { type Tensor, mulberry32, randomUniform } from '../../../runtime/tensor.ts';

/** |a − b| ≤ 1e-5 of the larger magnitude in the tensor (float32 rounding of different sums). */
export function expectClose(got: Tensor, want: Tensor, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  let scale = 0;
  for (const v of want.data) scale = Math.max(scale, Math.abs(v));
  want.data.forEach((v, i) => {
    if (Math.abs(got.data[i]! - v) > 1e-5 * scale + 1e-30) expect(got.data[i], `${what}[${i}]`).toBe(v);
  });
}

/** Forward and backward of L = Σ R ⊙ y with and without submatrices; every gradient compared. Returns the cut run's tape. */
export function compareCut(m: Module, seed: number): TrainTapeEntry[] {
  const w = initParams(m, seed);
  const rng = mulberry32(seed + 1);
  const x = randomUniform(m.nodes.x!.attrs.shape as number[], rng, -1, 1);
  const cut = forward(m, w, { x }, { training: true, seed });
  const masked = forward(m, w, { x }, { training: true, seed, submatrix: false });
  // The masked path is the interpreter's own definition.
  expect(Array.from(masked.outputs.y!.data)).toEqual(Array.from(run(m, w, { x }, { training: true, seed }).outputs.y!.data));
  expectClose(cut.outputs.y!, masked.outputs.y!, 'y');
  const r = new Map([['y', randomUniform(cut.outputs.y!.shape, rng, -1, 1)]]);
  const gc = backward(m, cut, r, { training: true, inputs: true });
  const gm = backward(m, masked, r, { training: true, inputs: true });
  expectClose(gc.inputs.x!, gm.inputs.x!, 'dx');
  expect(Object.keys(gc.params).sort()).toEqual(Object.keys(gm.params).sort());
  for (const [id, ps] of Object.entries(gm.params)) for (const [k, t] of Object.entries(ps)) expectClose(gc.params[id]![k]!, t, `d${id}.${k}`);
  return cut.tape;
}

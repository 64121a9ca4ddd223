/** Compile a small network from source and run it with given weights and inputs. */
import { expect } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { run, type RunOptions, type RunResult, type Weights } from '../../../runtime/interpreter.ts';
import { type Tensor, fromArray } from '../../../runtime/tensor.ts';
import { compileText, net } from '../../helpers/kiln.ts';

export function build(lines: string[], params = ''): Module {
  return compileText(net(lines, params)).module;
}

export const t = (shape: number[], values: number[]): Tensor => fromArray(shape, values);

/** Run with weights given as plain arrays (shapes come from the module's declared params). */
export function runWith(m: Module, inputs: Record<string, number[]>, weights: Record<string, Record<string, number[]>> = {}, opts: RunOptions = {}): RunResult {
  const w: Weights = {};
  for (const [id, ps] of Object.entries(weights)) {
    w[id] = Object.fromEntries(Object.entries(ps).map(([name, v]) => [name, fromArray(m.nodes[id]!.params![name]!.shape, v)]));
  }
  const ins = Object.fromEntries(Object.entries(inputs).map(([id, v]) => [id, fromArray(m.nodes[id]!.attrs.shape as number[], v)]));
  return run(m, w, ins, opts);
}

export function expectValues(got: Tensor, shape: number[], want: number[], digits = 5): void {
  expect(got.shape).toEqual(shape);
  expect(got.data.length).toBe(want.length);
  want.forEach((v, i) => expect(got.data[i], `element ${i}`).toBeCloseTo(v, digits));
}

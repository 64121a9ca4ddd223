/**
 * Runs a compiled network forward with random (initParams) weights and random inputs and checks
 * its outputs have the inferred shapes, are finite and not all zero.
 */
import { expect } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { initParams, run, type Inputs } from '../../../runtime/interpreter.ts';
import { mulberry32, randomNormal, zeros } from '../../../runtime/tensor.ts';

function randomInputs(m: Module, seed: number): Inputs {
  const rng = mulberry32(seed);
  const out: Inputs = {};
  for (const id of m.inputs) {
    const n = m.nodes[id]!;
    const shape = n.attrs.shape as number[];
    if (n.attrs.dtype === 'i32') {
      // Token ids below the smallest vocabulary an embedding reading this input declares.
      const vocab = Math.min(...Object.values(m.nodes).filter((c) => c.op === 'embedding' && c.inputs[0] === id).map((c) => c.attrs.vocab as number));
      const t = zeros(shape);
      for (let i = 0; i < t.data.length; i++) t.data[i] = Math.floor(rng() * vocab);
      out[id] = t;
    } else {
      out[id] = randomNormal(shape, rng);
    }
  }
  return out;
}

export function checkForward(m: Module, training: boolean): void {
  const r = run(m, initParams(m, 1), randomInputs(m, 2), { training, seed: 3 });
  for (const id of m.outputs) {
    const y = r.outputs[id]!;
    expect(y.shape, `${m.name}.${id}`).toEqual(m.nodes[id]!.type!.shape);
    expect(y.data.every(Number.isFinite), `${m.name}.${id} finite`).toBe(true);
    expect(y.data.some((v) => v !== 0), `${m.name}.${id} not all zero`).toBe(true);
  }
}

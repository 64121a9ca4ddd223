/**
 * The forward pass autodiff records is the interpreter's: for f32 networks it must give the same
 * outputs as `run` (runtime/interpreter.ts), bit for bit, in inference and in training (same
 * dropout masks, same batch-norm statistics and running-statistics updates), for direct and rate
 * encodings of spiking inputs. Inputs are dense random values, so dense layers take the GEMM path.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { forward } from '../../../runtime/autodiff.ts';
import { initParams, run, type Inputs } from '../../../runtime/interpreter.ts';
import { mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { examplesDir } from '../../helpers/paths.ts';
import { inputsFor } from './helpers.ts';
import * as path from 'node:path';

function example(name: string, overrides: Record<string, number> = {}): Module {
  return compile(path.join(examplesDir, `${name}.kiln`), { overrides: new Map(Object.entries(overrides)) }).module;
}

function tokens(m: Module, vocab: number): Inputs {
  const id = m.inputs[0]!;
  const t = randomUniform(m.nodes[id]!.attrs.shape as number[], mulberry32(3), 0, vocab);
  t.data.forEach((v, i) => { t.data[i] = Math.floor(v); });
  return { [id]: t };
}

const cases: [string, () => Module, (m: Module) => Inputs][] = [
  ['mlp', () => example('mlp', { batch: 4 }), (m) => inputsFor(m, 1)],
  ['lenet5 (batchwise dropout)', () => example('lenet5', { batch: 3 }), (m) => inputsFor(m, 2)],
  ['spiking_cnn (batch norm, lif, 10 steps, membrane readout)', () => example('spiking_cnn', { batch: 2 }), (m) => inputsFor(m, 3)],
  ['ptb_lstm (embedding, 2-layer lstm, structured dropout)', () => example('ptb_lstm', { batch: 2, steps: 4, vocab: 30, width: 6 }), (m) => tokens(m, 30)],
];

describe('autodiff forward = interpreter run', () => {
  for (const [name, make, data] of cases) {
    for (const training of [false, true]) {
      it(`${name}, ${training ? 'training' : 'inference'}`, () => {
        const m = make();
        const w = initParams(m, 7);
        const x = data(m);
        const want = run(m, w, x, { training, seed: 11 });
        const got = forward(m, w, x, { training, seed: 11 });
        for (const id of m.outputs) expect(Array.from(got.outputs[id]!.data)).toEqual(Array.from(want.outputs[id]!.data));
        expect(Object.keys(got.state).sort()).toEqual(Object.keys(want.state).sort());
        for (const [id, ps] of Object.entries(want.state)) {
          for (const [k, t] of Object.entries(ps)) expect(Array.from(got.state[id]![k]!.data)).toEqual(Array.from(t.data));
        }
      });
    }
  }

  it('rate-coded spiking input draws the same spikes', () => {
    const m = example('spiking_cnn', { batch: 1 });
    const w = initParams(m, 1);
    const x = { x: randomUniform([1, 1, 28, 28], mulberry32(5), 0, 1) };
    const want = run(m, w, x, { encoding: 'rate', seed: 4 }).outputs.y!;
    expect(Array.from(forward(m, w, x, { encoding: 'rate', seed: 4 }).outputs.y!.data)).toEqual(Array.from(want.data));
  });

  it('records one tape entry per node evaluation, with the parameters it used', () => {
    const m = example('mlp', { batch: 2 });
    const w = initParams(m, 1);
    const f = forward(m, w, inputsFor(m, 1));
    expect(f.tape.map((e) => e.node)).toEqual(['h.dense', 'h', 'y.dense', 'y']);
    expect(f.tape[0]!.params.weight).toBe(w['h.dense']!.weight);
  });
});

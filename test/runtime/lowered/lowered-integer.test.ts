/**
 * Quantized layers on every target kind's lowered program (a CPU's cache tiles, a systolic
 * array's folds, a neuromorphic chip's cores) compute exactly what `kiln run`'s integer execution
 * computes — same kernels, same static scales — and one sample's output never depends on its
 * batch-mates there (docs/precision.md#execution).
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { initParams, type Inputs, type Weights } from '../../../runtime/interpreter.ts';
import { runLowered } from '../../../runtime/lowered/execute.ts';
import { integerExecution } from '../../../runtime/lowered/precision/execute.ts';
import { calibrateScales } from '../../../runtime/lowered/precision/scales.ts';
import { lowerProgram } from '../../../runtime/lowered/program.ts';
import { mulberry32, randomNormal } from '../../../runtime/tensor.ts';
import { estimate } from '../../../targets/estimate.ts';
import { presets } from '../../../targets/resolve.ts';
import { memoryFiles } from '../../helpers/memfs.ts';
import { examplesDir } from '../../helpers/paths.ts';

const KINDS = ['avx2_laptop', 'systolic_32x32', 'tpu_v1_like', 'loihi_1chip'];
const BATCH = 32;

// A spiking net with quantized layers of three precisions, for the neuromorphic cores (every
// weighted layer feeds a lif: that is what the mapping puts on cores). Low thresholds, so a
// changed current shows as a changed spike.
const SPIKING = `network sq(batch = ${BATCH}) {
  timesteps 4
  input x : f32[batch, 1, 12, 12]
  s = conv2d(x, 4, 3, weights = i8 per_channel) -> lif(threshold = 0.5) -> maxpool2d(2)
  h = flatten(s) -> dense(16, weights = ternary) -> lif(threshold = 0.5)
  y = dense(h, 10, weights = binary) -> lif(threshold = 0.5)
  output y
}`;

function network(name: string): Module {
  const overrides = new Map(Object.entries({ batch: BATCH, ...(name === 'binary_mlp' ? { hidden: 64 } : name === 'mlp_i16' ? { hidden: 32 } : {}) }));
  if (name === 'sq') return compile('sq.kiln', { readFile: memoryFiles({ 'sq.kiln': SPIKING }) }).module;
  return compile(path.join(examplesDir, `${name}.kiln`), { overrides }).module;
}

function inputsFor(m: Module, seed: number): Inputs {
  const id = m.inputs[0]!;
  const x = randomNormal(m.nodes[id]!.type!.shape, mulberry32(seed));
  // Rates and pixels are mostly in [0, 1]; a wider spread also exercises input saturation.
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.abs(x.data[i]!);
  return { [id]: x };
}

/** Static scales calibrated on other samples, stored as a checkpoint holds them. */
function storedScales(m: Module, params: Weights): Map<string, Float32Array> {
  const stored = new Map<string, Float32Array>();
  for (const [id, s] of calibrateScales(m, params, inputsFor(m, 99), new Map()).scales) {
    if (s.act !== undefined) stored.set(`${id}/act_scale`, Float32Array.of(s.act));
    if (s.out !== undefined) stored.set(`${id}/out_scale`, Float32Array.of(s.out));
  }
  return stored;
}

function setup(name: string, target: string) {
  const m = network(name);
  const params = initParams(m, 3);
  const exec = integerExecution(m, params, storedScales(m, params), undefined);
  expect(exec.calibrated).toEqual([]);
  return { m, params, exec, program: lowerProgram(m, presets().get(target)!) };
}

const row = (t: Float32Array, i: number, n: number) => t.subarray(i * n, (i + 1) * n);

describe('quantized layers on every target kind compute what kiln run computes', () => {
  for (const name of ['lenet5_i8', 'mlp_i16', 'binary_mlp', 'sq']) {
    for (const target of KINDS) {
      const spiking = name === 'sq';
      // Neuromorphic cores run spiking nets only (estimate explains the rest).
      if (presets().get(target)!.kind === 'neuromorphic' && !spiking) continue;
      it(`${name} on ${target}: bit for bit, and every fold the cost model prices`, () => {
        const { m, params, exec, program } = setup(name, target);
        const inputs = inputsFor(m, 4);
        const out = m.outputs[0]!;
        const reference = exec.run(inputs);
        const lowered = runLowered(program, params, inputs, { integer: exec.program });
        expect(lowered.outputs[out]!.data).toEqual(reference.data);
        // It really ran the integer kernels: the f32 tiling of the same program differs.
        const f32 = runLowered(program, params, inputs).outputs[out]!.data;
        expect(f32).not.toEqual(reference.data);
        expect(lowered.counts.size).toBe(exec.program.layers.size);
        if (program.kind !== 'systolic') return;
        const priced = estimate({ kind: 'module', module: m }, presets().get(target)!, { defaultRate: 0.1 });
        for (const [id, c] of lowered.counts) {
          const d = priced.layers.find((x) => x.name === id)!.details as { folds: { row: number; col: number }; gemm: { repeat: number } };
          expect(c.folds).toBe(d.folds.row * d.folds.col * d.gemm.repeat);
        }
      });

      it(`${name} on ${target}: a sample alone gives what it gives among ${BATCH}`, () => {
        const { m, params, exec, program } = setup(name, target);
        const id = m.inputs[0]!, out = m.outputs[0]!;
        const batch = inputsFor(m, 5)[id]!;
        const all = runLowered(program, params, { [id]: batch }, { integer: exec.program }).outputs[out]!;
        const n = all.data.length / BATCH, per = batch.data.length / BATCH;
        for (const i of [0, 13, BATCH - 1]) {
          const one = { shape: [1, ...batch.shape.slice(1)], data: batch.data.slice(i * per, (i + 1) * per) };
          const alone = runLowered(program, params, { [id]: one }, { integer: exec.program }).outputs[out]!;
          expect(alone.data).toEqual(row(all.data, i, n));
        }
      });
    }
  }
});

describe('integer accumulators on a target', () => {
  it('the int32 accumulator saturates instead of wrapping, and the saturation is counted', () => {
    // 140,000 products of 127 × 127 ≈ 2.26e9 overflow int32.
    const m = compile('b.kiln', { readFile: memoryFiles({ 'b.kiln': 'network b { input x : f32[1, 140000]  y = dense(x, 1, bias = false, weights = i8)  output y }' }) }).module;
    const params = initParams(m, 1);
    params.y!.weight!.data.fill(1);
    const exec = integerExecution(m, params, new Map([['y/act_scale', Float32Array.of(1 / 127)]]), undefined);
    const inputs: Inputs = { x: { shape: [1, 140000], data: new Float32Array(140000).fill(1) } };
    const r = runLowered(lowerProgram(m, presets().get('tpu_v1_like')!), params, inputs, { integer: exec.program });
    expect(r.counts.get('y')!.saturations).toBe(1);
    // Saturated at 2^31 − 1 and scaled back by s_x·s_w = (1/127)², not the wrapped negative value.
    expect(r.outputs.y!.data[0]).toBeCloseTo(2147483647 / (127 * 127), 0);
  });
});

/**
 * The strongest check Kiln has: a network lowered to a target (a systolic array's folds, a CPU's
 * cache tiles, a neuromorphic chip's cores) runs in the interpreter and computes what the graph
 * computes — in f32 within 1e-5 relative — and executes exactly the folds and MACs the cost model
 * priced. Quantized layers in their integer numerics on every target: lowered-integer.test.ts.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import type { Module } from '../../../compiler/ir/module.ts';
import { initParams, run, type Inputs } from '../../../runtime/interpreter.ts';
import { runLowered } from '../../../runtime/lowered/execute.ts';
import { lowerProgram } from '../../../runtime/lowered/program.ts';
import { mulberry32, randomNormal } from '../../../runtime/tensor.ts';
import { estimate } from '../../../targets/estimate.ts';
import { presets } from '../../../targets/resolve.ts';
import { examplesDir, kilnFiles } from '../../helpers/paths.ts';

function inputsFor(m: Module, seed: number): Inputs {
  const rng = mulberry32(seed);
  const out: Inputs = {};
  for (const id of m.inputs) {
    const t = m.nodes[id]!.type!;
    const x = randomNormal(t.shape, rng);
    // Token ids for embeddings: integers below the smallest vocabulary that reads them.
    if (t.dtype === 'i32') for (let i = 0; i < x.data.length; i++) x.data[i] = Math.floor(rng() * 50);
    out[id] = x;
  }
  return out;
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 1e-30;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

// Small enough to run every example on every kind in seconds; the structure is the full network's.
const SMALL: Record<string, Record<string, number>> = { vgg11: { size: 32 }, resnet18: { size: 32 }, unet_small: { size: 16 }, ptb_lstm: { vocab: 50, steps: 5 } };
const KINDS = ['avx2_laptop', 'systolic_32x32', 'tpu_v1_like', 'loihi_1chip'];

describe('lowered programs agree with the graph (fp32, 1e-5 relative)', () => {
  for (const file of kilnFiles(examplesDir)) {
    const name = path.basename(file, '.kiln');
    for (const target of KINDS) {
      it(`${name} on ${target}`, () => {
        const overrides = new Map(Object.entries({ batch: 1, ...SMALL[name] }));
        const m = compile(file, { overrides }).module;
        const t = presets().get(target)!;
        const spiking = Object.values(m.nodes).some((n) => n.op === 'lif');
        if (t.kind === 'neuromorphic' && !spiking) return; // explained by estimate: no lif layers
        const params = initParams(m, 3);
        const inputs = inputsFor(m, 4);
        const reference = run(m, params, inputs);
        const program = lowerProgram(m, t);
        const lowered = runLowered(program, params, inputs);
        for (const id of m.outputs) expect(relativeError(lowered.outputs[id]!.data, reference.outputs[id]!.data)).toBeLessThanOrEqual(1e-5);
        // Every multiplying layer ran through the target's plan and did the MACs the cost model priced.
        const priced = estimate({ kind: 'module', module: m }, t, { defaultRate: 0.1 });
        for (const [id, counts] of lowered.counts) {
          if (t.kind === 'systolic') {
            const l = priced.layers.find((x) => x.name === id)!;
            expect(counts.macs).toBe(l.macs);
            const d = l.details as { folds: { row: number; col: number }; gemm: { repeat: number } };
            expect(counts.folds).toBe(d.folds.row * d.folds.col * d.gemm.repeat);
          } else if (t.kind === 'simd_cpu') {
            expect(counts.macs).toBe(priced.layers.find((x) => x.name === id)!.macs);
          } else {
            // Tiles of the largest block one core holds: at least as many tiles per step as the
            // fewest cores that could hold the layer at that density.
            const pop = priced.layers.find((x) => (x.details as { weighted_layer: string }).weighted_layer === id)!;
            const d = pop.details as { cores: number; neurons: number; neurons_per_core: number };
            expect(d.neurons_per_core).toBeLessThanOrEqual(1024);
            expect(counts.folds).toBeGreaterThanOrEqual(Math.ceil(d.neurons / d.neurons_per_core));
          }
        }
        expect(lowered.counts.size).toBe(Object.values(m.nodes).filter((n) => n.op === 'dense' || n.op === 'conv2d').length);
      });
    }
  }
});

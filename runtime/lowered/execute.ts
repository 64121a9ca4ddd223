/**
 * Runs a lowered program in the interpreter: every dense and conv2d layer computes through its
 * target's tiles and accumulation order (tiled-gemm.ts); every other op is the interpreter's own.
 */
import type { Node } from '../../compiler/ir/module.ts';
import { run, type Inputs, type RunResult, type Weights } from '../interpreter.ts';
import type { OpContext, OpImpl } from '../interpreter/types.ts';
import { convAsGemm } from './conv-gemm.ts';
import type { Tensor } from '../tensor.ts';
import type { LoweredProgram, Numerics } from './program.ts';
import { tiledGemm, type ExecutionCounts } from './tiled-gemm.ts';

export interface LoweredRun extends RunResult {
  /** What each multiplying layer executed: folds, MACs, saturated additions. */
  counts: Map<string, ExecutionCounts>;
}

function countsFor(all: Map<string, ExecutionCounts>, node: Node): ExecutionCounts {
  let c = all.get(node.id);
  if (!c) all.set(node.id, (c = { folds: 0, macs: 0, saturations: 0 }));
  return c;
}

function denseImpl(p: LoweredProgram, numerics: Numerics, all: Map<string, ExecutionCounts>): OpImpl {
  return (ctx: OpContext): Tensor => {
    const x = ctx.inputs[0]!, w = ctx.params.weight!, b = ctx.params.bias;
    const k = x.shape[x.shape.length - 1]!, n = w.shape[0]!, m = x.data.length / k;
    const y = new Float32Array(m * n);
    if (b) for (let i = 0; i < m; i++) y.set(b.data, i * n);
    tiledGemm(m, n, k, x.data, w.data, y, p.plans.get(ctx.node.id)!(m, n, k), numerics, countsFor(all, ctx.node));
    return { shape: [...x.shape.slice(0, -1), n], data: y };
  };
}

function convImpl(p: LoweredProgram, numerics: Numerics, all: Map<string, ExecutionCounts>): OpImpl {
  return (ctx: OpContext): Tensor => convAsGemm(ctx.node, ctx.inputs[0]!, ctx.params.weight!, ctx.params.bias, (m, n, k, A, W, C) =>
    tiledGemm(m, n, k, A, W, C, p.plans.get(ctx.node.id)!(m, n, k), numerics, countsFor(all, ctx.node)));
}

/**
 * Run the program. `numerics: 'f32'` follows the target's tiling in f32 (it must agree with the
 * graph to rounding); `'target'` also uses the target's operand and accumulator types.
 */
export function runLowered(p: LoweredProgram, params: Weights, inputs: Inputs, opts: { numerics?: 'f32' | 'target'; seed?: number } = {}): LoweredRun {
  const numerics: Numerics = opts.numerics === 'target' ? p.numerics : { word: 'f32', accumulator: 'f32' };
  const counts = new Map<string, ExecutionCounts>();
  const r = run(p.module, params, inputs, { seed: opts.seed, impls: { dense: denseImpl(p, numerics, counts), conv2d: convImpl(p, numerics, counts) } });
  return { ...r, counts };
}

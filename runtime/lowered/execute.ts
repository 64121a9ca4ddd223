/**
 * Runs a lowered program in the interpreter: every dense and conv2d layer computes through its
 * target's tiles (tiled-gemm.ts); every other op is the interpreter's own.
 *
 * With `integer` (a precision lowering, precision/lower.ts) the quantized layers compute what
 * `kiln run` computes, on every target kind: the program runs through precision/run.ts, whose
 * integer kernels are handed the target's row tiles one at a time, and its f32 layers through
 * the target's f32 tiles. The tiling only partitions the work rather than re-implementing the
 * integer GEMM per target, so there is one implementation of each precision's numerics and
 * its static scales, and a target cannot drift from `kiln run`. Only rows are cut: every
 * precision kernel is row by row; its integer sums are exact, so how K is folded cannot change
 * them; and an int16 row's overflow rescale is decided over all its channels, which a column tile
 * computed apart could not see. The column tiles and K folds are counted, as the cost model
 * prices them.
 */
import type { Node } from '../../compiler/ir/module.ts';
import { run, type Inputs, type RunResult, type Weights } from '../interpreter.ts';
import type { OpContext, OpImpl } from '../interpreter/types.ts';
import { convAsGemm } from './conv-gemm.ts';
import type { PrecisionProgram } from './precision/lower.ts';
import { runPrecision, type KernelRunner } from './precision/run.ts';
import { newCounts } from './precision/types.ts';
import type { Tensor } from '../tensor.ts';
import type { LoweredProgram } from './program.ts';
import { planFolds, tiledGemm, type ExecutionCounts } from './tiled-gemm.ts';

export interface LoweredRun extends RunResult {
  /** What each multiplying layer executed: folds, MACs, saturated values, int16 rescales. */
  counts: Map<string, ExecutionCounts>;
}

function countsFor(all: Map<string, ExecutionCounts>, node: Node): ExecutionCounts {
  let c = all.get(node.id);
  if (!c) all.set(node.id, (c = { folds: 0, ...newCounts() }));
  return c;
}

function denseImpl(p: LoweredProgram, all: Map<string, ExecutionCounts>): OpImpl {
  return (ctx: OpContext): Tensor => {
    const x = ctx.inputs[0]!, w = ctx.params.weight!, b = ctx.params.bias;
    const k = x.shape[x.shape.length - 1]!, n = w.shape[0]!, m = x.data.length / k;
    const y = new Float32Array(m * n);
    if (b) for (let i = 0; i < m; i++) y.set(b.data, i * n);
    tiledGemm(m, n, k, x.data, w.data, y, p.plans.get(ctx.node.id)!(m, n, k), countsFor(all, ctx.node));
    return { shape: [...x.shape.slice(0, -1), n], data: y };
  };
}

function convImpl(p: LoweredProgram, all: Map<string, ExecutionCounts>): OpImpl {
  return (ctx: OpContext): Tensor => convAsGemm(ctx.node, ctx.inputs[0]!, ctx.params.weight!, ctx.params.bias, (m, n, k, A, W, C) =>
    tiledGemm(m, n, k, A, W, C, p.plans.get(ctx.node.id)!(m, n, k), countsFor(all, ctx.node)));
}

/** A quantized layer's kernel over the plan's row tiles, each tile's rows alone. */
function rowTiles(p: LoweredProgram, all: Map<string, ExecutionCounts>): KernelRunner {
  return (node, rows, n, k, A, kernel) => {
    const plan = p.plans.get(node.id)!(rows, n, k);
    const y = new Float32Array(rows * n);
    for (let m0 = 0; m0 < rows; m0 += plan.mTile) {
      const mt = Math.min(plan.mTile, rows - m0);
      y.set(kernel(mt, A.subarray(m0 * k, (m0 + mt) * k)), m0 * n);
    }
    countsFor(all, node).folds += planFolds(plan, rows, n, k);
    return y;
  };
}

/**
 * Run the program. Without `integer` every layer computes in f32 along the target's tiling (it
 * must agree with the graph to rounding); with it, quantized layers run their integer kernels
 * with the program's static scales (module and weights must be the ones it was lowered from).
 */
export function runLowered(p: LoweredProgram, params: Weights, inputs: Inputs, opts: { integer?: PrecisionProgram; seed?: number } = {}): LoweredRun {
  const counts = new Map<string, ExecutionCounts>();
  const impls = { dense: denseImpl(p, counts), conv2d: convImpl(p, counts) };
  if (!opts.integer) return { ...run(p.module, params, inputs, { seed: opts.seed, impls }), counts };
  const r = runPrecision(opts.integer, params, inputs, { seed: opts.seed, runKernel: rowTiles(p, counts), floatLayers: impls });
  for (const [id, c] of r.counts) Object.assign(counts.get(id)!, c, { folds: counts.get(id)!.folds });
  return { ...r, counts };
}

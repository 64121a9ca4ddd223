/**
 * Runs a lowered program in the interpreter: every dense and conv2d layer computes through its
 * target's tiles and accumulation order (tiled-gemm.ts); every other op is the interpreter's own.
 */
import type { Node } from '../../compiler/ir/module.ts';
import { run, type Inputs, type RunResult, type Weights } from '../interpreter.ts';
import type { OpContext, OpImpl } from '../interpreter/types.ts';
import { convGeometry, im2col } from '../kernels/conv-common.ts';
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
  return (ctx: OpContext): Tensor => {
    const a = ctx.node.attrs;
    const x = ctx.inputs[0]!, w = ctx.params.weight!, b = ctx.params.bias;
    const g = convGeometry('conv2d', x.shape, w.shape, { stride: a.stride as [number, number], pad: a.pad as [number, number, number, number], dilation: a.dilation as [number, number], groups: a.groups as number });
    const pixels = g.oh * g.ow;
    const m = g.n * pixels;
    const out = new Float32Array(g.n * g.cout * pixels);
    const cols = new Float32Array(g.kdim * pixels);
    for (let grp = 0; grp < g.groups; grp++) {
      // A: every image's output pixels as rows, the window as columns (SCALE-Sim's ifmap matrix).
      const A = new Float32Array(m * g.kdim);
      for (let img = 0; img < g.n; img++) {
        im2col(g, x.data, img * g.cin * g.h * g.w, grp * g.cinG, cols, 0, pixels);
        for (let r = 0; r < g.kdim; r++) for (let q = 0; q < pixels; q++) A[(img * pixels + q) * g.kdim + r] = cols[r * pixels + q]!;
      }
      const W = w.data.subarray(grp * g.coutG * g.kdim, (grp + 1) * g.coutG * g.kdim);
      const C = new Float32Array(m * g.coutG);
      tiledGemm(m, g.coutG, g.kdim, A, W, C, p.plans.get(ctx.node.id)!(m, g.coutG, g.kdim), numerics, countsFor(all, ctx.node));
      for (let img = 0; img < g.n; img++) {
        for (let f = 0; f < g.coutG; f++) {
          const oc = grp * g.coutG + f;
          const bias = b ? b.data[oc]! : 0;
          const dst = (img * g.cout + oc) * pixels;
          for (let q = 0; q < pixels; q++) out[dst + q] = C[(img * pixels + q) * g.coutG + f]! + bias;
        }
      }
    }
    return { shape: [g.n, g.cout, g.oh, g.ow], data: out };
  };
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

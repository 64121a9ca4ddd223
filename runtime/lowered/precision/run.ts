/**
 * Executes a precision-lowered program in the interpreter: lowered dense and conv2d layers run
 * their integer kernels, a binary layer whose batch norm is folded compares its integer sums with
 * thresholds as they leave its kernel (the batch norm and the sign or relu it ends in pass them
 * on), and every other op is the interpreter's own. Layers the lowering leaves in floating point (f16/bf16
 * weights, recurrent layers) see their weights fake-quantized as in training. A declared
 * `activations = i8 | i16` not already requantized by its integer layer is quantized with its
 * static scale. Nothing depends on the batch: scales are static, and every kernel works row by row.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import type { Node, NodeId } from '../../../compiler/ir/module.ts';
import { run } from '../../interpreter.ts';
import { LAYER_OPS } from '../../interpreter/ops-layers.ts';
import { SIMPLE_OPS } from '../../interpreter/ops-simple.ts';
import type { Inputs, NodeEvaluation, OpContext, OpImpl, RunResult, Weights } from '../../interpreter/types.ts';
import { effectiveWeights } from '../../autodiff/forward.ts';
import { fakeQuantize } from '../../autodiff/precision.ts';
import { INT16_MAX, INT16_MIN } from '../../kernels/fixed-point.ts';
import { INT8_MAX, INT8_MIN, roundHalfEven, saturate } from '../../kernels/quant-int8.ts';
import type { Tensor } from '../../tensor.ts';
import { convAsGemm } from '../conv-gemm.ts';
import { exponentOf } from './dfp16-layer.ts';
import { precisionOf } from '../../../compiler/ir/node-precision.ts';
import type { PrecisionProgram } from './lower.ts';
import { type LayerCounts, newCounts } from './types.ts';

export interface IntegerRun extends RunResult {
  counts: Map<NodeId, LayerCounts>;
}

/** x → q·s with q = round_half_even(x / s) saturated to [lo, hi]: a static-scale activation. */
function staticQuant(x: Tensor, s: number, lo: number, hi: number): Tensor {
  const y = new Float32Array(x.data.length);
  for (let i = 0; i < y.length; i++) y[i] = saturate(roundHalfEven(x.data[i]! / s), lo, hi) * s;
  return { shape: [...x.shape], data: y };
}

/** A lowered layer's kernel over `rows` rows of its input matrix [rows × k] → [rows × n]. */
export type LayerKernel = (rows: number, A: Float32Array) => Float32Array;

/**
 * How a lowered layer's rows reach its kernel: `kiln run` hands them over at once; a target's
 * lowered program cuts them into its tiles (runtime/lowered/execute.ts). Either way the kernel
 * is this file's, so every path computes the same integers.
 */
export type KernelRunner = (node: Node, rows: number, n: number, k: number, A: Float32Array, kernel: LayerKernel) => Float32Array;

export interface PrecisionRunOptions {
  seed?: number;
  checkShapes?: boolean;
  runKernel?: KernelRunner;
  /** dense and conv2d of the layers the lowering leaves in floating point (default: the interpreter's). */
  floatLayers?: { dense: OpImpl; conv2d: OpImpl };
}

export function runPrecision(p: PrecisionProgram, params: Weights, inputs: Inputs, opts: PrecisionRunOptions = {}): IntegerRun {
  const runKernel: KernelRunner = opts.runKernel ?? ((_node, rows, _n, _k, A, kernel) => kernel(rows, A));
  const floatDense = opts.floatLayers?.dense ?? LAYER_OPS.dense!, floatConv = opts.floatLayers?.conv2d ?? LAYER_OPS.conv2d!;
  const counts = new Map<NodeId, LayerCounts>();
  const countsOf = (id: NodeId) => { let c = counts.get(id); if (!c) counts.set(id, (c = newCounts())); return c; };
  const m = p.module;
  // Row by row, channels last, as both dense and the conv's GEMM hand rows over: a target's tiles compare the same.
  const kernelOf = (id: NodeId, c: LayerCounts): LayerKernel => {
    const f = p.foldedLayers.get(id);
    if (!f) { const layer = p.layers.get(id)!; return (r, a) => layer.gemm(r, a, c); }
    return (r, a) => f.binary.compare(r, a, c, f.thresholds, f.low);
  };
  const dense: OpImpl = (ctx: OpContext) => {
    if (!p.layers.has(ctx.node.id)) return floatDense(ctx);
    const x = ctx.inputs[0]!, k = x.shape[x.shape.length - 1]!, rows = x.data.length / k;
    const n = ctx.node.type!.shape[ctx.node.type!.shape.length - 1]!;
    return { shape: [...x.shape.slice(0, -1), n], data: runKernel(ctx.node, rows, n, k, x.data, kernelOf(ctx.node.id, countsOf(ctx.node.id))) };
  };
  const conv2d: OpImpl = (ctx) => {
    if (!p.layers.has(ctx.node.id)) return floatConv(ctx);
    const kernel = kernelOf(ctx.node.id, countsOf(ctx.node.id));
    return convAsGemm(ctx.node, ctx.inputs[0]!, ctx.params.weight!, undefined, (rows, n, k, A, _W, C) => C.set(runKernel(ctx.node, rows, n, k, A, kernel)));
  };
  const batchnorm: OpImpl = (ctx) => (p.folded.has(ctx.node.id) ? ctx.inputs[0]! : LAYER_OPS.batchnorm!(ctx));
  const sign: OpImpl = (ctx) => (p.foldedEnds.has(ctx.node.id) ? ctx.inputs[0]! : SIMPLE_OPS.sign!(ctx));
  const relu: OpImpl = (ctx) => (p.foldedEnds.has(ctx.node.id) ? ctx.inputs[0]! : SIMPLE_OPS.relu!(ctx));
  const onNode = (e: NodeEvaluation): Tensor => {
    const a = precisionOf(e.node, 'activations');
    // A folded batch norm's binarizing is its compare; the {0, 1} a relu after it takes is no sign.
    if (!a || p.folded.has(e.node.id)) return e.output;
    const layer = p.layers.get(e.node.id);
    if ((a.dtype === 'i8' && layer?.precision === 'i8') || (a.dtype === 'i16' && layer?.precision === 'i16')) return e.output;
    const s = p.scales.get(e.node.id)?.out;
    if (a.dtype === 'i8' || a.dtype === 'i16') {
      if (s === undefined) throw new KilnError(error('run', `layer \`${e.node.id}\` declares activations = ${a.dtype} but has no static output scale`, e.node.loc, `store \`${e.node.id}/out_scale\` in the checkpoint, or let kiln run calibrate it`));
      return a.dtype === 'i8' ? staticQuant(e.output, s, INT8_MIN, INT8_MAX) : staticQuant(e.output, 2 ** exponentOf(s), INT16_MIN, INT16_MAX);
    }
    if (a.dtype === 'ternary') throw new KilnError(error('run', `layer \`${e.node.id}\` declares activations = ternary, whose threshold training takes from each batch; it has no static form to execute`, e.node.loc, 'declare the activations i8, i16 or binary'));
    return fakeQuantize(e.output, a, 'activation')?.y ?? e.output;
  };
  return { ...run(m, weightsFor(p, params), inputs, { seed: opts.seed, checkShapes: opts.checkShapes ?? false, onNode, impls: { dense, conv2d, batchnorm, sign, relu } }), counts };
}

/** The weights a program ran with last, and the tensors they were made from. */
interface Made { params: Weights; tensors: Tensor[]; weights: Weights }
const made = new WeakMap<PrecisionProgram, Made>();

const tensorsOf = (params: Weights): Tensor[] => Object.values(params).flatMap((own) => Object.values(own));

/**
 * The weights the interpreter runs with: the float layers' fake-quantized as in training, the
 * lowered layers' real ones (their kernels hold their own integer copies, and fake-quantizing
 * millions of weights only to drop them cost more than the layers). `kiln run` calls once per
 * batch with the same weights, so they are made once per program and weights, and made again
 * when the weights object or any tensor in it is another one. A tensor whose data is written in
 * place is not seen, as the program's integer copies would not see it either (lower.ts).
 */
function weightsFor(p: PrecisionProgram, params: Weights): Weights {
  const tensors = tensorsOf(params), last = made.get(p);
  if (last?.params === params && last.tensors.length === tensors.length && last.tensors.every((t, i) => t === tensors[i])) return last.weights;
  const floatParams: Weights = {};
  for (const [id, w] of Object.entries(params)) if (!p.layers.has(id)) floatParams[id] = w;
  const { weights } = effectiveWeights(p.module, floatParams);
  for (const id of p.layers.keys()) if (params[id]) weights[id] = params[id]!;
  made.set(p, { params, tensors, weights });
  return weights;
}

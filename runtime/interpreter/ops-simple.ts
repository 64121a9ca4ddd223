/**
 * Forward definitions of Kiln's parameter-free ops (and the two single-tensor parameter ops,
 * prelu and param): activations, normalizers, elementwise arithmetic and data movement.
 */
import { type Tensor, reshape, size } from '../tensor.ts';
import { binarize, clip, leakyRelu, prelu, relu, sigmoid, tanh } from '../kernels/activations.ts';
import { add, mul } from '../kernels/broadcast.ts';
import { concat, upsample2d, type UpsampleMode } from '../kernels/movement.ts';
import { logSoftmax, softmax } from '../kernels/softmax.ts';
import { quantizeLinear } from '../kernels/quant-int8.ts';
import { QUANT_RANGES } from '../../compiler/ir/ops.ts';
import { transpose } from './tensor-ops.ts';
import type { OpContext, OpImpl } from './types.ts';

/** Reshape target with its one −1 resolved (the shape rule already checked the element count). */
function resolveShape(shape: readonly number[], total: number): number[] {
  const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  return shape.map((d) => (d === -1 ? total / known : d));
}

/** A per-channel slope [C] broadcasts against axis 1 of [N, C, ...]. */
function preluOp(ctx: OpContext): Tensor {
  const x = ctx.inputs[0]!;
  const slope = ctx.params.slope!;
  const shaped = slope.data.length === 1 || x.shape.length < 2 ? reshape(slope, [1]) : reshape(slope, [slope.data.length, ...x.shape.slice(2).map(() => 1)]);
  return prelu(x, shaped);
}

/** ONNX QuantizeLinear; the integers it yields are exact in f32 (|q| ≤ 65535 < 2^24). */
function quantizeOp(ctx: OpContext): Tensor {
  const x = ctx.inputs[0]!;
  const a = ctx.node.attrs;
  const r = QUANT_RANGES[a.to as string]!;
  const q = quantizeLinear(x, {
    scale: Float32Array.from(ctx.params.scale!.data), zeroPoint: Int32Array.from(ctx.params.zero_point!.data), axis: a.per_channel ? a.axis as number : undefined,
  }, r.min, r.max);
  return { shape: [...x.shape], data: Float32Array.from(q) };
}

export const SIMPLE_OPS: Record<string, OpImpl> = {
  relu: (ctx) => relu(ctx.inputs[0]!),
  leaky_relu: (ctx) => leakyRelu(ctx.inputs[0]!, ctx.node.attrs.alpha as number),
  prelu: preluOp,
  sigmoid: (ctx) => sigmoid(ctx.inputs[0]!),
  tanh: (ctx) => tanh(ctx.inputs[0]!),
  // min(max(x, min), max), as ONNX Clip: when min > max every value becomes max.
  hard_tanh: (ctx) => clip(ctx.inputs[0]!, ctx.node.attrs.min as number, ctx.node.attrs.max as number),
  // Binarization: zero maps to +1, so every value is one bit (BinaryNet); not ONNX Sign.
  sign: (ctx) => binarize(ctx.inputs[0]!),
  softmax: (ctx) => softmax(ctx.inputs[0]!, ctx.node.attrs.axis as number),
  log_softmax: (ctx) => logSoftmax(ctx.inputs[0]!, ctx.node.attrs.axis as number),
  flatten: (ctx) => {
    const x = ctx.inputs[0]!;
    const ax = ctx.node.attrs.axis as number;
    const a = ax < 0 ? ax + x.shape.length : ax;
    return reshape(x, [size(x.shape.slice(0, a)), size(x.shape.slice(a))]);
  },
  reshape: (ctx) => reshape(ctx.inputs[0]!, resolveShape(ctx.node.attrs.shape as number[], ctx.inputs[0]!.data.length)),
  transpose: (ctx) => transpose(ctx.inputs[0]!, ctx.node.attrs.perm as number[]),
  add: (ctx) => add(ctx.inputs[0]!, ctx.inputs[1]!),
  mul: (ctx) => mul(ctx.inputs[0]!, ctx.inputs[1]!),
  concat: (ctx) => concat(ctx.inputs, ctx.node.attrs.axis as number),
  upsample2d: (ctx) => upsample2d(ctx.inputs[0]!, { mode: ctx.node.attrs.mode as UpsampleMode, scale: ctx.node.attrs.scale as [number, number] }),
  param: (ctx) => ctx.params.value!,
  quantize: quantizeOp,
};

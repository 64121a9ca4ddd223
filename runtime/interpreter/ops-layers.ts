/**
 * Forward definitions of Kiln's ops with parameters or state. Attributes arrive normalized (see
 * compiler/ir/ops.ts): kernel/stride/dilation [h, w], pad [top, left, bottom, right].
 */
import { type Tensor, reshape } from '../tensor.ts';
import { batchNorm } from '../kernels/batchnorm.ts';
import { stepSlot, withStepSlot } from '../kernels/bn-slots.ts';
import type { Node } from '../../compiler/ir/module.ts';
import { type Conv2dOptions, conv2d } from '../kernels/conv2d.ts';
import { dense } from '../kernels/dense.ts';
import { lif, type LifReset, type Surrogate } from '../kernels/lif.ts';
import type { LifStepOptions } from '../kernels/lif-fused.ts';
import { embedding } from '../kernels/movement.ts';
import { avgPool, globalAvgPool, maxPool, type PoolOptions } from '../kernels/pool.ts';
import { deltaDenseOp, deltaTheta } from './delta.ts';
import { applyMask, dropoutMask, type DropoutMode, MASK_MEMORY } from './dropout.ts';
import { lmuOp, sigmaDeltaOp } from './lmu.ts';
import { recurrent } from './recurrent.ts';
import { matmul } from './tensor-ops.ts';
import type { OpContext, OpImpl } from './types.ts';

const pair = (v: unknown) => v as [number, number];

/** A conv2d node's attributes as the kernels take them. */
export function convOptions(node: Node): Conv2dOptions {
  const a = node.attrs;
  return { stride: pair(a.stride), dilation: pair(a.dilation), pad: a.pad as [number, number, number, number], groups: a.groups as number };
}

function poolOptions(ctx: OpContext): PoolOptions {
  const a = ctx.node.attrs;
  return {
    kernel: pair(a.kernel), strides: pair(a.stride), dilations: pair(a.dilation),
    pads: a.pad as number[], ceilMode: a.ceil_mode as boolean, countIncludePad: (a.count_include_pad as boolean | undefined) ?? false,
  };
}

/**
 * Batch normalization. Kiln's `momentum` m is the update rate (PyTorch's convention):
 * running ← (1 − m)·running + m·batch, with the batch's biased variance (the one it normalizes
 * with, as ONNX and Keras do; PyTorch stores the unbiased one).
 */
function batchnorm(ctx: OpContext): Tensor {
  const p = ctx.params, step = ctx.step;
  // A per-step batch norm's running statistics are [T, C]; this step reads and moves its own row.
  const r = batchNorm(ctx.inputs[0]!, p.gamma!, p.beta!, stepSlot(p.running_mean!, step), stepSlot(p.running_var!, step), {
    training: ctx.training, eps: ctx.node.attrs.eps as number, momentum: 1 - (ctx.node.attrs.momentum as number),
  });
  ctx.save('mean', r.mean);
  ctx.save('invStd', r.invStd);
  if (ctx.training) {
    ctx.setState('running_mean', withStepSlot(p.running_mean!, step, r.runningMean));
    ctx.setState('running_var', withStepSlot(p.running_var!, step, r.runningVar));
  }
  return r.y;
}

/** A lif node's attributes as the kernels take them. */
export function lifOptions(node: Node): LifStepOptions {
  const a = node.attrs;
  return {
    decay: a.decay as number, threshold: a.threshold as number, reset: a.reset as LifReset, surrogate: a.surrogate as Surrogate,
    alpha: a.slope as number, detachReset: false, fire: a.readout !== 'membrane',
  };
}

/**
 * One time step of LIF neurons; the membrane carries over to the next step of the same run. A
 * membrane readout returns the membrane potential instead of spikes (it never fires, so there is
 * no reset and the two are the same).
 */
function lifStep(ctx: OpContext): Tensor {
  const x = ctx.inputs[0]!;
  const v0 = ctx.memory.get('v') as Tensor | undefined;
  const o = lifOptions(ctx.node);
  const r = lif(reshape(x, [1, ...x.shape]), { ...o, v0 });
  ctx.memory.set('v', reshape(r.v, x.shape));
  ctx.save('lif', r.cache);
  return reshape(o.fire ? r.spikes : r.v, x.shape);
}

/** Identity in inference; in training one mask per run, shared by every time step of a spiking net. */
function dropout(ctx: OpContext): Tensor {
  const x = ctx.inputs[0]!;
  const p = ctx.node.attrs.p as number;
  if (!ctx.training || p === 0) return x;
  let mask = ctx.memory.get(MASK_MEMORY) as Tensor | undefined;
  if (!mask) {
    mask = dropoutMask(x.shape, ctx.node.attrs.mode as DropoutMode, p, ctx.rng());
    ctx.memory.set(MASK_MEMORY, mask);
  }
  ctx.save('mask', mask);
  return applyMask(x, mask);
}

export const LAYER_OPS: Record<string, OpImpl> = {
  dense: (ctx) => deltaTheta(ctx) !== undefined ? deltaDenseOp(ctx) : dense(ctx.inputs[0]!, ctx.params.weight!, ctx.params.bias),
  matmul: (ctx) => matmul(ctx.inputs[0]!, ctx.inputs[1]!),
  conv2d: (ctx) => conv2d(ctx.inputs[0]!, ctx.params.weight!, ctx.params.bias, convOptions(ctx.node)),
  maxpool2d: (ctx) => {
    const r = maxPool(ctx.inputs[0]!, poolOptions(ctx));
    ctx.save('argmax', r.argmax);
    return r.y;
  },
  avgpool2d: (ctx) => avgPool(ctx.inputs[0]!, poolOptions(ctx)),
  global_avgpool: (ctx) => globalAvgPool(ctx.inputs[0]!),
  batchnorm,
  embedding: (ctx) => embedding(ctx.inputs[0]!.data, ctx.inputs[0]!.shape, ctx.params.table!),
  rnn: recurrent,
  lstm: recurrent,
  gru: recurrent,
  lmu: (ctx) => lmuOp(ctx),
  sigma_delta: (ctx) => sigmaDeltaOp(ctx),
  lif: lifStep,
  dropout,
};

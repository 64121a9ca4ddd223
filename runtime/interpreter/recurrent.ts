/**
 * Kiln's rnn / lstm / gru layers on top of the single-layer kernels. Kiln's layout is batch first
 * ([batch, time, features]) while the kernels run time first, and a layer's parameters per stacked
 * layer l are
 *   w_ih{l} [G·H, in]   w_hh{l} [G·H, H]   b{l} [G·H]   (one bias: ONNX's Wb + Rb)
 * with the gate blocks stacked along the rows in this order:
 *   lstm  i, f, g, o          (PyTorch's order; ONNX's i, o, f, c is reordered on import)
 *   gru   z, r, h             (ONNX's order and semantics, linear_before_reset = 0: the recurrent
 *                              candidate term is (r ⊙ h)·Rhᵀ, so a single summed bias is exact)
 *   rnn   h_t = tanh(x_t·W_ihᵀ + h_{t−1}·W_hhᵀ + b)
 * States start at zero. Between stacked layers `dropout` applies elementwise in training; an lstm
 * with `dropout_mode = structured` instead drops whole hidden units of every layer inside the
 * cell (one kept set per layer and run, the same for every sample and time step). Here that is a
 * mask over the full products; training multiplies only the kept units (autodiff/lstm-cut.ts). With
 * `delta = θ` each layer is a delta layer (delta.ts).
 */
import type { Rng, Tensor } from '../tensor.ts';
import { gru } from '../kernels/gru.ts';
import { lstm } from '../kernels/lstm.ts';
import { rnn } from '../kernels/rnn.ts';
import { deltaRecurrentLayer, deltaTheta } from './delta.ts';
import { applyMask, dropoutMask } from './dropout.ts';
import { transpose } from './tensor-ops.ts';
import type { OpContext } from './types.ts';

/** In-cell structured dropout is active: a training run of an lstm asking for it with p > 0. */
function inCellDropout(ctx: OpContext): boolean {
  return ctx.training && ctx.node.op === 'lstm' && ctx.node.attrs.dropout_mode === 'structured' && (ctx.node.attrs.dropout as number) > 0;
}

/** Per layer, the inverted-dropout scale of each hidden unit: 0 dropped, 1/(1 − p) kept. */
function unitMasks(layers: number, hidden: number, p: number, rng: Rng): Float32Array[] {
  return Array.from({ length: layers }, () => dropoutMask([hidden], 'elementwise', p, rng).data);
}

/** The layer's masks for this run: each layer's unit scales when in-cell dropout is active. */
export function drawUnitMasks(ctx: OpContext): Float32Array[] | undefined {
  const a = ctx.node.attrs;
  return inCellDropout(ctx) ? unitMasks(a.layers as number, a.hidden as number, a.dropout as number, ctx.rng()) : undefined;
}

export const recurrent = (ctx: OpContext): Tensor => maskedRecurrent(ctx, drawUnitMasks(ctx));

/** Every unit computed; in-cell dropout (`inCell`, drawn already) as a mask on the full products. */
export function maskedRecurrent(ctx: OpContext, inCell: Float32Array[] | undefined): Tensor {
  const { node, params } = ctx;
  const layers = node.attrs.layers as number;
  const p = node.attrs.dropout as number;
  let seq = transpose(ctx.inputs[0]!, [1, 0, 2]);
  const caches: unknown[] = [];
  const masks: Tensor[] = [];
  let last: Tensor | undefined;
  for (let l = 0; l < layers; l++) {
    const wt = { w: params[`w_ih${l}`]!, r: params[`w_hh${l}`]!, wb: params[`b${l}`]! };
    if (l > 0 && ctx.training && p > 0 && !inCell) {
      const mask = dropoutMask(seq.shape, 'elementwise', p, ctx.rng());
      masks.push(mask);
      seq = applyMask(seq, mask);
    }
    const layerInput = seq;
    const r = deltaTheta(ctx) !== undefined ? deltaRecurrentLayer(ctx, seq, wt)
      : node.op === 'lstm' ? lstm(seq, wt, undefined, undefined, { gateOrder: 'ifgo', scale: inCell?.[l] })
      : node.op === 'gru' ? gru(seq, wt, undefined, { gateOrder: 'zrh', linearBeforeReset: false })
      : rnn(seq, wt);
    caches.push({ input: layerInput, cache: r.cache });
    seq = r.y;
    last = r.hT;
  }
  ctx.save('layers', caches);
  if (masks.length) ctx.save('masks', masks);
  return node.attrs.sequence === 'last' ? last! : transpose(seq, [1, 0, 2]);
}

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
 * States start at zero. Between stacked layers `dropout` applies elementwise in training. With
 * `delta = θ` each layer is a delta layer (delta.ts).
 */
import type { Tensor } from '../tensor.ts';
import { gru } from '../kernels/gru.ts';
import { lstm } from '../kernels/lstm.ts';
import { rnn } from '../kernels/rnn.ts';
import { deltaRecurrentLayer, deltaTheta } from './delta.ts';
import { applyMask, dropoutMask } from './dropout.ts';
import { transpose } from './tensor-ops.ts';
import type { OpContext } from './types.ts';

export function recurrent(ctx: OpContext): Tensor {
  const { node, params } = ctx;
  const layers = node.attrs.layers as number;
  const p = node.attrs.dropout as number;
  let seq = transpose(ctx.inputs[0]!, [1, 0, 2]);
  const caches: unknown[] = [];
  const masks: Tensor[] = [];
  let last: Tensor | undefined;
  for (let l = 0; l < layers; l++) {
    const wt = { w: params[`w_ih${l}`]!, r: params[`w_hh${l}`]!, wb: params[`b${l}`]! };
    if (l > 0 && ctx.training && p > 0) {
      const mask = dropoutMask(seq.shape, 'elementwise', p, ctx.rng());
      masks.push(mask);
      seq = applyMask(seq, mask);
    }
    const layerInput = seq;
    const r = deltaTheta(ctx) !== undefined ? deltaRecurrentLayer(ctx, seq, wt)
      : node.op === 'lstm' ? lstm(seq, wt, undefined, undefined, { gateOrder: 'ifgo' })
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

/**
 * The `lmu` and `sigma_delta` ops in the interpreter: Kiln's batch-first layout around the
 * time-first kernels (kernels/lmu.ts, kernels/sigma-delta.ts). Both save the integers their
 * sigma-delta units sent (`counts`, time first) on the tape, which is how the activity of a run is
 * measured (runtime/sigma-delta-activity.ts). `spiking` is training's blend from non-spiking to
 * spiking (train block `spiking_anneal`); inference always runs fully spiking.
 */
import type { Tensor } from '../tensor.ts';
import { type LmuWeights, lmu } from '../kernels/lmu.ts';
import { sigmaDelta } from '../kernels/sigma-delta.ts';
import { transpose } from './tensor-ops.ts';
import type { OpContext } from './types.ts';

/** What a sigma-delta layer saves on the tape: the integers sent, time first, `units` per sample and step. */
export interface SentCounts {
  counts: Int32Array;
  units: number;
}

/** The layer's parameters as the kernel names them. */
export const lmuWeights = (p: Record<string, Tensor>): LmuWeights => ({
  e_x: p.e_x!, e_h: p.e_h, e_m: p.e_m, w_m: p.w_m!, w_x: p.w_x, w_h: p.w_h!, bias: p.bias!,
});

/** [B, T, ...] ↔ [T, B, ...]. */
export function swapBatchTime(x: Tensor): Tensor {
  return transpose(x, [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)]);
}

export function lmuOp(ctx: OpContext, spiking = 1): Tensor {
  const a = ctx.node.attrs;
  const seq = swapBatchTime(ctx.inputs[0]!);
  const r = lmu(seq, lmuWeights(ctx.params), { order: a.order as number, theta: a.theta as number, sigmaDelta: a.sigma_delta as number | undefined, spiking });
  ctx.save('lmu', { input: seq, cache: r.cache });
  if (r.cache.counts) ctx.save('counts', { counts: r.cache.counts, units: a.hidden as number } satisfies SentCounts);
  return a.sequence === 'last' ? r.hT : swapBatchTime(r.y);
}

export function sigmaDeltaOp(ctx: OpContext, spiking = 1): Tensor {
  const r = sigmaDelta(swapBatchTime(ctx.inputs[0]!), ctx.node.attrs.scale as number, spiking);
  ctx.save('counts', { counts: r.counts, units: ctx.inputs[0]!.shape.slice(2).reduce((p, q) => p * q, 1) } satisfies SentCounts);
  return swapBatchTime(r.y);
}

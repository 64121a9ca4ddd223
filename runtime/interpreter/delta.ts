/**
 * The `delta =` forms of dense, rnn, gru and lstm in the interpreter (docs/delta-networks.md):
 * Kiln's batch-first layouts around the time-first delta kernels, and the products counted.
 * A dense layer on [batch, time, features] encodes each sample's sequence over time; on
 * [batch, features] the batch's rows are one stream (consecutive frames of a signal).
 */
import { type Tensor, reshape } from '../tensor.ts';
import { deltaDense } from '../kernels/delta-dense.ts';
import { type DeltaCell, deltaRecurrent } from '../kernels/delta-recurrent.ts';
import { transpose } from './tensor-ops.ts';
import type { OpContext } from './types.ts';

/** θ of a layer with `delta =`, undefined for an ordinary one. */
export const deltaTheta = (ctx: OpContext): number | undefined => ctx.node.attrs.delta as number | undefined;

/** [B, T, F] → [T, B, F]; [B, F] → [B, 1, F] (the rows are the time steps). */
export function timeFirst(x: Tensor): Tensor {
  return x.shape.length === 3 ? transpose(x, [1, 0, 2]) : reshape(x, [x.shape[0]!, 1, x.shape[1]!]);
}

export function batchFirst(y: Tensor, like: readonly number[]): Tensor {
  return like.length === 3 ? transpose(y, [1, 0, 2]) : reshape(y, [like[0]!, y.shape[2]!]);
}

export function deltaDenseOp(ctx: OpContext): Tensor {
  const x = ctx.inputs[0]!;
  const r = deltaDense(timeFirst(x), ctx.params.weight!, ctx.params.bias, deltaTheta(ctx)!);
  ctx.countMacs(r.macs);
  ctx.save('xhat', batchFirst(r.xhat, x.shape));
  return batchFirst(r.y, x.shape);
}

/** One stacked layer of a delta rnn / gru / lstm on a time-first sequence. */
export function deltaRecurrentLayer(ctx: OpContext, seq: Tensor, wt: Parameters<typeof deltaRecurrent>[2]) {
  const r = deltaRecurrent(ctx.node.op as DeltaCell, seq, wt, deltaTheta(ctx)!);
  ctx.countMacs(r.macs);
  return r;
}

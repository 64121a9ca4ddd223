/**
 * Where a network output keeps its classes. A classifier's [batch, classes] and a language
 * model's [batch, steps, classes] keep them last; a segmentation network's [batch, classes, H, W]
 * keeps them on the axis its softmax normalizes (axis 1, as convolutions lay out channels).
 * Losses and argmaxes work on rows of classes, so such an output is viewed with the class axis
 * moved last: one row per pixel, in the order the data set's per-pixel labels are stored.
 */
import type { Node } from '../../compiler/ir/module.ts';
import { transpose } from '../interpreter/tensor-ops.ts';
import type { Tensor } from '../tensor.ts';

/** The class axis of an output node of the given rank. */
export function classAxis(node: Node, rank: number): number {
  if (node.op !== 'softmax' && node.op !== 'log_softmax') return rank - 1;
  const a = node.attrs.axis as number;
  return a < 0 ? a + rank : a;
}

const toLast = (rank: number, axis: number) => [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];

/** The tensor with `axis` moved last (the tensor itself when it is already last). */
export function classesLast(t: Tensor, axis: number): Tensor {
  return axis === t.shape.length - 1 ? t : transpose(t, toLast(t.shape.length, axis));
}

/** Undo classesLast: move the last axis back to `axis`. */
export function classesBack(t: Tensor, axis: number): Tensor {
  const rank = t.shape.length;
  if (axis === rank - 1) return t;
  const perm = toLast(rank, axis);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => { inverse[p] = i; });
  return transpose(t, inverse);
}

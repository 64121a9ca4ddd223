/**
 * A layer's `weights =` / `activations =` precision read off its attributes. Kept here, below
 * every folder, because the compiler, the targets and the runtime all ask the same question and
 * must agree on what an absent attribute means (f32).
 */
import type { DType, Precision } from './dtype.ts';
import type { Node } from './module.ts';

/** The precision the layer declares for `attr`, f32 included; undefined when it declares none. */
export const declaredPrecision = (node: Node, attr: 'weights' | 'activations'): Precision | undefined =>
  node.attrs[attr] as Precision | undefined;

/** The precision a layer stores its weights at: its `weights =` dtype, f32 when it declares none. */
export const weightDType = (node: Node): DType => (declaredPrecision(node, 'weights')?.dtype ?? 'f32') as DType;

/** The layer's precision for `attr` when it is one that changes values: undefined for none or f32. */
export function precisionOf(node: Node, attr: 'weights' | 'activations'): Precision | undefined {
  const p = declaredPrecision(node, attr);
  return p && typeof p === 'object' && p.dtype !== 'f32' ? p : undefined;
}

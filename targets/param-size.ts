/**
 * A model's size at its stored precision, what `kiln estimate` reports as `param_bytes`. Packing
 * and its side data, per tensor (docs/cost-model.md, "Model size"):
 * - f32 4 bytes, f16/bf16 2 bytes a value;
 * - i16 2 bytes a value plus a one-byte shared exponent (dynamic fixed point) per tensor, or per
 *   output channel with `per_channel`;
 * - i8 1 byte a value, ternary 2 bits, binary 1 bit (packed, the tensor rounded up to whole bytes),
 *   each plus one f32 scale per tensor or per output channel (the quantizer's step, TWN's or
 *   XNOR-Net's α);
 * - biases at 32 bits, the accumulator they are added to (i32 for integer, ternary and binary
 *   products, f32 for float ones); batch-norm statistics and other parameters at their own dtype.
 */
import { DTYPE_BITS, numElements, type Precision, type TensorType } from '../compiler/ir/dtype.ts';
import type { Module, Node } from '../compiler/ir/module.ts';
import { declaredPrecision } from '../compiler/ir/node-precision.ts';
import type { TargetResult } from './stats.ts';
import type { LayerWork } from './workload.ts';

const isBias = (name: string) => name === 'bias' || /^b\d+$/.test(name);

/** Bytes of side data per scale group: a quantized tensor's scale or exponent. */
const SIDE_BYTES: Partial<Record<string, number>> = { i16: 1, i8: 4, ternary: 4, binary: 4 };

function tensorBytes(name: string, t: TensorType, weights: Precision | undefined): number {
  const n = numElements(t.shape);
  if (isBias(name)) return n * 4;
  const packed = Math.ceil((n * DTYPE_BITS[t.dtype]) / 8);
  const side = SIDE_BYTES[t.dtype];
  if (side === undefined) return packed;
  const groups = weights?.granularity === 'per_channel' && t.shape.length > 0 ? t.shape[0]! : 1;
  return packed + groups * side;
}

/** Parameter bytes of one node at its stored precision (0 for a node without parameters). */
export function nodeParamBytes(node: Node): number {
  const weights = declaredPrecision(node, 'weights');
  return Object.entries(node.params ?? {}).reduce((s, [k, t]) => s + tensorBytes(k, t, weights), 0);
}

/** Parameter bytes per node id, for the nodes that have any, and their total. */
export function moduleParamBytes(m: Module): { total: number; layers: Map<string, number> } {
  const layers = new Map<string, number>();
  for (const node of Object.values(m.nodes)) {
    const b = nodeParamBytes(node);
    if (b > 0) layers.set(node.id, b);
  }
  return { total: [...layers.values()].reduce((a, b) => a + b, 0), layers };
}

/**
 * Fill `param_bytes` into a result: per layer (a neuromorphic population reports its weighted
 * layer's) and in the summary. A SCALE-Sim topology's layers have one-byte weights and no scales.
 */
export function withParamBytes(r: TargetResult, w: { kind: 'module'; module: Module } | { kind: 'layers'; layers: LayerWork[] }): TargetResult {
  const sizes = w.kind === 'module' ? moduleParamBytes(w.module) : { total: w.layers.reduce((a, l) => a + l.weightBytes, 0), layers: new Map(w.layers.map((l) => [l.name, l.weightBytes])) };
  for (const l of r.layers) {
    const owner = (l.details?.weighted_layer as string | undefined) || l.name;
    l.param_bytes = sizes.layers.get(owner) ?? 0;
  }
  r.summary.param_bytes = sizes.total;
  return r;
}

/**
 * The narrowest the last fully connected layer of a softmax classifier can compute at and still
 * train (after Park et al. 2018, "Training deep neural network in limited precision", arXiv
 * 1810.05486, who bound it by the number of classes). Kiln's bound is its own derivation
 * (docs/precision.md, "The last layer's bit-width"): with N classes an untrained softmax gives
 * each class about 1/N, so the cross-entropy gradient of every wrong class is about 1/N. The
 * gradient lies in (−1, 1); a b-bit fixed-point format over that range has a sign bit and a step
 * of 2^−(b−1). The gradient survives when one step is no larger than 1/N:
 *   b ≥ 1 + ⌈log2 N⌉.
 */
import { DTYPE_BITS } from '../../compiler/ir/dtype.ts';
import type { Module, Node } from '../../compiler/ir/module.ts';
import { warning, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { weightDType } from '../precision.ts';

/** Bits the last layer of an N-class softmax classifier needs (N ≥ 2). */
export function lastLayerBitsBound(classes: number): number {
  return 1 + Math.ceil(Math.log2(classes));
}

export interface LastLayerBits {
  /** The dense layer feeding the softmax. */
  layer: string;
  node: Node;
  classes: number;
  /** The narrower of its weights and its input activations. */
  bits: number;
  bound: number;
  weightBits: number;
  inputBits: number;
}

/** Ops between the last dense layer and the softmax that change no value's precision. */
const THROUGH = new Set(['batchnorm', 'flatten', 'reshape', 'dropout']);

/** The bound for a network whose output is a softmax over a dense layer's units; undefined for any other network. */
export function lastLayerBits(m: Module): LastLayerBits | undefined {
  const out = m.nodes[m.outputs[0]!];
  if (!out || out.op !== 'softmax') return undefined;
  let n = m.nodes[out.inputs[0]!];
  while (n && THROUGH.has(n.op)) n = m.nodes[n.inputs[0]!];
  if (!n || n.op !== 'dense') return undefined;
  const classes = n.attrs.units as number;
  if (classes < 2) return undefined;
  const input = m.nodes[n.inputs[0]!]!.type!.dtype;
  const weightBits = DTYPE_BITS[weightDType(n)], inputBits = DTYPE_BITS[input];
  return { layer: n.id, node: n, classes, bits: Math.min(weightBits, inputBits), bound: lastLayerBitsBound(classes), weightBits, inputBits };
}

const bitsText = (b: number) => `${b} bit${b === 1 ? '' : 's'}`;

/** One line on the bound for reports (`kiln check`, `kiln estimate --training`). */
export function lastLayerLine(l: LastLayerBits): string {
  return `last layer \`${l.layer}\`: ${l.classes} classes, computes at ${bitsText(l.bits)}; it needs ≥ ${l.bound} bits to train (1 + ⌈log2 ${l.classes}⌉, Kiln's derivation after Park et al. 2018, docs/precision.md)${l.bits < l.bound ? ' — TOO NARROW' : ''}`;
}

/** Why a classifier's last layer is too narrow to train, at the layer; undefined when it is wide enough. */
export function narrowLastLayer(l: LastLayerBits): Diagnostic | undefined {
  if (l.bits >= l.bound) return undefined;
  const wide = (['i8', 'i16', 'f32'] as const).find((d) => DTYPE_BITS[d] >= l.bound)!;
  // Widening the weights alone does nothing for a layer that reads narrow activations (binary_mlp's sign).
  const fixes = [
    ...(l.weightBits < l.bound ? [`\`weights = ${wide}\``] : []),
    ...(l.inputBits < l.bound ? [`inputs of ${l.bound} bits or more, not ${bitsText(l.inputBits)}`] : []),
  ];
  const fix = `e.g. ${fixes.join(' and ')}`;
  return warning('precision', `the last layer \`${l.layer}\` computes at ${bitsText(l.bits)}, below the ${l.bound} bits its ${l.classes}-class softmax needs to train: the gradient of an untrained class, about 1/${l.classes}, rounds to zero (1 + ⌈log2 ${l.classes}⌉ bits; Kiln's bound after Park et al. 2018, docs/precision.md)`,
    l.node.loc, `keep the classifier's last layer at ${l.bound} bits or more, ${fix}`);
}

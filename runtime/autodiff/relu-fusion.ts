/**
 * ReLU folded into its neighbours during training, where LeNet-style `conv2d -> relu -> maxpool2d`
 * chains spent a pass over memory (and copies into and out of the kernels' memory) on ReLU alone:
 *   forward   a conv2d whose only reader is a relu applies it while writing its output
 *             (conv2d.ts), and the relu hands that tensor on unchanged;
 *   backward  a max pool reading a relu routes each output gradient to its window's maximum only
 *             where that maximum is positive, which is the relu's own mask (relu's output is
 *             positive exactly where its input is), and the relu passes that gradient on.
 * Both give the bits of the unfused ops: relu(relu(v)) = relu(v), and masking a gradient twice
 * masks it once. The tensors involved are marked here, so a relu only passes on what it was
 * handed by its fused neighbour: a gradient summed from several readers is a new tensor and takes
 * the ordinary rule.
 *
 * Neither fusion applies when a quantized activation sits between the two ops (fake quantization
 * can turn a positive value into 0), nor for a conv2d that is a module output or read elsewhere.
 */
import { type Module, type Node, type NodeId, readersOf } from '../../compiler/ir/module.ts';
import type { Tensor } from '../tensor.ts';
import { quantizesActivations } from './dropout-plan.ts';

/** Conv outputs already rectified in the forward pass. */
const rectified = new WeakSet<Tensor>();
/** Gradients already masked by the relu they flow into. */
const masked = new WeakSet<Tensor>();

/** conv2d nodes whose one reader is a relu: they may rectify their own output. */
export function reluFolded(m: Module): Set<NodeId> {
  const readers = readersOf(m, { distinct: true });
  const out = new Set<NodeId>();
  for (const n of Object.values(m.nodes)) {
    const r = readers.get(n.id) ?? [];
    if (n.op === 'conv2d' && r.length === 1 && r[0]!.op === 'relu' && !m.outputs.includes(n.id) && !quantizesActivations(n)) out.add(n.id);
  }
  return out;
}

/** Record that `y` is a conv output with ReLU already applied. */
export function markRectified(y: Tensor): Tensor {
  rectified.add(y);
  return y;
}

/** The relu's forward is done when its input was rectified by the conv that wrote it. */
export const isRectified = (x: Tensor): boolean => rectified.has(x);

/** The node `node` reads first is a relu whose output reaches it unquantized. */
export function readsRelu(node: Node, m: Module | undefined): boolean {
  const from = m?.nodes[node.inputs[0] ?? ''];
  return from?.op === 'relu' && !quantizesActivations(from);
}

export function markMasked(g: Tensor): Tensor {
  masked.add(g);
  return g;
}

/** The relu's backward is done when its output gradient came masked from a fused max pool. */
export const isMasked = (g: Tensor): boolean => masked.has(g);

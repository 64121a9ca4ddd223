/**
 * The synaptic weight bits a spiking network is mapped with. A neuromorphic core stores weights
 * of a configurable width up to the target's `weight_bits` (Loihi: 1 to 9 bits, Davies et al.
 * 2018), so binary weights take 1 bit of synapse memory and ternary 2; a layer wider than the
 * target can store is ASSUMED quantized to `weight_bits`, and said so. One width serves the whole
 * network (the partitioner's synapse-memory model has one), the widest any weighted layer needs.
 */
import { DTYPE_BITS } from '../../compiler/ir/dtype.ts';
import type { Module, Node } from '../../compiler/ir/module.ts';
import { weightDType } from '../precision.ts';

/** The bits one of a layer's weights takes (f32 when it declares no precision). */
export const layerWeightBits = (node: Node): number => DTYPE_BITS[weightDType(node)];

export function networkWeightBits(m: Module, targetBits: number, target: string): { bits: number; warnings: string[] } {
  const wider: string[] = [];
  let bits = 0;
  for (const node of Object.values(m.nodes)) {
    if (!node.params?.weight) continue;
    const b = layerWeightBits(node);
    if (b > targetBits) wider.push(`\`${node.id}\` (${weightDType(node)})`);
    bits = Math.max(bits, Math.min(b, targetBits));
  }
  const warnings = wider.length
    ? [`${target}: stores synaptic weights of at most ${targetBits} bits (\`weight_bits\`); Kiln ASSUMES the weights of ${wider.slice(0, 4).join(', ')}${wider.length > 4 ? ` and ${wider.length - 4} more` : ''} are quantized to ${targetBits} bits; their accuracy at ${targetBits} bits is not checked`]
    : [];
  return { bits: bits || targetBits, warnings };
}

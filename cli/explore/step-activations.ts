/**
 * What a variant's narrow activations become on a spiking chip. A layer declared with
 * `activations = binary` outputs sign(x), and a relu after it makes that a step, relu(sign(x)) =
 * step(x) ∈ {0, 1}: the CPU variant computes steps, not relus. The converter turns a sign into a
 * threshold-0 step neuron and a relu of a sign into that neuron's own spikes (runtime/convert/
 * snn.ts), so making each binary activation an explicit `sign` node converts the variant as the
 * network it is; when every relu reads one, the whole network is exact in one time step.
 *
 * A mix of steps and rate-coded relus is not: a step neuron would see one step's spikes of a
 * rate-coded layer, not its rate. Ternary activations (α·{−1, 0, 1} with a threshold of 0.7·mean|x|
 * over the batch) have no spiking equivalent either. Those variants convert as relu networks
 * (rates over T steps), a different network from the CPU's, and say so (`reluRates`).
 */
import { type Module, type Node, type NodeId, readersOf } from '../../compiler/ir/module.ts';
import type { PrecisionMap } from '../../runtime/quantize/layer-precision.ts';

export interface StepConversion {
  /** The network to convert: with a `sign` after every binary activation where that is exact. */
  module: Module;
  /** True when every relu became a step: the converted network is the variant's, in one step. */
  exact: boolean;
  /** True when some binary or ternary activation feeds a relu that stays rate-coded. */
  reluRates: boolean;
}

const narrow = (precisions: PrecisionMap, id: NodeId): string | undefined => {
  const d = precisions[id]?.activations?.dtype;
  return d === 'binary' || d === 'ternary' ? d : undefined;
};

/** Ops that carry a value on unchanged in kind (a narrow activation stays narrow through them). */
const PASS_THROUGH = new Set(['maxpool2d', 'avgpool2d', 'dropout', 'flatten', 'reshape']);

/** Whether a binary or ternary activation reaches `id` only through pass-through ops, not directly. */
function narrowUpstream(m: Module, precisions: PrecisionMap, id: NodeId): boolean {
  for (let n = m.nodes[id]; n && PASS_THROUGH.has(n.op); n = m.nodes[n.inputs[0]!]) {
    if (narrow(precisions, n.inputs[0]!) !== undefined) return true;
  }
  return false;
}

/** `m` (the variant's layers at f32) with its binary activations made explicit, where exact. */
export function stepActivations(m: Module, precisions: PrecisionMap): StepConversion {
  const nodes = Object.values(m.nodes);
  const relus = nodes.filter((n) => n.op === 'relu');
  // conv → maxpool → relu with the conv's activations binary: the relu reads a pooled ±1, which
  // this does not make a step; it converts rate-coded, and must say so rather than pass as exact.
  if (relus.some((r) => narrowUpstream(m, precisions, r.inputs[0]!))) return { module: m, exact: false, reluRates: true };
  const narrowed = relus.filter((r) => narrow(precisions, r.inputs[0]!) !== undefined);
  if (narrowed.length === 0) return { module: m, exact: false, reluRates: false };
  if (narrowed.length < relus.length || narrowed.some((r) => narrow(precisions, r.inputs[0]!) !== 'binary')) {
    return { module: m, exact: false, reluRates: true };
  }
  const readers = readersOf(m);
  // A binary activation read only by a sign (binary_mlp's batch norms) is signed already.
  const signed = (id: NodeId) => { const r = readers.get(id) ?? []; return r.length > 0 && r.every((n) => n.op === 'sign'); };
  const binaryOut = new Set(nodes.filter((n) => precisions[n.id]?.activations?.dtype === 'binary' && !signed(n.id)).map((n) => n.id));
  const out: Record<NodeId, Node> = {};
  for (const n of nodes) {
    out[n.id] = { ...n, inputs: n.inputs.map((i) => (binaryOut.has(i) ? signId(m, i) : i)) };
    if (binaryOut.has(n.id)) {
      // In place of the fake quantization the layer declared: the same ±1, as a node the converter maps.
      const id = signId(m, n.id);
      out[id] = { id, op: 'sign', inputs: [n.id], attrs: {}, type: { shape: [...n.type!.shape], dtype: 'binary' }, loc: n.loc };
    }
  }
  return { module: { ...m, nodes: out, outputs: m.outputs.map((o) => (binaryOut.has(o) ? signId(m, o) : o)) }, exact: true, reluRates: false };
}

function signId(m: Module, id: NodeId): NodeId {
  let name = `${id}.sign`;
  for (let k = 2; m.nodes[name]; k++) name = `${id}.sign${k}`;
  return name;
}

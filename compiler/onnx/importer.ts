/**
 * ONNX model → Kiln module. Nodes are visited in the graph's (topological) order: constants fold,
 * the rest convert to Kiln ops with ONNX semantics (padding modes, opset differences, gate orders,
 * broadcasting), and weights come from initializers or from fed inputs in weight slots. Anything
 * Kiln cannot express exactly (an op, attribute, dtype or mode) makes the import return a reason
 * instead of a module: a SKIP, never a crash and never a silently different network.
 */
import type { Module, NodeId } from '../ir/module.ts';
import { verifyModule } from '../ir/verify.ts';
import type { Weights } from '../ir/tensor.ts';
import { Builder, type OutputBinding, Unsupported } from './builder.ts';
import { BASIC_CONVERTERS } from './convert-basic.ts';
import { NN_CONVERTERS } from './convert-nn.ts';
import { QUANT_CONVERTERS } from './convert-quant.ts';
import { RECURRENT_CONVERTERS } from './convert-recurrent.ts';
import { RESIZE_CONVERTERS } from './convert-resize.ts';
import type { Converter } from './convert-util.ts';
import { tryFold } from './fold.ts';
import type { OnnxModel, OnnxTensor } from './proto.ts';

export interface OnnxImport {
  module: Module;
  weights: Weights;
  /** Kiln inputs in the ONNX graph's input order (inputs only used as weights are not among them). */
  inputs: { name: string; id: NodeId }[];
  /** One entry per ONNX graph output, in order. */
  outputs: { name: string; binding: OutputBinding }[];
  /** The module must run in training mode (batch statistics, active dropout). */
  training: boolean;
}

export type ImportOutcome = { ok: true; value: OnnxImport } | { ok: false; reason: string };

export interface ImportOptions {
  /** Values of graph inputs: their shapes fix the Kiln input types, and weight slots read them. */
  feeds?: ReadonlyMap<string, OnnxTensor>;
}

const CONVERTERS: Readonly<Record<string, Converter>> = { ...NN_CONVERTERS, ...BASIC_CONVERTERS, ...RESIZE_CONVERTERS, ...RECURRENT_CONVERTERS, ...QUANT_CONVERTERS };

/** ONNX ops that look like Kiln ops but compute something else. */
const NEAR_MISSES: Readonly<Record<string, string>> = {
  Sign: 'ONNX Sign maps 0 to 0; Kiln\'s sign is a binarization that maps 0 to +1',
  ConvTranspose: 'transposed convolution is not in Kiln\'s vocabulary (Kiln decoders upsample, then convolve)',
  HardSigmoid: 'Kiln\'s hard_tanh clips but does not scale and shift',
  InstanceNormalization: 'Kiln\'s batchnorm normalizes over the batch, not per instance',
  LayerNormalization: 'Kiln has no layer normalization',
};

/** ONNX ops Kiln can import, folded or converted. */
export const IMPORTABLE_OPS: readonly string[] = Object.keys(CONVERTERS);

export function importOnnx(model: OnnxModel, opts: ImportOptions = {}): ImportOutcome {
  try {
    return { ok: true, value: build(model, opts) };
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, reason: e.message };
    throw e;
  }
}

function build(model: OnnxModel, opts: ImportOptions): OnnxImport {
  const opset = model.opsets.get('');
  if (opset === undefined) throw new Unsupported('the model imports no version of the default ONNX opset');
  const g = model.graph;
  checkTensorValues(model);
  const b = new Builder(g.inputs, opts.feeds ?? new Map(), g.initializers);
  for (const name of [...g.nodes.flatMap((n) => n.inputs), ...g.outputs.map((o) => o.name)]) b.uses.set(name, (b.uses.get(name) ?? 0) + 1);
  for (const n of g.nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') throw new Unsupported(`op ${n.domain}.${n.opType} is outside the default ONNX domain`);
    if (tryFold(n, b, opset)) continue;
    const convert = CONVERTERS[n.opType];
    if (!convert) throw new Unsupported(NEAR_MISSES[n.opType] ?? `ONNX op ${n.opType} has no Kiln equivalent`);
    convert(n, b, opset);
  }
  if (g.outputs.length === 0) throw new Unsupported('the graph has no outputs');
  const outputs = g.outputs.map((o) => ({ name: o.name, binding: b.output(o.name) }));
  const module = prune(b.module(g.name, [...new Set(outputs.map((o) => o.binding.id))]));
  const problems = verifyModule(module, { requireTypes: true });
  if (problems.length) throw new Error(`internal: the imported module is malformed: ${problems.join('; ')}`);
  const weights = Object.fromEntries(Object.entries(b.weights).filter(([id]) => id in module.nodes));
  return { module, weights, inputs: b.inputs().filter((i) => i.id in module.nodes), outputs, training: b.modes.has('training') };
}

/** Kiln values are tensors: a graph input or output of another kind makes the model unsupported. */
function checkTensorValues(model: OnnxModel): void {
  for (const v of [...model.graph.inputs, ...model.graph.outputs]) {
    if (v.nonTensor) throw new Unsupported(`graph value \`${v.name}\` is ${v.nonTensor}; Kiln values are tensors`);
  }
}

/** Model-level reasons to skip, found before any test data is read. */
export function unsupportedModel(model: OnnxModel): string | undefined {
  try {
    checkTensorValues(model);
    return undefined;
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
}

/** Drop nodes no output depends on (e.g. a constant materialized for a branch that folded away). */
function prune(m: Module): Module {
  const live = new Set<NodeId>(m.outputs);
  const order = Object.keys(m.nodes);
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i]!;
    if (live.has(id)) for (const x of m.nodes[id]!.inputs) live.add(x);
  }
  const nodes = Object.fromEntries(order.filter((id) => live.has(id)).map((id) => [id, m.nodes[id]!]));
  return { ...m, nodes, inputs: m.inputs.filter((id) => live.has(id)) };
}

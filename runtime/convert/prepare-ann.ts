/**
 * The ANN as conversion needs it (Rueckauer et al. 2017, §2.2–2.4): the inference-time network
 * with nothing left that a spiking layer cannot express. Batch normalization is folded into the
 * convolution or dense layer before it (its affine map becomes that layer's weights and bias),
 * dropout is the identity at inference and goes, and max pooling becomes average pooling when
 * asked ('avg'): a max over binary spikes is an OR, which can fire more often than the most active
 * input, and average pooling is linear in the rates. By default ('spike') max pooling stays: with
 * a constant input current neighbouring neurons fire in step, so the OR is close to the max
 * (docs/conversion.md measures both).
 * Thresholds are then calibrated on this prepared network, so the SNN approximates exactly it.
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import type { Module, Node, NodeId } from '../../compiler/ir/module.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Weights } from '../interpreter/types.ts';

export type MaxpoolMode = 'avg' | 'spike';

/** Ops a converted network may contain; anything else is refused with its location. */
const CONVERTIBLE = new Set(['input', 'dense', 'conv2d', 'relu', 'sign', 'batchnorm', 'dropout', 'maxpool2d', 'avgpool2d', 'global_avgpool',
  'flatten', 'reshape', 'concat', 'upsample2d', 'softmax', 'log_softmax']);

export interface PreparedAnn {
  module: Module;
  weights: Weights;
  /** What changed, for the report and the generated file's header. */
  changes: string[];
}

export function refuse(n: Node, why: string, hint: string): never {
  throw new KilnError(error('convert', `\`${n.id}\` (${n.op}) cannot be converted to spiking neurons: ${why}`, n.loc, hint));
}

/** Consumers of `id` (and the outputs) read `to` instead; `id` is removed. */
function bypass(m: Module, id: NodeId, to: NodeId): void {
  delete m.nodes[id];
  for (const n of Object.values(m.nodes)) n.inputs = n.inputs.map((i) => (i === id ? to : i));
  m.outputs = m.outputs.map((o) => (o === id ? to : o));
}

function checkConvertible(m: Module): void {
  if (m.timesteps > 1) {
    const at = Object.values(m.nodes).find((n) => n.op === 'lif');
    throw new KilnError(error('convert', `\`${m.name}\` is already a spiking network (timesteps ${m.timesteps})`, at?.loc, 'convert the ANN it was trained from, or train this network directly with kiln train'));
  }
  const outputs = new Set(m.outputs);
  for (const n of Object.values(m.nodes)) {
    if (!CONVERTIBLE.has(n.op)) {
      refuse(n, 'only dense and conv2d layers with relu or sign, pooling, batchnorm, dropout, flatten, reshape, concat and upsample2d convert',
        n.op === 'sigmoid' || n.op === 'tanh' || n.op === 'leaky_relu' ? 'replace it with relu and retrain the ANN: an integrate-and-fire neuron fires at a rate ≥ 0 that grows linearly with its input, as relu does' : 'rewrite the network without it and retrain, or train a spiking network directly (lif layers, see examples/spiking_cnn.kiln)');
    }
    for (const k of ['weights', 'activations']) {
      const p = n.attrs[k] as Precision | undefined;
      if (p && p.dtype !== 'f32') refuse(n, `its ${k} are ${p.dtype}`, 'convert the f32 network (kiln convert reads f32 checkpoints)');
    }
    if ((n.op === 'softmax' || n.op === 'log_softmax') && !outputs.has(n.id)) refuse(n, 'a softmax is only convertible as the output (its argmax is read from spike counts)', 'move it to the output or remove it');
  }
  for (const o of m.outputs) {
    const n = m.nodes[o]!;
    let readout = n.op === 'softmax' || n.op === 'log_softmax' ? m.nodes[n.inputs[0]!]! : n;
    // A batch norm on the logits folds into the layer before it, as any other does.
    if (readout.op === 'batchnorm') readout = m.nodes[readout.inputs[0]!]!;
    if (readout.op !== 'dense' && readout.op !== 'conv2d') {
      refuse(n, 'the output must be a dense or conv2d layer (optionally followed by softmax), whose currents drive the output neurons', 'end the network with dense(…) -> softmax');
    }
  }
}

/** Fold y = γ(x − μ)/√(σ² + ε) + β into the weighted layer that produces x. */
function foldBatchnorm(m: Module, w: Weights, bn: Node): void {
  const src = m.nodes[bn.inputs[0]!]!;
  const consumers = Object.values(m.nodes).filter((n) => n.inputs.includes(src.id));
  if ((src.op !== 'dense' && src.op !== 'conv2d') || consumers.length !== 1 || m.outputs.includes(src.id)) {
    refuse(bn, 'only a batchnorm right after a dense or conv2d layer (its only consumer) folds into its weights', 'put the batchnorm directly after the layer it normalizes');
  }
  if (src.op === 'dense' && src.type!.shape.length !== 2) refuse(bn, 'it normalizes a dense layer over [batch, time, features]', 'convert a network whose dense layers take [batch, features]');
  const p = w[bn.id]!;
  const eps = bn.attrs.eps as number;
  const filters = p.gamma!.data.length;
  const weight = w[src.id]!.weight!;
  const per = weight.data.length / filters;
  const bias = w[src.id]!.bias ?? { shape: [filters], data: new Float32Array(filters) };
  for (let f = 0; f < filters; f++) {
    const g = p.gamma!.data[f]! / Math.sqrt(p.running_var!.data[f]! + eps);
    for (let i = f * per; i < (f + 1) * per; i++) weight.data[i] = weight.data[i]! * g;
    bias.data[f] = (bias.data[f]! - p.running_mean!.data[f]!) * g + p.beta!.data[f]!;
  }
  w[src.id]!.bias = bias;
  src.attrs = { ...src.attrs, bias: true };
  delete w[bn.id];
  bypass(m, bn.id, src.id);
}

/**
 * A sign reads only the sign of its input, so each row of the layer before it (batch norm folded
 * in) can be divided by its largest |weight|, bias too, without changing a spike. Folding a batch
 * norm scales a binary layer's rows by γ/σ; this gives them back their two values, ±1.
 */
function unitRows(m: Module, w: Weights, sign: Node): string | undefined {
  const src = m.nodes[sign.inputs[0]!]!;
  const consumers = Object.values(m.nodes).filter((n) => n.inputs.includes(src.id));
  if ((src.op !== 'dense' && src.op !== 'conv2d') || consumers.length !== 1 || m.outputs.includes(src.id)) return undefined;
  const weight = w[src.id]!.weight!;
  const bias = w[src.id]!.bias;
  const rows = weight.shape[0]!;
  const per = weight.data.length / rows;
  for (let r = 0; r < rows; r++) {
    let largest = 0;
    for (let i = r * per; i < (r + 1) * per; i++) largest = Math.max(largest, Math.abs(weight.data[i]!));
    if (largest === 0) continue;
    for (let i = r * per; i < (r + 1) * per; i++) weight.data[i] = weight.data[i]! / largest;
    if (bias) bias.data[r] = bias.data[r]! / largest;
  }
  return `\`${src.id}\`'s rows divided by their largest |weight| (\`${sign.id}\` reads only their sign)`;
}

const copyWeights = (w: Weights): Weights =>
  Object.fromEntries(Object.entries(w).map(([id, ps]) => [id, Object.fromEntries(Object.entries(ps).map(([k, t]) => [k, { shape: [...t.shape], data: Float32Array.from(t.data) }]))]));

/** A copy of the typed ANN `m` and its weights, ready for threshold calibration; `m` is untouched. */
export function prepareAnn(m: Module, weights: Weights, maxpool: MaxpoolMode): PreparedAnn {
  checkConvertible(m);
  const module: Module = { ...m, inputs: [...m.inputs], outputs: [...m.outputs],
    nodes: Object.fromEntries(Object.entries(m.nodes).map(([id, n]) => [id, { ...n, inputs: [...n.inputs], attrs: { ...n.attrs } }])) };
  const w = copyWeights(weights);
  const changes: string[] = [];
  for (const n of Object.values(m.nodes)) {
    const node = module.nodes[n.id]!;
    if (n.op === 'batchnorm') {
      foldBatchnorm(module, w, node);
      changes.push(`batchnorm \`${n.id}\` folded into \`${n.inputs[0]}\``);
    } else if (n.op === 'dropout') {
      bypass(module, n.id, n.inputs[0]!);
      changes.push(`dropout \`${n.id}\` removed (the identity at inference)`);
    } else if (n.op === 'maxpool2d' && maxpool === 'avg') {
      node.op = 'avgpool2d';
      node.attrs.count_include_pad = false;
      changes.push(`maxpool2d \`${n.id}\` became avgpool2d`);
    }
  }
  for (const n of Object.values(module.nodes)) {
    const change = n.op === 'sign' ? unitRows(module, w, n) : undefined;
    if (change) changes.push(change);
  }
  return { module, weights: w, changes };
}

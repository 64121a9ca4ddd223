/**
 * The spiking network a prepared ANN becomes (Rueckauer et al. 2017; Diehl et al. 2015). Every
 * relu becomes an integrate-and-fire layer — `lif` with decay 1 (no leak) and reset by
 * subtraction — whose threshold is the layer's scale λ; the output layer's currents drive IF
 * neurons too, and the class is the one whose neuron fires most over T steps (spike counts: a
 * chip reads spikes, and every layer stays a population the neuromorphic mapper can place).
 *
 * Normalization is done with per-layer thresholds instead of rescaled weights: a neuron of layer l
 * driven by the ANN's current z fires at rate ≈ z/λ_l, so its spikes stand for activations in units
 * of λ_l. The next weighted layer therefore multiplies its weights by λ of the input each weight
 * reads (per input channel, so a concat of layers with different λ works), and keeps its bias:
 * its current is then again in the ANN's units. This is the same network as Rueckauer's
 * W_l·λ_{l−1}/λ_l, b_l/λ_l with threshold 1, multiplied through by λ_l; the input layer is the
 * analog image, presented as a constant current every step (λ_0 = 1).
 *
 * A sign activation is a step: sign(x) = 2·step(x) − 1 (Kiln's sign gives +1 at 0, as a neuron
 * firing at u ≥ 0 does). It becomes a lif with threshold 0 and no memory (decay 0, reset to zero),
 * which fires at every step where its current is ≥ 0, and the layer reading it takes weights ×2 and
 * the −1 into its bias (b − Σ W). Every step is then the whole binarized network, exactly, so a
 * network whose only activations are signs needs one time step; it has no rates for the output
 * neurons to count, so its class is read from their membrane potential (the logits).
 *
 * A relu that reads a sign is a binary step, relu(2·step(x) − 1) = step(x) ∈ {0, 1}: the sign's
 * spike itself (scale 1, no offset), so it adds no neurons; a max pool over such spikes is their
 * OR, which is exactly the max of {0, 1} values, and padding reads a silent neuron as the 0 it is.
 * A network whose relus all read signs (explore's binary-activation variants of relu networks)
 * is therefore as exact in one step as an all-sign one; there each max pool over spikes becomes
 * OR neurons (`orPool`), what a chip runs for it.
 */
import { type Module, type Node, type NodeId, readersOf } from '../../compiler/ir/module.ts';
import type { Weights } from '../interpreter/types.ts';
import { type PreparedAnn, refuse } from './prepare-ann.ts';
import type { LayerScale } from './thresholds.ts';

export interface SpikingLayer {
  /** The lif node's name in the generated network. */
  name: string;
  /** The ANN node whose activations set its threshold. */
  from: NodeId;
  threshold: number;
  positives: number;
  output: boolean;
  /** A sign layer (threshold 0, not calibrated; a step where only relus read it), an OR over a pool's window, or an output read from the membrane potential. */
  kind?: 'sign' | 'step' | 'or' | 'membrane';
}

export interface ConvertedNetwork {
  /** Untyped: node ids are the generated source's names. The generated text compiles to it. */
  module: Module;
  weights: Weights;
  layers: SpikingLayer[];
}

/** A relu of a sign's ±1: a step, the sign's own spike. */
const isStep = (m: Module, n: Node): boolean => n.op === 'relu' && m.nodes[n.inputs[0]!]?.op === 'sign';

/** The nodes whose activations set a threshold: every relu (but a step's), and each output's logits. */
export function thresholdLayers(m: Module): NodeId[] {
  const out = Object.values(m.nodes).filter((n) => n.op === 'relu' && !isStep(m, n)).map((n) => n.id);
  for (const o of m.outputs) {
    const n = m.nodes[o]!;
    out.push(n.op === 'softmax' || n.op === 'log_softmax' ? n.inputs[0]! : o);
  }
  return out;
}

/** A source name for an IR id: dots become underscores, a relu's name says lif. */
function namer(m: Module): (id: NodeId, op?: string) => string {
  const taken = new Set<string>();
  const given = new Map<string, string>();
  return (id, op) => {
    const key = `${id}\u0000${op ?? ''}`;
    const had = given.get(key);
    if (had) return had;
    let base = id.replace(/\./g, '_');
    if (op === 'lif') base = base.replace(/(^|_)relu(\d*)$/, '$1lif$2').replace(/(^|_)sign(\d*)$/, '$1step$2');
    let name = base;
    for (let k = 2; taken.has(name) || (m.nodes[name] && name !== id); k++) name = `${base}_${k}`;
    taken.add(name);
    given.set(key, name);
    return name;
  };
}

const uniform = (s: Float32Array) => s.every((x) => x === s[0]);

/** Scale of each channel (axis 1) of `n`'s output from its inputs' scales. */
function propagate(m: Module, n: Node, scales: Map<NodeId, Float32Array>): Float32Array {
  const shape = n.type!.shape;
  const channels = shape.length >= 2 ? shape[1]! : 1;
  const ins = n.inputs.map((i) => scales.get(i)!);
  const fill = (v: number) => new Float32Array(channels).fill(v);
  switch (n.op) {
    case 'avgpool2d': case 'maxpool2d': case 'global_avgpool': case 'upsample2d': return ins[0]!;
    case 'flatten': {
      const xs = m.nodes[n.inputs[0]!]!.type!.shape;
      if (n.attrs.axis === 1 && xs.length >= 2) {
        const per = xs.slice(2).reduce((a, b) => a * b, 1);
        return Float32Array.from({ length: channels }, (_, i) => ins[0]![Math.floor(i / per)]!);
      }
      break;
    }
    case 'concat': {
      const rank = shape.length;
      const axis = (n.attrs.axis as number) < 0 ? (n.attrs.axis as number) + rank : (n.attrs.axis as number);
      if (axis === 1) {
        const out = new Float32Array(channels);
        let at = 0;
        for (const s of ins) { out.set(s, at); at += s.length; }
        return out;
      }
      if (ins.every((s) => uniform(s) && s[0] === ins[0]![0])) return fill(ins[0]![0]!);
      return refuse(n, 'it joins spike trains of different thresholds along an axis other than the channels', 'concatenate along axis 1');
    }
  }
  if (uniform(ins[0]!)) return fill(ins[0]![0]!);
  return refuse(n, 'its input carries spike trains of different thresholds that it would mix', 'flatten with axis = 1 right after the layers, or use one layer before it');
}

/** Multiply each weight by the scale of the input channel it reads. */
function scaleWeights(n: Node, w: Float32Array, shape: number[], s: Float32Array): Float32Array {
  const out = Float32Array.from(w);
  if (n.op === 'dense') {
    const inF = shape[1]!;
    if (s.length !== inF && !uniform(s)) refuse(n, 'it reads spike trains of different thresholds along its time axis', 'convert dense layers on [batch, features]');
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * (s.length === inF ? s[i % inF]! : s[0]!);
    return out;
  }
  const [filters, cPer, kh, kw] = shape as [number, number, number, number];
  const groups = n.attrs.groups as number;
  for (let f = 0; f < filters; f++) {
    const g = Math.floor(f / (filters / groups));
    for (let c = 0; c < cPer; c++) {
      const k = s[g * cPer + c]!;
      for (let i = 0; i < kh * kw; i++) { const at = ((f * cPer + c) * kh * kw) + i; out[at] = out[at]! * k; }
    }
  }
  return out;
}

/** A padded window reading a sign's spikes: a silent neuron stands for −1 there, and padding reads 0. */
function refusePadding(n: Node): void {
  if ((n.attrs.pad as number[] | undefined)?.some((p) => p !== 0)) refuse(n, 'it pads a sign layer\'s output, whose silent neurons stand for −1, not 0', 'use pad = 0 after a sign activation');
}

/**
 * The bias that keeps a layer's current when its inputs stand for scale·spike + offset: each
 * weight w reading an input of offset o adds w·o (the weights given are the unscaled ones).
 * Padding would read a silent neuron as 0 where the ANN reads the offset, so it is refused.
 */
function offsetBias(n: Node, w: Float32Array, shape: number[], o: Float32Array, bias: Float32Array | undefined): Float32Array {
  const out = bias ? Float32Array.from(bias) : new Float32Array(shape[0]!);
  if (o.every((x) => x === 0)) return out;
  if (n.op === 'conv2d') refusePadding(n);
  const per = w.length / shape[0]!;
  const inputs = n.op === 'dense' ? shape[1]! : per;
  const spatial = n.op === 'dense' ? 1 : shape[2]! * shape[3]!;
  const groups = n.op === 'conv2d' ? (n.attrs.groups as number) : 1;
  const cPer = n.op === 'dense' ? inputs : shape[1]!;
  for (let f = 0; f < shape[0]!; f++) {
    const g = Math.floor(f / (shape[0]! / groups));
    let sum = 0;
    for (let i = 0; i < per; i++) {
      const channel = n.op === 'dense' ? (o.length === inputs ? i : 0) : g * cPer + Math.floor(i / spatial);
      sum += w[f * per + i]! * o[channel]!;
    }
    out[f] = out[f]! + sum;
  }
  return out;
}

const PADDED_POOLS = new Set(['maxpool2d', 'avgpool2d']);

/** The SNN of a prepared ANN, given each threshold layer's λ (thresholdLayers order). */
export function buildSnn(ann: PreparedAnn, scales: readonly LayerScale[], timesteps: number): ConvertedNetwork {
  const m = ann.module;
  const lambda = new Map(scales.map((s) => [s.node, s]));
  const name = namer(m);
  const scale = new Map<NodeId, Float32Array>();
  // What a spike of each channel stands for is scale·spike + offset; offsets come from sign layers.
  const offset = new Map<NodeId, Float32Array>();
  const relus = Object.values(m.nodes).some((n) => n.op === 'relu' && !isStep(m, n));
  const stepwise = !relus && Object.values(m.nodes).some((n) => n.op === 'sign');
  const steps = stepwise ? 1 : timesteps;
  const nodes: Record<string, Node> = {};
  const weights: Weights = {};
  const layers: SpikingLayer[] = [];
  const outputs = new Set(m.outputs);
  const readers = readersOf(m);
  const readouts = new Map(m.outputs.map((o) => [thresholdLayers({ ...m, outputs: [o] }).at(-1)!, o]));
  const addLif = (id: string, input: string, from: NodeId, loc: Node['loc'], output: boolean) => {
    const s = lambda.get(from)!;
    // A layer that never fired in calibration gets threshold 1: it stays silent, as in the ANN.
    const threshold = s.lambda > 0 ? Number(s.lambda.toPrecision(6)) : 1;
    const membrane = output && stepwise;
    nodes[id] = { id, op: 'lif', inputs: [input], attrs: { threshold, decay: 1, reset: 'subtract', ...(membrane ? { readout: 'membrane' } : {}) }, loc };
    layers.push({ name: id, from, threshold, positives: s.positives, output, ...(membrane ? { kind: 'membrane' as const } : {}) });
    return threshold;
  };
  // The node a value's spikes come from in the generated network: a step's are its sign's.
  const spikesOf = (i: NodeId): string => {
    const src = m.nodes[i]!;
    if (isStep(m, src)) return name(src.inputs[0]!, 'lif');
    return name(i, src.op === 'relu' || src.op === 'sign' ? 'lif' : undefined);
  };
  // A max over {0, 1} spikes is their OR. A chip has no max: the OR is a neuron per window that
  // fires when any of its inputs did, a depthwise convolution of ones into a threshold of ½. The
  // network then holds the neurons and synapses it needs, and is priced with them (the mapper
  // would otherwise fold the pool into the next projection, which sums its spikes instead).
  const orPool = (n: Node, input: string, channels: number) => {
    const sum = name(`${n.id}.window`), id = name(n.id);
    const [kh, kw] = n.attrs.kernel as [number, number];
    nodes[sum] = { id: sum, op: 'conv2d', inputs: [input], loc: n.loc, attrs: {
      filters: channels, kernel: [kh, kw], stride: n.attrs.stride!, pad: n.attrs.pad!, dilation: n.attrs.dilation!, groups: channels, bias: false,
      weights: { dtype: 'binary', granularity: 'per_tensor' },
    } };
    weights[sum] = { weight: { shape: [channels, 1, kh, kw], data: new Float32Array(channels * kh * kw).fill(1) } };
    nodes[id] = { id, op: 'lif', inputs: [sum], attrs: { threshold: 0.5, decay: 0, reset: 'zero' }, loc: n.loc };
    layers.push({ name: id, from: n.id, threshold: 0.5, positives: 0, output: false, kind: 'or' });
  };
  // Values that are {0, 1} spikes in the generated network (steps, and OR pools of them): only a
  // max pool over these is an OR. A max over currents (conv → maxpool → sign, the usual BNN order)
  // or over the input is not, and keeps its maxpool2d node.
  const zeroOne = new Set<NodeId>();
  for (const n of Object.values(m.nodes)) {
    const shape = n.type!.shape;
    const channels = shape.length >= 2 ? shape[1]! : 1;
    if (n.op === 'softmax' || n.op === 'log_softmax') continue;
    const inputs = n.inputs.map((i) => spikesOf(i));
    const zero = new Float32Array(channels);
    if (n.op === 'input') {
      nodes[name(n.id)] = { ...n, inputs: [], attrs: { ...n.attrs } };
      scale.set(n.id, new Float32Array(channels).fill(1));
      offset.set(n.id, zero);
    } else if (isStep(m, n)) {
      zeroOne.add(n.id);
      scale.set(n.id, new Float32Array(channels).fill(1));
      offset.set(n.id, zero);
    } else if (n.op === 'relu') {
      const t = addLif(name(n.id, 'lif'), inputs[0]!, n.id, n.loc, false);
      scale.set(n.id, new Float32Array(channels).fill(t));
      offset.set(n.id, zero);
    } else if (n.op === 'sign') {
      const id = name(n.id, 'lif');
      nodes[id] = { id, op: 'lif', inputs: [inputs[0]!], attrs: { threshold: 0, decay: 0, reset: 'zero' }, loc: n.loc };
      const steps = readers.get(n.id) ?? [];
      layers.push({ name: id, from: n.id, threshold: 0, positives: 0, output: false, kind: steps.length > 0 && steps.every((r) => isStep(m, r)) ? 'step' : 'sign' });
      scale.set(n.id, new Float32Array(channels).fill(2));
      offset.set(n.id, new Float32Array(channels).fill(-1));
    } else if (n.op === 'dense' || n.op === 'conv2d') {
      const readout = readouts.get(n.id);
      // The output layer's name goes to its IF neurons, so the network's output keeps the ANN's name.
      const id = readout && outputs.has(n.id) ? name(`${n.id}.current`) : name(n.id);
      nodes[id] = { id, op: n.op, inputs, attrs: { ...n.attrs }, loc: n.loc };
      const w = ann.weights[n.id]!;
      weights[id] = { weight: { shape: [...w.weight!.shape], data: scaleWeights(n, w.weight!.data, w.weight!.shape, scale.get(n.inputs[0]!)!) } };
      const o = offset.get(n.inputs[0]!)!;
      if (w.bias || o.some((x) => x !== 0)) {
        weights[id]!.bias = { shape: [w.weight!.shape[0]!], data: offsetBias(n, w.weight!.data, w.weight!.shape, o, w.bias?.data) };
        nodes[id]!.attrs.bias = true;
      }
      scale.set(n.id, new Float32Array(channels).fill(1));
      offset.set(n.id, zero);
      if (readout) addLif(name(readout, 'out'), id, n.id, m.nodes[readout]!.loc, true);
    } else if (stepwise && n.op === 'maxpool2d' && !n.attrs.ceil_mode && zeroOne.has(n.inputs[0]!)) {
      zeroOne.add(n.id);
      orPool(n, inputs[0]!, channels);
      scale.set(n.id, scale.get(n.inputs[0]!)!);
      offset.set(n.id, zero);
    } else {
      nodes[name(n.id)] = { id: name(n.id), op: n.op, inputs, attrs: { ...n.attrs }, loc: n.loc };
      scale.set(n.id, propagate(m, n, scale));
      const o = propagate(m, n, offset);
      if (PADDED_POOLS.has(n.op) && o.some((x) => x !== 0)) refusePadding(n);
      offset.set(n.id, o);
    }
  }
  const module: Module = {
    name: `${m.name}_snn`, params: { ...('batch' in m.params ? { batch: m.params.batch! } : {}), T: steps }, timesteps: steps,
    inputs: [...m.inputs], outputs: m.outputs.map((o) => name(o, 'out')), nodes,
  };
  return { module, weights, layers };
}

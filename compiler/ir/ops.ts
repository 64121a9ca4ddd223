/**
 * The op vocabulary: every op's attribute schema, how positional arguments map onto attributes,
 * how many inputs it takes, its learnable parameters, and its shape rule. The language checker,
 * the shape pass, the printer and (later) lowering all read this one table.
 */
import type { AttrSpec } from './attrs.ts';
import { isFloat, isInteger, numElements, promote, type DType, type Precision, type TensorType } from './dtype.ts';
import type { AttrValue } from './module.ts';
import { ShapeError, broadcastShapes, expectRank, normalizeAxis, windowOutput } from './shape-rules.ts';
import { LMU_SPEC, SIGMA_DELTA_SPEC } from './ops-lmu.ts';

/** Default surrogate slope per surrogate (see the lif op). */
const LIF_SLOPE: Record<string, number> = { fast_sigmoid: 25, atan: 2, triangle: 1, straight_through: 1 };

export type OpGroup = 'compute' | 'pool' | 'normalization' | 'elementwise' | 'activation' | 'movement' | 'recurrent' | 'stateful' | 'regularization';

export interface OpSpec {
  name: string;
  group: OpGroup;
  doc: string;
  /** [min, max] tensor inputs; max Infinity for variadic ops. */
  inputs: [number, number];
  /** Attribute names that positional (non-tensor) arguments fill, in order. */
  positional: string[];
  attrs: AttrSpec[];
  /** Output type from the input types and normalized attributes; throws ShapeError. */
  infer(inputs: TensorType[], attrs: Record<string, AttrValue>): TensorType;
  /** Learnable parameter shapes (absent: the op has none); `timesteps` is the module's step count. */
  params?(inputs: TensorType[], attrs: Record<string, AttrValue>, timesteps?: number): Record<string, number[]>;
}

/** Straight-through estimators a quantizer's backward pass may use (Yin et al. 2019; docs/training.md). */
export const STES = ['identity', 'clipped', 'relu', 'clipped_relu'] as const;
export type Ste = (typeof STES)[number];
const steAttr: AttrSpec = {
  name: 'ste', type: { kind: 'enum', values: STES }, optional: true,
  doc: 'straight-through estimator of the quantizers\' gradient; absent: the precision\'s default (docs/training.md)',
};

const precisionAttrs: AttrSpec[] = [
  { name: 'weights', type: { kind: 'precision' }, default: { dtype: 'f32', granularity: 'per_tensor' }, doc: 'precision of the learnable weights' },
  { name: 'activations', type: { kind: 'precision' }, default: { dtype: 'f32', granularity: 'per_tensor' }, doc: 'precision of the output activations' },
  steAttr,
];
/** Neil et al. 2017's delta networks: see docs/delta-networks.md. */
const deltaAttr: AttrSpec = {
  name: 'delta', type: { kind: 'float', min: 0 }, optional: true,
  doc: 'delta network threshold θ: a unit transmits its change only when |Δ| > θ, and the products skip the columns of units that did not (absent: an ordinary layer)',
};
const biasAttr: AttrSpec = { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'whether the layer adds a learned bias' };

/**
 * Output dtype of a layer with parameters: its `activations` precision when one is chosen; else
 * the input's for float and i8/i16 inputs; else f32, because binary, ternary or spike inputs sum
 * into wider values (popcounts, synaptic currents).
 */
function activationDType(input: DType, attrs: Record<string, AttrValue>): DType {
  const p = attrs.activations as Precision | undefined;
  if (p && p.dtype !== 'f32') return p.dtype;
  return isFloat(input) || input === 'i8' || input === 'i16' ? input : 'f32';
}

/** The integer ranges `quantize` saturates to, and the Kiln dtype that holds each exactly. */
export const QUANT_RANGES: Readonly<Record<string, { min: number; max: number; dtype: DType }>> = {
  int8: { min: -128, max: 127, dtype: 'i8' },
  uint8: { min: 0, max: 255, dtype: 'i16' },
  int16: { min: -32768, max: 32767, dtype: 'i16' },
  uint16: { min: 0, max: 65535, dtype: 'i32' },
};

const same = (op: string): OpSpec['infer'] => (inputs) => ({ shape: [...inputs[0]!.shape], dtype: inputs[0]!.dtype });

function unary(name: string, doc: string, attrs: AttrSpec[] = [], positional: string[] = [], group: OpGroup = 'activation'): OpSpec {
  return { name, group, doc, inputs: [1, 1], positional, attrs, infer: same(name) };
}

const pair = (v: AttrValue) => v as [number, number];
const pad4 = (v: AttrValue) => v as [number, number, number, number];

/** NumPy matmul: a 1-D operand is a vector (promoted, then its axis dropped); batch axes broadcast. */
function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0 || b.length === 0) throw new ShapeError('matmul needs operands of at least one axis', 'use mul to scale by a scalar');
  const a2 = a.length === 1 ? [1, a[0]!] : [...a];
  const b2 = b.length === 1 ? [b[0]!, 1] : [...b];
  const k = a2[a2.length - 1]!, kb = b2[b2.length - 2]!;
  if (k !== kb) throw new ShapeError(`matmul of [${a.join(', ')}] and [${b.join(', ')}]: the inner sizes ${k} and ${kb} differ`, 'the last axis of the first operand must match the second-to-last of the second (transpose one of them?)');
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), 'matmul');
  return [...batch, ...(a.length === 1 ? [] : [a2[a2.length - 2]!]), ...(b.length === 1 ? [] : [b2[b2.length - 1]!])];
}

function poolSpec(name: 'maxpool2d' | 'avgpool2d'): OpSpec {
  const attrs: AttrSpec[] = [
    { name: 'kernel', type: { kind: 'pair', min: 1 }, doc: 'window size' },
    { name: 'stride', type: { kind: 'pair', min: 1 }, default: (a) => a.kernel!, doc: 'step between windows (default: the kernel)' },
    { name: 'pad', type: { kind: 'pad4' }, default: [0, 0, 0, 0], doc: 'zero padding: n, [h, w] or [top, left, bottom, right]' },
    { name: 'dilation', type: { kind: 'pair', min: 1 }, default: [1, 1], doc: 'spacing between window taps' },
    { name: 'ceil_mode', type: { kind: 'bool' }, default: false, doc: 'round the output size up (ONNX/PyTorch rule)' },
  ];
  if (name === 'avgpool2d') attrs.push({ name: 'count_include_pad', type: { kind: 'bool' }, default: false, doc: 'count padded zeros in the average' });
  return {
    name, group: 'pool', doc: `${name === 'maxpool2d' ? 'max' : 'average'} pooling over 2-D windows`, inputs: [1, 1], positional: ['kernel', 'stride'], attrs,
    infer: ([x], a) => {
      expectRank(x!.shape, [4], name, 'pooling works on [batch, channels, height, width]');
      const [n, c, h, w] = x!.shape as [number, number, number, number];
      const [kh, kw] = pair(a.kernel!), [sh, sw] = pair(a.stride!), [dh, dw] = pair(a.dilation!), [pt, pl, pb, pr] = pad4(a.pad!);
      if (pt >= kh || pb >= kh || pl >= kw || pr >= kw) throw new ShapeError(`${name} padding must be smaller than the kernel`, 'a pad at least as large as the kernel makes windows of only padding');
      return { shape: [n, c, windowOutput(h, kh, sh, pt, pb, dh, a.ceil_mode as boolean, 'height'), windowOutput(w, kw, sw, pl, pr, dw, a.ceil_mode as boolean, 'width')], dtype: x!.dtype };
    },
  };
}

/** LSTM only: its cell is the one Kiln can run on the kept units' submatrix (runtime/autodiff/lstm-cut.ts). */
const LSTM_DROPOUT_MODE: AttrSpec = {
  name: 'dropout_mode', type: { kind: 'enum', values: ['elementwise', 'structured'] }, default: 'elementwise',
  doc: 'elementwise: between stacked layers, independent per value; structured: whole hidden units of every layer, inside the cell (gates, cell and hidden state), the same across the batch and time',
};

function recurrentSpec(name: 'rnn' | 'lstm' | 'gru', gates: number, doc: string): OpSpec {
  return {
    name, group: 'recurrent', doc, inputs: [1, 1], positional: ['hidden'],
    attrs: [
      { name: 'hidden', type: { kind: 'int', min: 1 }, doc: 'hidden units per layer' },
      { name: 'layers', type: { kind: 'int', min: 1 }, default: 1, doc: 'stacked layers' },
      { name: 'sequence', type: { kind: 'enum', values: ['all', 'last'] }, default: 'all', doc: 'return every step [batch, time, hidden] or only the last [batch, hidden]' },
      { name: 'dropout', type: { kind: 'float', min: 0, max: 1, maxExclusive: true }, default: 0, doc: name === 'lstm' ? 'dropout probability (where: `dropout_mode`)' : 'dropout between stacked layers' },
      ...(name === 'lstm' ? [LSTM_DROPOUT_MODE] : []),
      ...precisionAttrs, deltaAttr,
    ],
    infer: ([x], a) => {
      expectRank(x!.shape, [3], name, `${name} takes a sequence [batch, time, features]; an embedding or a reshape makes one`);
      const [b, t] = x!.shape as [number, number, number];
      const h = a.hidden as number;
      return { shape: a.sequence === 'last' ? [b, h] : [b, t, h], dtype: activationDType(x!.dtype, a) };
    },
    params: ([x], a) => {
      const h = a.hidden as number;
      const out: Record<string, number[]> = {};
      for (let l = 0; l < (a.layers as number); l++) {
        const inF = l === 0 ? x!.shape[2]! : h;
        out[`w_ih${l}`] = [gates * h, inF];
        out[`w_hh${l}`] = [gates * h, h];
        out[`b${l}`] = [gates * h];
      }
      return out;
    },
  };
}

const OP_LIST: OpSpec[] = [
  {
    name: 'dense', group: 'compute', doc: 'fully connected layer over the last axis', inputs: [1, 1], positional: ['units'],
    attrs: [{ name: 'units', type: { kind: 'int', min: 1 }, doc: 'output features' }, biasAttr, ...precisionAttrs, deltaAttr],
    infer: ([x], a) => {
      expectRank(x!.shape, [2, 3], 'dense', x!.shape.length === 4 ? 'insert `flatten` before `dense` to turn [batch, c, h, w] into [batch, c·h·w]' : undefined);
      return { shape: [...x!.shape.slice(0, -1), a.units as number], dtype: activationDType(x!.dtype, a) };
    },
    params: ([x], a) => ({ weight: [a.units as number, x!.shape[x!.shape.length - 1]!], ...(a.bias ? { bias: [a.units as number] } : {}) }),
  },
  {
    name: 'matmul', group: 'compute', doc: 'matrix product of two tensors (NumPy matmul: batch axes broadcast, a 1-D operand is a vector), e.g. attention scores', inputs: [2, 2], positional: [], attrs: [],
    infer: ([a, b]) => ({ shape: matmulShape(a!.shape, b!.shape), dtype: promote(a!.dtype, b!.dtype) }),
  },
  {
    name: 'conv2d', group: 'compute', doc: '2-D convolution, NCHW', inputs: [1, 1], positional: ['filters', 'kernel'],
    attrs: [
      { name: 'filters', type: { kind: 'int', min: 1 }, doc: 'output channels' },
      { name: 'kernel', type: { kind: 'pair', min: 1 }, doc: 'kernel size: k or [kh, kw]' },
      { name: 'stride', type: { kind: 'pair', min: 1 }, default: [1, 1], doc: 'step: s or [sh, sw]' },
      { name: 'pad', type: { kind: 'pad4' }, default: [0, 0, 0, 0], doc: 'zero padding: n, [h, w] or [top, left, bottom, right]' },
      { name: 'dilation', type: { kind: 'pair', min: 1 }, default: [1, 1], doc: 'spacing between kernel taps' },
      { name: 'groups', type: { kind: 'int', min: 1 }, default: 1, doc: 'channel groups (groups = channels: depthwise)' },
      biasAttr, ...precisionAttrs,
    ],
    infer: ([x], a) => {
      expectRank(x!.shape, [4], 'conv2d', 'conv2d works on [batch, channels, height, width]; use reshape to add axes');
      const [n, c, h, w] = x!.shape as [number, number, number, number];
      const g = a.groups as number, f = a.filters as number;
      if (c % g !== 0 || f % g !== 0) throw new ShapeError(`conv2d groups = ${g} must divide both the input channels (${c}) and the filters (${f})`);
      const [kh, kw] = pair(a.kernel!), [sh, sw] = pair(a.stride!), [dh, dw] = pair(a.dilation!), [pt, pl, pb, pr] = pad4(a.pad!);
      return { shape: [n, f, windowOutput(h, kh, sh, pt, pb, dh, false, 'height'), windowOutput(w, kw, sw, pl, pr, dw, false, 'width')], dtype: activationDType(x!.dtype, a) };
    },
    params: ([x], a) => {
      const [kh, kw] = pair(a.kernel!);
      const f = a.filters as number;
      return { weight: [f, x!.shape[1]! / (a.groups as number), kh, kw], ...(a.bias ? { bias: [f] } : {}) };
    },
  },
  poolSpec('maxpool2d'),
  poolSpec('avgpool2d'),
  {
    name: 'global_avgpool', group: 'pool', doc: 'average over height and width → [batch, channels, 1, 1]', inputs: [1, 1], positional: [], attrs: [],
    infer: ([x]) => {
      expectRank(x!.shape, [4], 'global_avgpool');
      return { shape: [x!.shape[0]!, x!.shape[1]!, 1, 1], dtype: x!.dtype };
    },
  },
  {
    name: 'batchnorm', group: 'normalization', doc: 'batch normalization over axis 1 (channels)', inputs: [1, 1], positional: [],
    attrs: [
      { name: 'eps', type: { kind: 'float', min: 0 }, default: 1e-5, doc: 'added to the variance' },
      { name: 'momentum', type: { kind: 'float', min: 0, max: 1 }, default: 0.1, doc: 'running-statistics update rate' },
      {
        name: 'per_step', type: { kind: 'bool' }, optional: true,
        doc: 'running statistics per time step of a spiking network, [timesteps, channels] (BNTT, Kim & Panda 2021; absent: one set for all steps)',
      },
      ...precisionAttrs,
    ],
    infer: ([x], a) => {
      expectRank(x!.shape, [2, 3, 4], 'batchnorm');
      return { shape: [...x!.shape], dtype: activationDType(x!.dtype, a) };
    },
    params: ([x], a, timesteps = 1) => {
      const c = x!.shape[1]!;
      if (a.per_step && timesteps <= 1) {
        throw new ShapeError('`per_step = true` keeps statistics per time step, and this network has no time steps',
          'declare `timesteps N` in a spiking network, or drop `per_step`');
      }
      const running = a.per_step ? [timesteps, c] : [c];
      return { gamma: [c], beta: [c], running_mean: running, running_var: [...running] };
    },
  },
  unary('relu', 'max(x, 0)'),
  unary('leaky_relu', 'x if x > 0 else alpha·x', [{ name: 'alpha', type: { kind: 'float', min: 0 }, default: 0.01, doc: 'negative slope' }], ['alpha']),
  {
    name: 'prelu', group: 'activation', doc: 'x if x ≥ 0 else slope·x, with a learned slope per channel (axis 1) or one shared slope', inputs: [1, 1], positional: [],
    attrs: [{ name: 'shared', type: { kind: 'bool' }, default: false, doc: 'one slope for all channels instead of one per channel' }],
    infer: same('prelu'),
    params: ([x], a) => ({ slope: [a.shared || x!.shape.length < 2 ? 1 : x!.shape[1]!] }),
  },
  unary('sigmoid', '1 / (1 + e^-x)'),
  unary('tanh', 'hyperbolic tangent'),
  unary('hard_tanh', 'clip(x, min, max)', [
    { name: 'min', type: { kind: 'float' }, default: -1, doc: 'lower bound' },
    { name: 'max', type: { kind: 'float' }, default: 1, doc: 'upper bound' },
  ]),
  { ...unary('sign', '±1 (binarization; straight-through gradient when training)', [steAttr]), infer: ([x]) => ({ shape: [...x!.shape], dtype: 'binary' }) },
  {
    name: 'softmax', group: 'activation', doc: 'softmax along an axis', inputs: [1, 1], positional: ['axis'],
    attrs: [{ name: 'axis', type: { kind: 'int' }, default: -1, doc: 'axis to normalize over' }],
    infer: ([x], a) => {
      normalizeAxis(a.axis as number, x!.shape.length, 'softmax');
      return { shape: [...x!.shape], dtype: x!.dtype };
    },
  },
  {
    name: 'log_softmax', group: 'activation', doc: 'log of the softmax along an axis, computed stably (x − max − log Σ e^(x − max))', inputs: [1, 1], positional: ['axis'],
    attrs: [{ name: 'axis', type: { kind: 'int' }, default: -1, doc: 'axis to normalize over' }],
    infer: ([x], a) => {
      normalizeAxis(a.axis as number, x!.shape.length, 'log_softmax');
      return { shape: [...x!.shape], dtype: x!.dtype };
    },
  },
  {
    name: 'flatten', group: 'movement', doc: 'collapse axes from `axis` on into one', inputs: [1, 1], positional: ['axis'],
    attrs: [{ name: 'axis', type: { kind: 'int', min: 1 }, default: 1, doc: 'first axis to collapse' }],
    infer: ([x], a) => {
      const ax = normalizeAxis(a.axis as number, x!.shape.length, 'flatten');
      return { shape: [numElements(x!.shape.slice(0, ax)), numElements(x!.shape.slice(ax))], dtype: x!.dtype };
    },
  },
  {
    name: 'reshape', group: 'movement', doc: 'reinterpret the shape (one -1 is inferred)', inputs: [1, 1], positional: ['shape'],
    attrs: [{ name: 'shape', type: { kind: 'ints' }, doc: 'new shape, e.g. [batch, -1]' }],
    infer: ([x], a) => {
      const target = [...(a.shape as number[])];
      const total = numElements(x!.shape);
      const unknown = target.filter((d) => d === -1).length;
      if (unknown > 1 || target.some((d) => d === 0 || d < -1)) throw new ShapeError(`reshape shape [${target.join(', ')}] may hold one -1 and otherwise positive sizes`);
      const known = numElements(target.filter((d) => d !== -1));
      if (unknown === 1 && total % known === 0) target[target.indexOf(-1)] = total / known;
      if (numElements(target) !== total) throw new ShapeError(`reshape of [${x!.shape.join(', ')}] (${total} elements) to [${(a.shape as number[]).join(', ')}] changes the element count`);
      return { shape: target, dtype: x!.dtype };
    },
  },
  {
    name: 'transpose', group: 'movement', doc: 'permute the axes', inputs: [1, 1], positional: ['perm'],
    attrs: [{ name: 'perm', type: { kind: 'ints' }, doc: 'which input axis each output axis takes, e.g. [0, 2, 1] swaps the last two of three' }],
    infer: ([x], a) => {
      const perm = a.perm as number[];
      const r = x!.shape.length;
      if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
        throw new ShapeError(`transpose perm [${perm.join(', ')}] is not a permutation of the ${r} axes of [${x!.shape.join(', ')}]`, `list each of 0..${r - 1} once`);
      }
      return { shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype };
    },
  },
  ...(['add', 'mul'] as const).map((name): OpSpec => ({
    name, group: 'elementwise', doc: `elementwise ${name === 'add' ? 'sum' : 'product'} with NumPy broadcasting`, inputs: [2, 2], positional: [], attrs: [],
    infer: ([x, y]) => ({ shape: broadcastShapes(x!.shape, y!.shape, name), dtype: promote(x!.dtype, y!.dtype) }),
  })),
  {
    name: 'concat', group: 'movement', doc: 'join tensors along an axis', inputs: [2, Infinity], positional: [],
    attrs: [{ name: 'axis', type: { kind: 'int' }, default: 1, doc: 'axis to join along' }],
    infer: (xs, a) => {
      const first = xs[0]!;
      const ax = normalizeAxis(a.axis as number, first.shape.length, 'concat');
      let total = 0;
      for (const x of xs) {
        const ok = x.shape.length === first.shape.length && x.shape.every((d, i) => i === ax || d === first.shape[i]);
        if (!ok) throw new ShapeError(`concat along axis ${ax} of incompatible shapes [${first.shape.join(', ')}] and [${x.shape.join(', ')}]`, 'every axis but the concat axis must match');
        total += x.shape[ax]!;
      }
      const shape = [...first.shape];
      shape[ax] = total;
      return { shape, dtype: xs.map((x) => x.dtype).reduce(promote) };
    },
  },
  {
    name: 'upsample2d', group: 'movement', doc: 'scale height and width by an integer factor', inputs: [1, 1], positional: ['scale'],
    attrs: [
      { name: 'scale', type: { kind: 'pair', min: 1 }, default: [2, 2], doc: 'factor: s or [sh, sw]' },
      { name: 'mode', type: { kind: 'enum', values: ['nearest', 'bilinear'] }, default: 'nearest', doc: 'interpolation' },
    ],
    infer: ([x], a) => {
      expectRank(x!.shape, [4], 'upsample2d');
      const [n, c, h, w] = x!.shape as [number, number, number, number];
      const [sh, sw] = pair(a.scale!);
      return { shape: [n, c, h * sh, w * sw], dtype: x!.dtype };
    },
  },
  {
    name: 'embedding', group: 'compute', doc: 'look up a learned vector per integer token', inputs: [1, 1], positional: ['vocab', 'dim'],
    attrs: [
      { name: 'vocab', type: { kind: 'int', min: 1 }, doc: 'number of distinct tokens' },
      { name: 'dim', type: { kind: 'int', min: 1 }, doc: 'vector size' },
      ...precisionAttrs,
    ],
    infer: ([x], a) => {
      if (!isInteger(x!.dtype)) throw new ShapeError(`embedding takes integer token ids, but its input is ${x!.dtype}`, 'declare the input as i32, e.g. `input tokens : i32[batch, 35]`');
      return { shape: [...x!.shape, a.dim as number], dtype: activationDType('f32', a) };
    },
    params: (_, a) => ({ table: [a.vocab as number, a.dim as number] }),
  },
  {
    name: 'dropout', group: 'regularization', doc: 'drop units while training (elementwise, one pattern per batch, or whole units for structured sparsity)', inputs: [1, 1], positional: ['p'],
    attrs: [
      { name: 'p', type: { kind: 'float', min: 0, max: 1, maxExclusive: true }, doc: 'drop probability' },
      { name: 'mode', type: { kind: 'enum', values: ['elementwise', 'batchwise', 'structured'] }, default: 'elementwise', doc: 'elementwise: independent per value; batchwise: one pattern for the whole minibatch (a submatrix product); structured: whole hidden units, same across the batch and time' },
    ],
    infer: same('dropout'),
  },
  recurrentSpec('rnn', 1, 'Elman RNN (tanh) over a sequence'),
  recurrentSpec('lstm', 4, 'LSTM over a sequence'),
  recurrentSpec('gru', 3, 'GRU over a sequence'),
  LMU_SPEC,
  {
    name: 'lif', group: 'stateful', doc: 'leaky integrate-and-fire spiking neurons, run for the network\'s time steps', inputs: [1, 1], positional: [],
    attrs: [
      { name: 'threshold', type: { kind: 'float', min: 0 }, default: 1.0, doc: 'membrane potential that fires a spike' },
      { name: 'decay', type: { kind: 'float', min: 0, max: 1 }, default: 0.9, doc: 'membrane leak per step: v ← decay·v + input' },
      { name: 'reset', type: { kind: 'enum', values: ['zero', 'subtract'] }, default: 'subtract', doc: 'after a spike: set v to 0, or subtract the threshold' },
      { name: 'surrogate', type: { kind: 'enum', values: ['fast_sigmoid', 'atan', 'triangle', 'straight_through'] }, default: 'fast_sigmoid', doc: 'smooth stand-in for the spike derivative when training' },
      // The slopes where each surrogate trains well: atan at 25 is nearly a spike itself (its
      // kernel's own default is 2); measured on spiking_cnn's short run, 44.5% at 25 vs 80.0% at 2.
      { name: 'slope', type: { kind: 'float', min: 0 }, default: (a) => LIF_SLOPE[a.surrogate as string] ?? 25, doc: 'sharpness of the surrogate (default: 25 fast_sigmoid, 2 atan, 1 triangle and straight_through)' },
      { name: 'readout', type: { kind: 'enum', values: ['spikes', 'membrane'] }, default: 'spikes', doc: 'spikes: the output is 0/1 spikes (their rate over the steps); membrane: the neurons never fire and the output is their membrane potential, averaged over the steps (a network output only; the loss acts on it)' },
    ],
    infer: ([x], a) => ({ shape: [...x!.shape], dtype: a.readout === 'membrane' ? 'f32' : 'spike' }),
  },
  SIGMA_DELTA_SPEC,
  {
    name: 'quantize', group: 'activation', doc: 'ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point) into an integer range, one scale and zero point per tensor or per slice along `axis` (what imported Q/DQ models compute)', inputs: [1, 1], positional: [],
    attrs: [
      { name: 'to', type: { kind: 'enum', values: Object.keys(QUANT_RANGES) }, default: 'int8', doc: 'the integer range: int8, uint8, int16 or uint16 (unsigned values are held in the next wider signed dtype)' },
      { name: 'per_channel', type: { kind: 'bool' }, default: false, doc: 'one scale and zero point per slice along `axis` instead of one for the tensor' },
      { name: 'axis', type: { kind: 'int' }, default: 1, doc: 'the channel axis of per_channel' },
    ],
    infer: ([x], a) => {
      if (a.per_channel) normalizeAxis(a.axis as number, x!.shape.length, 'quantize');
      return { shape: [...x!.shape], dtype: QUANT_RANGES[a.to as string]!.dtype };
    },
    params: ([x], a) => {
      const c = a.per_channel ? x!.shape[normalizeAxis(a.axis as number, x!.shape.length, 'quantize')]! : 1;
      return { scale: [c], zero_point: [c] };
    },
  },
  {
    name: 'param', group: 'movement', doc: 'a learned tensor used as an operand (a learned scale, offset or positional embedding; imported ONNX initializers that feed arithmetic)', inputs: [0, 0], positional: ['shape'],
    attrs: [{ name: 'shape', type: { kind: 'ints' }, doc: 'its shape, e.g. [1, 16, 1, 1]; [] is a scalar' }],
    infer: (_, a) => {
      const shape = a.shape as number[];
      if (shape.some((d) => !Number.isInteger(d) || d < 1)) throw new ShapeError(`param shape [${shape.join(', ')}] must list positive sizes`);
      return { shape: [...shape], dtype: 'f32' };
    },
    params: (_, a) => ({ value: [...(a.shape as number[])] }),
  },
];

export const OPS: ReadonlyMap<string, OpSpec> = new Map(OP_LIST.map((o) => [o.name, o]));

export function opSpec(name: string): OpSpec | undefined {
  return OPS.get(name);
}

/**
 * The attributes of every node whose op has none: one frozen object rather than one per node (a
 * chain of 262,144 relus held 14 MB of empty objects). Frozen, so an edit in place fails loudly
 * instead of reaching every other such node.
 */
const NO_ATTRS: Record<string, AttrValue> = Object.freeze({});

/** Fill defaults in schema order (so derived defaults see the attributes they derive from). */
export function withDefaults(spec: OpSpec, given: Record<string, AttrValue>): Record<string, AttrValue> {
  if (spec.attrs.length === 0) return NO_ATTRS;
  const out: Record<string, AttrValue> = {};
  for (const a of spec.attrs) {
    if (a.name in given) out[a.name] = given[a.name]!;
    else if (a.default !== undefined) out[a.name] = typeof a.default === 'function' ? a.default(out) : a.default;
  }
  return out;
}

/**
 * The Kiln module an ONNX import builds, and the environment of ONNX value names. A name is bound
 * to a constant (initializers, Constant nodes and what folds from them), to a Kiln node, or to a
 * graph input. A graph input becomes a Kiln input where it is used as data; where it fills a
 * weight or attribute slot (Conv's W, Reshape's shape, Clip's bounds — backend node tests feed
 * weights as inputs), its value is read at import time from the given feeds.
 */
import { floatOutside } from '../ir/attrs.ts';
import { opSpec, withDefaults } from '../ir/ops.ts';
import { ShapeError } from '../ir/shape-rules.ts';
import type { DType, TensorType } from '../ir/dtype.ts';
import type { AttrValue, Module, Node, NodeId } from '../ir/module.ts';
import type { Tensor, Weights } from '../ir/tensor.ts';
import { type OnnxTensor, type OnnxValueInfo, dtypeName } from './proto.ts';

/** Why a model cannot be imported; the test runner reports it as SKIP. */
export class Unsupported extends Error {}

export interface Const {
  dims: number[];
  dataType: number;
  values: Float64Array;
}

export type Value = { kind: 'node'; id: NodeId; type: TensorType };

/** An ONNX quantization (scale and zero point per tensor or along `axis`) and what it read. */
export interface QuantNote {
  /** ONNX element type of the integers: 2 uint8, 3 int8, 4 uint16, 5 int16, 6 int32. */
  dataType: number;
  scale: Float64Array;
  zeroPoint: Float64Array;
  axis?: number;
  /** A QuantizeLinear's input value. */
  from?: string;
}

type Binding =
  | { kind: 'const'; c: Const }
  | { kind: 'node'; v: Value }
  | { kind: 'input'; info: OnnxValueInfo; feed?: OnnxTensor }
  | { kind: 'unavailable'; reason: string }
  /** A stateful parameter after the run, e.g. BatchNormalization's running mean in training mode. */
  | { kind: 'state'; id: NodeId; param: string };

/** What a graph output reads after a run: a node's value, or a node's updated state. */
export type OutputBinding = { kind: 'value'; id: NodeId } | { kind: 'state'; id: NodeId; param: string };

/** ONNX element types that are Kiln dtypes. int64 is accepted only as token ids. */
const KILN_DTYPE: Readonly<Record<number, DType>> = { 1: 'f32', 3: 'i8', 5: 'i16', 6: 'i32', 10: 'f16', 16: 'bf16' };

/** uint8 and uint16 values fit exactly in the next wider signed Kiln dtype. */
const WIDER_SIGNED: Readonly<Record<number, DType>> = { 2: 'i16', 4: 'i32' };

export function kilnDType(dataType: number, what: string): DType {
  const d = KILN_DTYPE[dataType];
  if (!d) throw new Unsupported(`${what} is ${dtypeName(dataType)}, which is not a Kiln dtype (Kiln has f32, f16, bf16, i32, i16, i8)`);
  return d;
}

export function constOf(t: OnnxTensor, what: string): Const {
  if (!t.values) throw new Unsupported(`${what} holds ${dtypeName(t.dataType)} data, which Kiln cannot read`);
  if (t.inexact) throw new Unsupported(`${what} holds 64-bit integers beyond ±2^53`);
  return { dims: [...t.dims], dataType: t.dataType, values: t.values };
}

const sanitize = (name: string): string => {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `v${s}`;
};

export class Builder {
  readonly nodes: Record<NodeId, Node> = {};
  readonly weights: Weights = {};
  readonly inputOrder: string[];
  private readonly env = new Map<string, Binding>();
  private readonly inputIds = new Map<string, NodeId>();
  private readonly paramIds = new Map<string, Value>();
  /** How many node inputs (and graph outputs) read each ONNX value: a fused Q/DQ pair must be its only reader. */
  readonly uses = new Map<string, number>();
  /** Per ONNX value: the quantization that produced it (a folded DequantizeLinear, a QuantizeLinear). */
  readonly quant = new Map<string, QuantNote>();
  /** Whether some node needs a training-mode run (batch statistics, active dropout) or an inference one. */
  readonly modes = new Map<'training' | 'inference', string>();

  constructor(inputs: OnnxValueInfo[], private readonly feeds: ReadonlyMap<string, OnnxTensor>, initializers: OnnxTensor[]) {
    for (const info of inputs) this.env.set(info.name, { kind: 'input', info, feed: feeds.get(info.name) });
    // Initializers shadow same-named inputs: they are the model's weights (IR version < 4 lists both).
    for (const t of initializers) this.env.set(t.name, { kind: 'const', c: constOf(t, `initializer \`${t.name}\``) });
    this.inputOrder = inputs.map((i) => i.name).filter((n) => this.env.get(n)?.kind === 'input');
  }

  private binding(name: string): Exclude<Binding, { kind: 'unavailable' | 'state' }> {
    const b = this.env.get(name);
    if (!b) throw new Unsupported(`value \`${name}\` is used before it is defined (the graph is not in topological order)`);
    if (b.kind === 'unavailable') throw new Unsupported(b.reason);
    if (b.kind === 'state') throw new Unsupported(`\`${name}\` is a running statistic updated by a training step; Kiln can return it but not compute with it`);
    return b;
  }

  /** Graph output `name`: a node value (inputs and constants become nodes) or an updated state. */
  output(name: string): OutputBinding {
    const b = this.env.get(name);
    if (b?.kind === 'state') return { kind: 'state', id: b.id, param: b.param };
    return { kind: 'value', id: this.data(name).id };
  }

  /** A value known at import: a constant or a fed input (what weight slots accept). */
  isKnown(name: string): boolean {
    const b = this.env.get(name);
    return b?.kind === 'const' || (b?.kind === 'input' && b.feed !== undefined) || this.feeds.has(name);
  }

  /** A true constant (not a feed): what constant folding may use. */
  isConst(name: string): boolean {
    return this.env.get(name)?.kind === 'const';
  }

  /** The value of a weight or attribute slot: a constant, or a fed graph input read now. */
  constant(name: string, what: string): Const {
    const b = this.binding(name);
    if (b.kind === 'const') return b.c;
    if (b.kind === 'input' && b.feed) return constOf(b.feed, what);
    // A fed input already used as data elsewhere is still known here.
    const fed = this.feeds.get(name);
    if (fed) return constOf(fed, what);
    throw new Unsupported(`${what} (\`${name}\`) is computed by the graph; Kiln needs it to be a constant`);
  }

  /**
   * The value of a data slot, as a Kiln node: inputs and constants are materialized on first use.
   * `unsigned`: a uint8 / uint16 input is held in the next wider signed dtype (i16 / i32), exactly.
   */
  data(name: string, opts: { ids?: boolean; unsigned?: boolean } = {}): Value {
    const b = this.binding(name);
    if (b.kind === 'node') return b.v;
    if (b.kind === 'const') return this.paramNode(name, b.c);
    const v = this.inputNode(b.info, b.feed, opts.ids ?? false, opts.unsigned ?? false);
    this.env.set(name, { kind: 'node', v });
    return v;
  }

  shape(name: string): number[] {
    const b = this.binding(name);
    if (b.kind === 'const') return b.c.dims;
    if (b.kind === 'node') return b.v.type.shape;
    return this.inputShape(b.info, b.feed);
  }

  /** The ONNX element type of a value; a Kiln node reports the ONNX type of its Kiln dtype. */
  elemType(name: string): number | undefined {
    const b = this.binding(name);
    if (b.kind === 'const') return b.c.dataType;
    if (b.kind === 'input') return b.feed?.dataType ?? b.info.elemType;
    const found = Object.entries(KILN_DTYPE).find(([, d]) => d === b.v.type.dtype);
    return found ? Number(found[0]) : 1;
  }

  bindConst(name: string, c: Const): void { this.env.set(name, { kind: 'const', c }); }
  bindValue(name: string, v: Value): void { this.env.set(name, { kind: 'node', v }); }
  bindAlias(name: string, from: string): void { this.env.set(name, this.binding(from)); }
  unavailable(name: string | undefined, reason: string): void { if (name) this.env.set(name, { kind: 'unavailable', reason }); }
  bindState(name: string | undefined, id: NodeId, param: string): void { if (name) this.env.set(name, { kind: 'state', id, param }); }

  private inputShape(info: OnnxValueInfo, feed?: OnnxTensor): number[] {
    if (feed) return [...feed.dims];
    if (!info.shape || info.shape.some((d) => typeof d !== 'number')) {
      throw new Unsupported(`input \`${info.name}\` has no fixed shape (${info.shape ? `[${info.shape.map((d) => d ?? '?').join(', ')}]` : 'none given'}); give a value for it`);
    }
    return info.shape as number[];
  }

  /** Inputs are keyed by their ONNX name, which aliases (Identity) of them do not change. */
  private inputNode(info: OnnxValueInfo, feed: OnnxTensor | undefined, ids: boolean, unsigned: boolean): Value {
    const name = info.name;
    const existing = this.inputIds.get(name);
    if (existing) return { kind: 'node', id: existing, type: this.nodes[existing]!.type! };
    const onnxType = feed?.dataType ?? info.elemType ?? 1;
    const widened = unsigned ? WIDER_SIGNED[onnxType] : undefined;
    const dtype = ids && (onnxType === 7 || onnxType === 6) ? 'i32' : widened ?? kilnDType(onnxType, `input \`${name}\``);
    const shape = this.inputShape(info, feed);
    if (shape.some((d) => d < 1)) throw new Unsupported(`input \`${name}\` has a zero-sized axis [${shape.join(', ')}]; Kiln shapes are positive`);
    const id = this.freshId(name);
    const type: TensorType = { shape, dtype };
    this.nodes[id] = { id, op: 'input', inputs: [], attrs: { dtype, shape }, type };
    this.inputIds.set(name, id);
    const v: Value = { kind: 'node', id, type };
    this.env.set(name, { kind: 'node', v });
    return v;
  }

  private paramNode(name: string, c: Const): Value {
    const cached = this.paramIds.get(name);
    if (cached) return cached;
    const v = this.emit('param', [], { shape: c.dims }, name, { value: c.values });
    this.paramIds.set(name, v);
    return v;
  }

  /** Kiln runs a whole module in one mode; `why` names the node for the SKIP message on a conflict. */
  requireMode(mode: 'training' | 'inference', why: string): void {
    const other = this.modes.get(mode === 'training' ? 'inference' : 'training');
    if (other) throw new Unsupported(`${why} needs ${mode} mode but ${other} needs the other; Kiln runs a module in one mode`);
    if (!this.modes.has(mode)) this.modes.set(mode, why);
  }

  /** The Kiln input node ids, in the ONNX graph's input order. */
  inputs(): { name: string; id: NodeId }[] {
    return this.inputOrder.filter((n) => this.inputIds.has(n)).map((n) => ({ name: n, id: this.inputIds.get(n)! }));
  }

  freshId(base: string): NodeId {
    const s = base.split('.').map(sanitize).join('.');
    let id = s;
    for (let k = 2; id in this.nodes; k++) id = `${s}_${k}`;
    return id;
  }

  /**
   * Add a Kiln node: attributes get their defaults and are range-checked against the op's schema,
   * the output type comes from the op's shape rule, and parameter values must fill the declared
   * parameter shapes.
   */
  emit(op: string, inputs: Value[], attrs: Record<string, AttrValue>, name: string, params: Record<string, ArrayLike<number>> = {}): Value {
    const spec = opSpec(op)!;
    const full = withDefaults(spec, attrs);
    checkAttrs(op, full);
    let type: TensorType;
    const types = inputs.map((v) => v.type);
    try {
      type = spec.infer(types, full);
    } catch (e) {
      if (e instanceof ShapeError) throw new Unsupported(`Kiln's ${op} rejects this use: ${e.message}`);
      throw e;
    }
    const id = this.freshId(name);
    const node: Node = { id, op, inputs: inputs.map((v) => v.id), attrs: full, type };
    const shapes = spec.params?.(types, full);
    if (shapes) {
      node.params = {};
      const w: Record<string, Tensor> = {};
      for (const [p, shape] of Object.entries(shapes)) {
        const values = params[p];
        const n = shape.reduce((a, d) => a * d, 1);
        if (!values || values.length !== n) throw new Unsupported(`${op} \`${name}\` needs ${n} values for its ${p} [${shape.join(', ')}], the model gives ${values?.length ?? 0}`);
        node.params[p] = { shape, dtype: 'f32' };
        w[p] = { shape: [...shape], data: Float32Array.from(values) };
      }
      this.weights[id] = w;
    }
    this.nodes[id] = node;
    return { kind: 'node', id, type };
  }

  /** Change a node's attributes (a precision found after it was made), re-deriving its type. */
  reattr(id: NodeId, attrs: Record<string, AttrValue>): Value {
    const node = this.nodes[id]!;
    const full = { ...node.attrs, ...attrs };
    const type = opSpec(node.op)!.infer(node.inputs.map((i) => this.nodes[i]!.type!), full);
    this.nodes[id] = { ...node, attrs: full, type };
    return { kind: 'node', id, type };
  }

  module(name: string, outputs: NodeId[]): Module {
    return { name: sanitize(name || 'onnx'), params: {}, timesteps: 1, inputs: this.inputs().map((i) => i.id), outputs, nodes: this.nodes };
  }
}

/** Range checks of the attribute schema (the DSL checks these when parsing; the importer must too). */
function checkAttrs(op: string, attrs: Record<string, AttrValue>): void {
  for (const a of opSpec(op)!.attrs) {
    const v = attrs[a.name];
    // An optional attribute the importer did not set (a dense layer's `delta`) stays absent.
    if (a.optional && v === undefined) continue;
    const t = a.type;
    const bad = (why: string) => new Unsupported(`${op} ${a.name} = ${JSON.stringify(v)} ${why}`);
    if (t.kind === 'int' && (typeof v !== 'number' || !Number.isInteger(v) || (t.min !== undefined && v < t.min))) throw bad(`must be an integer${t.min !== undefined ? ` ≥ ${t.min}` : ''}`);
    if (t.kind === 'float') {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a finite number');
      if (floatOutside(t, v)) throw bad(`is outside Kiln's range ${t.minExclusive ? '(' : '['}${t.min ?? '-∞'}, ${t.max ?? '∞'}${t.maxExclusive ? ')' : ']'}`);
    }
    if (t.kind === 'pair' && (!Array.isArray(v) || v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < t.min))) throw bad(`must be two integers ≥ ${t.min}`);
    if (t.kind === 'pad4' && (!Array.isArray(v) || v.length !== 4 || v.some((x) => !Number.isInteger(x) || x < 0))) throw bad('must be four non-negative integers');
  }
}

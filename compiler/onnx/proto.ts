/**
 * Decoding ONNX protobuf files (models and the TensorProto files of backend test cases) into plain
 * data. The wire format is read by protobufjs against onnx.proto (the official field numbers), and
 * every tensor's values are widened to float64 whatever its storage: float_data, int32_data
 * (which also carries int8/int16/uint8/uint16/bool and the bit patterns of float16/bfloat16),
 * int64_data, double_data, uint64_data or little-endian raw_data.
 */
import { readFileSync } from 'node:fs';
import { readInputBytes } from '../io/read-input.ts';
import protobuf from 'protobufjs';
import { KilnError, error } from '../lang/diagnostics.ts';
import { packagePath } from '../io/package-root.ts';

/** TensorProto.DataType numbers this decoder understands, with their names for messages. */
export const ONNX_DTYPES: Readonly<Record<number, string>> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4',
  23: 'float4e2m1', 24: 'float8e8m0', 25: 'uint2', 26: 'int2',
};

export const dtypeName = (t: number): string => ONNX_DTYPES[t] ?? `type ${t}`;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Values widened to float64; undefined when the element type cannot be decoded (strings, float8, …). */
  values?: Float64Array;
  /** Set when an int64/uint64 value lies beyond ±2^53 and so is not exact in `values`. */
  inexact?: boolean;
}

export type OnnxAttr =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: OnnxTensor }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'other'; type: number };

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, OnnxAttr>;
}

export interface OnnxValueInfo {
  name: string;
  /** Set when the value is not a tensor (a sequence, map or optional). */
  nonTensor?: string;
  elemType?: number;
  /** Dimensions: a size, a symbolic name, or undefined when unknown. */
  shape?: (number | string | undefined)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producer: string;
  /** Opset version per domain ('' is the default ai.onnx domain). */
  opsets: Map<string, number>;
  graph: OnnxGraph;
}

let root: protobuf.Root | undefined;

/** The parsed onnx.proto subset (field names as in the .proto: op_type, float_data, …). */
export function schema(): protobuf.Root {
  root ??= protobuf.parse(readFileSync(packagePath('compiler', 'onnx', 'onnx.proto'), 'utf8'), { keepCase: true }).root;
  return root;
}

interface LongLike { toString(): string }
type Int64 = number | LongLike;

const num = (v: Int64 | undefined | null): number => (v === undefined || v === null ? 0 : typeof v === 'number' ? v : Number(BigInt(v.toString())));
const big = (v: Int64): bigint => (typeof v === 'number' ? BigInt(v) : BigInt(v.toString()));
const text = (b: Uint8Array | undefined | null): string => (b ? new TextDecoder().decode(b) : '');
/** protobufjs keeps defaults of unset fields on the prototype: presence is an own property. */
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** IEEE half → float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const bf16ToFloat = (h: number): number => new Float32Array(new Uint32Array([(h & 0xffff) << 16]).buffer)[0]!;

/** Bytes per element of each ONNX tensor data type that raw_data carries. */
export const RAW_WIDTH: Readonly<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

function fromRaw(raw: Uint8Array, t: OnnxTensor): void {
  const w = RAW_WIDTH[t.dataType];
  if (w === undefined) return;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = Math.floor(raw.byteLength / w);
  const out = new Float64Array(n);
  const limit = 2n ** 53n;
  for (let i = 0, o = 0; i < n; i++, o += w) {
    switch (t.dataType) {
      case 1: out[i] = dv.getFloat32(o, true); break;
      case 2: case 9: out[i] = dv.getUint8(o); break;
      case 3: out[i] = dv.getInt8(o); break;
      case 4: out[i] = dv.getUint16(o, true); break;
      case 5: out[i] = dv.getInt16(o, true); break;
      case 6: out[i] = dv.getInt32(o, true); break;
      case 7: case 13: {
        const b = t.dataType === 7 ? dv.getBigInt64(o, true) : dv.getBigUint64(o, true);
        if (b > limit || b < -limit) t.inexact = true;
        out[i] = Number(b);
        break;
      }
      case 10: out[i] = halfToFloat(dv.getUint16(o, true)); break;
      case 11: out[i] = dv.getFloat64(o, true); break;
      case 12: out[i] = dv.getUint32(o, true); break;
      case 16: out[i] = bf16ToFloat(dv.getUint16(o, true)); break;
    }
  }
  t.values = out;
}

/** int32_data holds small integer types as int32 and 16-bit floats as their bit patterns. */
function fromInt32(data: number[], dataType: number): Float64Array | undefined {
  switch (dataType) {
    case 2: case 3: case 4: case 5: case 6: case 9: return Float64Array.from(data);
    case 10: return Float64Array.from(data, (v) => halfToFloat(v & 0xffff));
    case 16: return Float64Array.from(data, (v) => bf16ToFloat(v));
    default: return undefined;
  }
}

interface RawTensor {
  dims?: Int64[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Int64[];
  double_data?: number[];
  uint64_data?: Int64[];
  raw_data?: Uint8Array;
  name?: string;
  data_location?: number;
}

function tensorFrom(m: RawTensor): OnnxTensor {
  const t: OnnxTensor = { name: m.name ?? '', dims: (m.dims ?? []).map(num), dataType: m.data_type ?? 0 };
  if (m.data_location === 1) return t; // external data: not read
  if (m.raw_data && m.raw_data.length > 0) {
    fromRaw(m.raw_data, t);
    return t;
  }
  const limit = 2n ** 53n;
  const wide = (xs: Int64[]): Float64Array => Float64Array.from(xs, (v) => {
    const b = big(v);
    if (b > limit || b < -limit) t.inexact = true;
    return Number(b);
  });
  switch (t.dataType) {
    case 1: t.values = Float64Array.from(m.float_data ?? []); break;
    case 7: t.values = wide(m.int64_data ?? []); break;
    case 11: t.values = Float64Array.from(m.double_data ?? []); break;
    case 12: case 13: t.values = wide(m.uint64_data ?? []); break;
    default: t.values = fromInt32(m.int32_data ?? [], t.dataType);
  }
  return t;
}

interface RawAttr {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: RawTensor;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
}

/** The `type` discriminator is required since IR version 2; older files are read by which field is set. */
function attrFrom(a: RawAttr): OnnxAttr {
  const type = has(a, 'type') && a.type ? a.type
    : has(a, 't') ? 4 : has(a, 's') ? 3 : a.ints?.length ? 7 : a.floats?.length ? 6 : has(a, 'i') ? 2 : has(a, 'f') ? 1 : 0;
  switch (type) {
    case 1: return { kind: 'float', value: a.f ?? 0 };
    case 2: return { kind: 'int', value: num(a.i) };
    case 3: return { kind: 'string', value: text(a.s) };
    case 4: return { kind: 'tensor', value: tensorFrom(a.t ?? {}) };
    case 6: return { kind: 'floats', value: [...(a.floats ?? [])] };
    case 7: return { kind: 'ints', value: (a.ints ?? []).map(num) };
    case 8: return { kind: 'strings', value: (a.strings ?? []).map(text) };
    default: return { kind: 'other', type };
  }
}

interface RawValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: Int64; dim_param?: string }[] } }; sequence_type?: object; optional_type?: object };
}

function valueInfoFrom(v: RawValueInfo): OnnxValueInfo {
  const tt = v.type?.tensor_type;
  const info: OnnxValueInfo = { name: v.name ?? '' };
  const t = v.type;
  if (t && has(t, 'sequence_type')) info.nonTensor = 'a sequence';
  else if (t && has(t, 'optional_type')) info.nonTensor = 'an optional';
  else if (t && !has(t, 'tensor_type') && Object.keys(t).length > 0) info.nonTensor = 'not a tensor';
  if (tt && has(tt, 'elem_type')) info.elemType = tt.elem_type;
  if (tt && has(tt, 'shape') && tt.shape) info.shape = (tt.shape.dim ?? []).map((d) => (has(d, 'dim_value') ? num(d.dim_value) : d.dim_param || undefined));
  return info;
}

interface RawNode {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: RawAttr[];
}

interface RawGraph {
  node?: RawNode[];
  name?: string;
  initializer?: RawTensor[];
  input?: RawValueInfo[];
  output?: RawValueInfo[];
}

function graphFrom(g: RawGraph): OnnxGraph {
  return {
    name: g.name ?? '',
    nodes: (g.node ?? []).map((n) => ({
      name: n.name ?? '',
      opType: n.op_type ?? '',
      domain: n.domain ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs: new Map((n.attribute ?? []).map((a) => [a.name ?? '', attrFrom(a)])),
    })),
    initializers: (g.initializer ?? []).map(tensorFrom),
    inputs: (g.input ?? []).map(valueInfoFrom),
    outputs: (g.output ?? []).map(valueInfoFrom),
  };
}

function decode<T>(typeName: string, bytes: Uint8Array, what: string): T {
  try {
    return schema().lookupType(typeName).decode(bytes) as unknown as T;
  } catch (e) {
    throw new KilnError(error('onnx-decode', `${what} is not a valid ONNX ${typeName.replace('onnx.', '')}: ${(e as Error).message}`,
      undefined, 'pass an .onnx model (or a TensorProto .pb file) written by ONNX tooling'));
  }
}

export function decodeModel(bytes: Uint8Array, what = 'the model'): OnnxModel {
  const m = decode<{ ir_version?: Int64; producer_name?: string; opset_import?: { domain?: string; version?: Int64 }[]; graph?: RawGraph }>('onnx.ModelProto', bytes, what);
  const opsets = new Map<string, number>();
  for (const o of m.opset_import ?? []) {
    const d = o.domain === 'ai.onnx' ? '' : o.domain ?? '';
    opsets.set(d, num(o.version));
  }
  return { irVersion: num(m.ir_version), producer: m.producer_name ?? '', opsets, graph: graphFrom(m.graph ?? {}) };
}

export function decodeTensor(bytes: Uint8Array, what = 'the tensor'): OnnxTensor {
  return tensorFrom(decode<RawTensor>('onnx.TensorProto', bytes, what));
}

const readBytes = (file: string): Uint8Array => readInputBytes(file, { kind: 'data' });

export const readModel = (file: string): OnnxModel => decodeModel(readBytes(file), `\`${file}\``);
export const readTensor = (file: string): OnnxTensor => decodeTensor(readBytes(file), `\`${file}\``);

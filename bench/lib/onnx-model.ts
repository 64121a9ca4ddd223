/**
 * Builds ONNX models and tensors in memory (encoded with protobufjs against Kiln's onnx.proto), so
 * importer tests can cover ops, attributes and opsets the reference folder has no case for, and a
 * bench can hand a peer runtime (bench/ort.ts) the same arithmetic Kiln runs. It sits in bench/,
 * which tests may import, because a bench must not reach into the test tree.
 */
import { RAW_WIDTH, schema } from '../../compiler/onnx/proto.ts';

export type AttrIn = number | number[] | string | { f: number } | { floats: number[] } | { t: TensorIn } | { strings: string[] };

export interface TensorIn {
  name?: string;
  dims: number[];
  values: ArrayLike<number>;
  /** ONNX data type (1 float, 3 int8, 6 int32, 7 int64, 9 bool, 10 float16, 11 double …). */
  type?: number;
  /** Store as little-endian raw_data instead of the typed field. */
  raw?: boolean;
}

export interface NodeIn {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrIn>;
  domain?: string;
}

export interface ModelIn {
  opset: number;
  nodes: NodeIn[];
  /** `sequence`: a sequence of tensors rather than a tensor. */
  inputs: { name: string; dims: (number | string)[]; type?: number; sequence?: boolean }[];
  outputs: string[];
  initializers?: TensorIn[];
}

function rawBytes(t: TensorIn): Uint8Array {
  const type = t.type ?? 1;
  const w = RAW_WIDTH[type]!;
  const buf = new Uint8Array(t.values.length * w);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < t.values.length; i++) {
    const v = t.values[i]!;
    switch (type) {
      case 1: dv.setFloat32(i * w, v, true); break;
      case 2: case 9: dv.setUint8(i * w, v); break;
      case 3: dv.setInt8(i * w, v); break;
      case 4: case 10: case 16: dv.setUint16(i * w, v, true); break;
      case 5: dv.setInt16(i * w, v, true); break;
      case 6: dv.setInt32(i * w, v, true); break;
      case 7: dv.setBigInt64(i * w, BigInt(v), true); break;
      case 11: dv.setFloat64(i * w, v, true); break;
      case 12: dv.setUint32(i * w, v, true); break;
      case 13: dv.setBigUint64(i * w, BigInt(v), true); break;
    }
  }
  return buf;
}

function tensorObject(t: TensorIn): Record<string, unknown> {
  const type = t.type ?? 1;
  const o: Record<string, unknown> = { dims: t.dims, data_type: type };
  if (t.name) o.name = t.name;
  if (t.raw) o.raw_data = rawBytes(t);
  else if (type === 1) o.float_data = Array.from(t.values);
  else if (type === 7) o.int64_data = Array.from(t.values);
  else if (type === 11) o.double_data = Array.from(t.values);
  else if (type === 12 || type === 13) o.uint64_data = Array.from(t.values);
  else o.int32_data = Array.from(t.values);
  return o;
}

function attrObject(name: string, v: AttrIn): Record<string, unknown> {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('f' in v) return { name, type: 1, f: v.f };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  if ('strings' in v) return { name, type: 8, strings: v.strings.map((s) => new TextEncoder().encode(s)) };
  return { name, type: 4, t: tensorObject(v.t) };
}

export function encodeTensor(t: TensorIn): Uint8Array {
  const T = schema().lookupType('onnx.TensorProto');
  return T.encode(T.fromObject(tensorObject(t))).finish();
}

export function encodeModel(m: ModelIn): Uint8Array {
  const M = schema().lookupType('onnx.ModelProto');
  const valueInfo = (name: string, dims: (number | string)[] | undefined, type = 1) => ({
    name,
    type: { tensor_type: { elem_type: type, ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } : {}) } },
  });
  const obj = {
    ir_version: 8,
    producer_name: 'kiln-test',
    opset_import: [{ domain: '', version: m.opset }],
    graph: {
      name: 'g',
      node: m.nodes.map((n) => ({
        op_type: n.op, input: n.inputs, output: n.outputs, domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrObject(k, v)),
      })),
      initializer: (m.initializers ?? []).map(tensorObject),
      input: m.inputs.map((i) => {
        const v = valueInfo(i.name, i.dims, i.type);
        return i.sequence ? { name: i.name, type: { sequence_type: { elem_type: v.type } } } : v;
      }),
      output: m.outputs.map((o) => valueInfo(o, undefined)),
    },
  };
  return M.encode(M.fromObject(obj)).finish();
}

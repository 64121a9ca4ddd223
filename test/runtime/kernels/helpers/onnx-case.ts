/**
 * Reads ONNX backend test cases (ONNX v1.22.0 node tests, copied to test/fixtures/onnx-node) so
 * kernels can be checked against the reference outputs the ONNX project publishes. Only the parts
 * of onnx.proto those files use are decoded: the graph's nodes with attributes, and TensorProtos.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fixture } from '../../../helpers/fixtures.ts';

export const onnxNodeDir = fixture('onnx-node');

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Values as doubles whatever the stored type (int64 within 2^53 is exact). */
  values: number[];
}

export type OnnxAttr = number | number[] | string | OnnxTensor;

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}

export interface OnnxCase {
  nodes: OnnxNode[];
  inputs: OnnxTensor[];
  outputs: OnnxTensor[];
  /** Every known tensor (fed inputs and initializers) by graph name. */
  tensors: Map<string, OnnxTensor>;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean { return this.pos >= this.buf.length; }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
    }
    return result;
  }
  /** int64 varints of negative numbers are 10 bytes of two's complement, beyond double precision. */
  int64(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, result));
  }
  bytes(): Uint8Array {
    const len = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  float(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function readRepeated(r: Reader, wire: number, one: (r: Reader) => number, out: number[]): void {
  if (wire !== 2) { out.push(one(r)); return; }
  const sub = new Reader(r.bytes());
  while (!sub.done) out.push(one(sub));
}

function rawValues(raw: Uint8Array, dataType: number): number[] {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  const width: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 11: 8, 12: 4, 13: 8 };
  const w = width[dataType];
  if (w === undefined) throw new Error(`raw data of ONNX type ${dataType} is not supported`);
  for (let o = 0; o < raw.byteLength; o += w) {
    switch (dataType) {
      case 1: out.push(dv.getFloat32(o, true)); break;
      case 2: case 9: out.push(dv.getUint8(o)); break;
      case 3: out.push(dv.getInt8(o)); break;
      case 4: out.push(dv.getUint16(o, true)); break;
      case 5: out.push(dv.getInt16(o, true)); break;
      case 6: out.push(dv.getInt32(o, true)); break;
      case 7: out.push(Number(dv.getBigInt64(o, true))); break;
      case 11: out.push(dv.getFloat64(o, true)); break;
      case 12: out.push(dv.getUint32(o, true)); break;
      case 13: out.push(Number(dv.getBigUint64(o, true))); break;
    }
  }
  return out;
}

export function decodeTensor(buf: Uint8Array): OnnxTensor {
  const r = new Reader(buf);
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, values: [] };
  let raw: Uint8Array | undefined;
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1) readRepeated(r, wire, (x) => x.int64(), t.dims);
    else if (field === 2) t.dataType = r.varint();
    else if (field === 4) readRepeated(r, wire, (x) => x.float(), t.values);
    else if (field === 5 || field === 7 || field === 11) readRepeated(r, wire, (x) => x.int64(), t.values);
    else if (field === 8) t.name = text(r.bytes());
    else if (field === 9) raw = r.bytes();
    else r.skip(wire);
  }
  if (raw) t.values = rawValues(raw, t.dataType);
  return t;
}

function decodeAttr(buf: Uint8Array): [string, OnnxAttr] {
  const r = new Reader(buf);
  let name = '';
  let value: OnnxAttr | undefined;
  const list: number[] = [];
  let type = 0;
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1) name = text(r.bytes());
    else if (field === 2) value = r.float();
    else if (field === 3) value = r.int64();
    else if (field === 4) value = text(r.bytes());
    else if (field === 5) value = decodeTensor(r.bytes());
    else if (field === 7) readRepeated(r, wire, (x) => x.float(), list);
    else if (field === 8) readRepeated(r, wire, (x) => x.int64(), list);
    else if (field === 20) type = r.varint();
    else r.skip(wire);
  }
  // AttributeProto types 6 (FLOATS) and 7 (INTS) are lists even when empty.
  if (type === 6 || type === 7) value = list;
  return [name, value ?? list];
}

function decodeNode(buf: Uint8Array): OnnxNode {
  const r = new Reader(buf);
  const node: OnnxNode = { opType: '', inputs: [], outputs: [], attrs: {} };
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    if (field === 1) node.inputs.push(text(r.bytes()));
    else if (field === 2) node.outputs.push(text(r.bytes()));
    else if (field === 4) node.opType = text(r.bytes());
    else if (field === 5) { const [k, v] = decodeAttr(r.bytes()); node.attrs[k] = v; }
    else r.skip(tag & 7);
  }
  return node;
}

interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputNames: string[];
  outputNames: string[];
}

/** ValueInfoProto: only its name (field 1) matters here. */
function valueInfoName(buf: Uint8Array): string {
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.varint();
    if (Math.floor(tag / 8) === 1) return text(r.bytes());
    r.skip(tag & 7);
  }
  return '';
}

function decodeModelGraph(buf: Uint8Array): OnnxGraph {
  const r = new Reader(buf);
  const graph: OnnxGraph = { nodes: [], initializers: [], inputNames: [], outputNames: [] };
  while (!r.done) {
    const tag = r.varint();
    if (Math.floor(tag / 8) !== 7) { r.skip(tag & 7); continue; }
    const g = new Reader(r.bytes());
    while (!g.done) {
      const gt = g.varint();
      const field = Math.floor(gt / 8);
      if (field === 1) graph.nodes.push(decodeNode(g.bytes()));
      else if (field === 5) graph.initializers.push(decodeTensor(g.bytes()));
      else if (field === 11) graph.inputNames.push(valueInfoName(g.bytes()));
      else if (field === 12) graph.outputNames.push(valueInfoName(g.bytes()));
      else g.skip(gt & 7);
    }
  }
  return graph;
}

/**
 * Load a case. `inputs` holds the graph inputs in order, with initializers (PyTorch exports keep
 * weights there) merged in by name, so inputs line up with the first node's input list.
 */
export function loadOnnxCase(name: string): OnnxCase {
  const dir = path.join(onnxNodeDir, name);
  const graph = decodeModelGraph(readFileSync(path.join(dir, 'model.onnx')));
  const data = path.join(dir, 'test_data_set_0');
  const files = readdirSync(data).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const load = (prefix: string): OnnxTensor[] =>
    files.filter((f) => f.startsWith(prefix)).map((f) => decodeTensor(readFileSync(path.join(data, f))));
  const fed = load('input_');
  const init = new Map(graph.initializers.map((t) => [t.name, t]));
  const byName = new Map<string, OnnxTensor>(init);
  graph.inputNames.filter((n) => !init.has(n)).forEach((n, i) => { if (fed[i]) byName.set(n, { ...fed[i]!, name: n }); });
  const first = graph.nodes[0];
  const inputs = first
    ? first.inputs.filter((n) => n !== '').map((n) => byName.get(n)).filter((t): t is OnnxTensor => t !== undefined)
    : fed;
  return { nodes: graph.nodes, inputs: inputs.length > 0 ? inputs : fed, outputs: load('output_'), tensors: byName };
}

export function intsAttr(node: OnnxNode, key: string): number[] | undefined {
  const v = node.attrs[key];
  return Array.isArray(v) ? v : undefined;
}

export function numAttr(node: OnnxNode, key: string): number | undefined {
  const v = node.attrs[key];
  return typeof v === 'number' ? v : undefined;
}

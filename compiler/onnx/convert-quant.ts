/**
 * ONNX → Kiln for quantized models. Two representations, chosen per node:
 * - a QuantizeLinear → DequantizeLinear pair on the output of a conv2d or dense layer, and a
 *   DequantizeLinear of constant int8/uint8 weights, become that layer's precision with the
 *   model's own scales and zero points (`activations = i8`, `weights = i8 per_channel`), which
 *   training, `kiln run` and the estimators read;
 * - anything else runs as ops: QuantizeLinear is Kiln's `quantize`, DequantizeLinear is
 *   (x − zero_point)·scale, and QLinearConv / QLinearMatMul / ConvInteger / MatMulInteger are the
 *   integer product of zero-point-centred operands (exact in f32 while sums stay below 2^24),
 *   scaled by x_scale·w_scale / y_scale and quantized.
 * uint8 is carried as int8 with the zero point shifted by −128: saturate(round(x/s) + z) over
 * [0, 255] is saturate(round(x/s) + z − 128) over [−128, 127] plus 128, so nothing is approximated.
 */
import type { Precision } from '../ir/dtype.ts';
import { Unsupported, type Builder, type Const, type QuantNote, type Value } from './builder.ts';
import { Attrs } from './attrs.ts';
import { NN_CONVERTERS } from './convert-nn.ts';
import { type Converter, i8Precision, size } from './convert-util.ts';
import { normAxis } from './fold.ts';
import { type OnnxNode, dtypeName } from './proto.ts';

const RANGE_OF: Readonly<Record<number, string>> = { 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16' };
const f32 = Math.fround;

function rangeOf(dataType: number, op: string): string {
  const r = RANGE_OF[dataType];
  if (!r) throw new Unsupported(`${op} on ${dtypeName(dataType)}: Kiln's integer ranges are int8, uint8, int16 and uint16`);
  return r;
}

/** Index of the slice along `axis` that flat element i of a [dims] tensor lies in (0 when per tensor). */
function sliceOf(dims: readonly number[], axis: number | undefined): (i: number) => number {
  if (axis === undefined) return () => 0;
  const inner = size(dims.slice(axis + 1)), len = dims[axis]!;
  return (i) => Math.floor(i / inner) % len;
}

/** Scale and zero point of a QuantizeLinear / DequantizeLinear: per tensor, or along `axis`. */
function quantParams(n: OnnxNode, b: Builder, dims: readonly number[], dataType: number): QuantNote {
  const a = new Attrs(n).only('axis', 'block_size', 'saturate', 'output_dtype', 'precision');
  const scale = b.constant(n.inputs[1]!, `${n.opType} scale`);
  if (a.int('block_size', 0) !== 0 || scale.dims.length > 1) throw new Unsupported(`${n.opType} with blocked scales: Kiln's scales are per tensor or per channel`);
  const zp = n.inputs[2] ? b.constant(n.inputs[2], `${n.opType} zero point`) : undefined;
  const count = size(scale.dims);
  if (zp && size(zp.dims) !== count) throw new Unsupported(`${n.opType} scale and zero point differ in size`);
  let axis: number | undefined;
  if (scale.dims.length === 1 && count > 1) {
    axis = normAxis(a.int('axis', 1), dims.length, n.opType);
    if (dims[axis] !== count) throw new Unsupported(`${n.opType} has ${count} scales for axis ${axis} of [${dims.join(', ')}]`);
  }
  return { dataType, scale: scale.values.map(f32), zeroPoint: zp?.values ?? new Float64Array(count), axis };
}

/** A constant param of `values` shaped to broadcast along `axis` of a rank-`rank` tensor. */
function perAxisParam(b: Builder, values: ArrayLike<number>, axis: number | undefined, rank: number, name: string): Value {
  const shape = axis === undefined || values.length === 1 ? [] : [values.length, ...new Array<number>(rank - axis - 1).fill(1)];
  return b.emit('param', [], { shape }, name, { value: axis === undefined || values.length === 1 ? [values[0]!] : values });
}

function quantizeLinear(n: OnnxNode, b: Builder): void {
  const out = n.outputs[0]!;
  const x = b.data(n.inputs[0]!);
  const zpType = n.inputs[2] ? b.elemType(n.inputs[2]) : undefined;
  const dataType = zpType ?? (new Attrs(n).int('output_dtype', 0) || 2);
  const to = rangeOf(dataType, 'QuantizeLinear');
  const q = quantParams(n, b, x.type.shape, dataType);
  const per = q.axis !== undefined;
  b.bindValue(out, b.emit('quantize', [x], { to, per_channel: per, axis: q.axis ?? 1 }, out, { scale: q.scale, zero_point: q.zeroPoint }));
  b.quant.set(out, { ...q, from: n.inputs[0]! });
}

const sameNumbers = (a: ArrayLike<number>, c: ArrayLike<number>): boolean => a.length === c.length && Array.from(a).every((v, i) => v === c[i]);

/**
 * A Q → DQ pair, with the same parameters, that alone reads a conv2d or dense output becomes the
 * layer's activation precision. Returns the layer's value, or undefined when the pattern is absent.
 */
function fuseIntoLayer(b: Builder, qName: string, dq: QuantNote): Value | undefined {
  const q = b.quant.get(qName);
  if (!q?.from || (q.dataType !== 2 && q.dataType !== 3) || q.dataType !== dq.dataType) return undefined;
  if (q.axis !== dq.axis || !sameNumbers(q.scale, dq.scale) || !sameNumbers(q.zeroPoint, dq.zeroPoint)) return undefined;
  if (b.uses.get(q.from) !== 1 || b.uses.get(qName) !== 1) return undefined;
  const v = b.data(q.from);
  const node = b.nodes[v.id]!;
  if (node.op !== 'conv2d' && node.op !== 'dense') return undefined;
  if ((node.attrs.activations as Precision).dtype !== 'f32') return undefined;
  if (q.axis !== undefined && (q.axis !== 1 || v.type.shape.length < 2)) return undefined;
  return b.reattr(v.id, { activations: i8Precision(q, q.axis === undefined ? 'per_tensor' : 'per_channel') });
}

function dequantizeLinear(n: OnnxNode, b: Builder): void {
  const out = n.outputs[0]!;
  const xName = n.inputs[0]!;
  // A quantize node holds uint8 in i16: the note keeps the ONNX type.
  const dataType = b.quant.get(xName)?.dataType ?? b.elemType(xName) ?? 1;
  if (dataType !== 6) rangeOf(dataType, 'DequantizeLinear');
  const dims = b.shape(xName);
  const q = quantParams(n, b, dims, dataType);
  if (dataType === 6 && q.zeroPoint.some((z) => z !== 0)) throw new Unsupported('DequantizeLinear of int32 with a non-zero zero point (ONNX allows only 0)');
  if (b.isConst(xName)) {
    // Constant integers (weights, int32 biases) fold to the reals they stand for; the note lets
    // the layer that reads them record their precision.
    const c = b.constant(xName, 'DequantizeLinear input');
    const at = sliceOf(dims, q.axis);
    b.bindConst(out, { dims: [...dims], dataType: 1, values: c.values.map((v, i) => f32(f32(v - q.zeroPoint[at(i)]!) * q.scale[at(i)]!)) });
    b.quant.set(out, q);
    return;
  }
  const fused = fuseIntoLayer(b, xName, q);
  if (fused) { b.bindValue(out, fused); return; }
  let v = b.data(xName, { unsigned: true });
  const r = dims.length;
  if (q.zeroPoint.some((z) => z !== 0)) v = b.emit('add', [v, perAxisParam(b, q.zeroPoint.map((z) => -z), q.axis, r, `${out}.zero_point`)], {}, `${out}.centred`);
  b.bindValue(out, b.emit('mul', [v, perAxisParam(b, q.scale, q.axis, r, `${out}.scale`)], {}, out));
}

/** Zero point of an integer operand (absent: 0), read as constant values. */
function zeroPoint(b: Builder, name: string | undefined, what: string): Const | undefined {
  if (!name) return undefined;
  const c = b.constant(name, what);
  return c.values.some((z) => z !== 0) ? c : undefined;
}

/** x − zero_point for a data operand, bound to a fresh name; `rowAxis` places a per-row zero point. */
function centredData(b: Builder, name: string, zp: Const | undefined, rowAxis: number, tmp: string): string {
  let v = b.data(name, { unsigned: true });
  if (zp) {
    const per = size(zp.dims) > 1 ? rowAxis : undefined;
    v = b.emit('add', [v, perAxisParam(b, zp.values.map((z) => -z), per, v.type.shape.length, `${tmp}.zero_point`)], {}, tmp);
  }
  b.bindValue(tmp, v);
  return tmp;
}

/** w − zero_point for a constant operand (per tensor, or per slice along `axis`), bound to a fresh name. */
function centredConst(b: Builder, name: string, zp: Const | undefined, axis: number, tmp: string, what: string): string {
  const c = b.constant(name, what);
  const at = zp && size(zp.dims) > 1 ? sliceOf(c.dims, axis) : () => 0;
  b.bindConst(tmp, { dims: c.dims, dataType: 6, values: zp ? c.values.map((v, i) => v - zp.values[at(i)]!) : c.values });
  return tmp;
}

const derived = (n: OnnxNode, opType: string, inputs: string[], output: string): OnnxNode => ({ ...n, opType, inputs, outputs: [output] });

/** Integer conv: Conv of the centred operands (int32 bias added to the accumulator). */
function integerConv(n: OnnxNode, b: Builder, opset: number, ins: { x: string; xzp?: string; w: string; wzp?: string; bias?: string }, out: string): Value {
  const x = centredData(b, ins.x, zeroPoint(b, ins.xzp, `${n.opType} x zero point`), 1, `${out}.x`);
  const w = centredConst(b, ins.w, zeroPoint(b, ins.wzp, `${n.opType} w zero point`), 0, `${out}.w`, `${n.opType} weight`);
  NN_CONVERTERS.Conv!(derived(n, 'Conv', ins.bias ? [x, w, ins.bias] : [x, w], out), b, opset);
  return b.data(out);
}

/** Integer matmul: MatMul of the centred operands (a per-row A zero point, a per-column B one). */
function integerMatMul(n: OnnxNode, b: Builder, opset: number, ins: { a: string; azp?: string; b: string; bzp?: string }, out: string): Value {
  const rank = b.shape(ins.a).length;
  const a = centredData(b, ins.a, zeroPoint(b, ins.azp, `${n.opType} a zero point`), rank - 2, `${out}.a`);
  const w = centredConst(b, ins.b, zeroPoint(b, ins.bzp, `${n.opType} b zero point`), b.shape(ins.b).length - 1, `${out}.b`, `${n.opType} B`);
  NN_CONVERTERS.MatMul!(derived(n, 'MatMul', [a, w], out), b, opset);
  return b.data(out);
}

/** acc · (x_scale · w_scale / y_scale), then QuantizeLinear with scale 1 and y's zero point. */
function requantize(n: OnnxNode, b: Builder, acc: Value, sx: string, sw: string, sy: string, zy: string | undefined, wAxis: number, out: string): void {
  const one = (name: string, what: string): number => {
    const c = b.constant(name, `${n.opType} ${what}`);
    if (size(c.dims) !== 1) throw new Unsupported(`${n.opType} with a per-row ${what}: Kiln takes one ${what} here`);
    return f32(c.values[0]!);
  };
  const xs = one(sx, 'input scale'), ys = one(sy, 'output scale');
  const ws = b.constant(sw, `${n.opType} weight scale`).values;
  const k = ws.map((w) => f32(f32(xs * f32(w)) / ys));
  const rank = acc.type.shape.length;
  const scaled = b.emit('mul', [acc, perAxisParam(b, k, ws.length > 1 ? wAxis : undefined, rank, `${out}.multiplier`)], {}, `${out}.scaled`);
  const zp = zy ? b.constant(zy, `${n.opType} output zero point`) : undefined;
  if (zp && size(zp.dims) !== 1) throw new Unsupported(`${n.opType} with a per-channel output zero point`);
  const to = rangeOf(zy ? b.elemType(zy) ?? 2 : b.elemType(n.inputs[0]!) ?? 2, n.opType);
  b.bindValue(out, b.emit('quantize', [scaled], { to }, out, { scale: [1], zero_point: [zp?.values[0] ?? 0] }));
}

function qlinearConv(n: OnnxNode, b: Builder, opset: number): void {
  const [x, sx, xzp, w, sw, wzp, sy, yzp, bias] = n.inputs;
  const out = n.outputs[0]!;
  const acc = integerConv(n, b, opset, { x: x!, xzp, w: w!, wzp, bias: bias || undefined }, `${out}.acc`);
  requantize(n, b, acc, sx!, sw!, sy!, yzp, 1, out);
}

function qlinearMatMul(n: OnnxNode, b: Builder, opset: number): void {
  new Attrs(n).only();
  const [a, sa, azp, bb, sb, bzp, sy, yzp] = n.inputs;
  const out = n.outputs[0]!;
  const acc = integerMatMul(n, b, opset, { a: a!, azp, b: bb!, bzp }, `${out}.acc`);
  requantize(n, b, acc, sa!, sb!, sy!, yzp, acc.type.shape.length - 1, out);
}

const convInteger: Converter = (n, b, opset) => {
  const [x, w, xzp, wzp] = n.inputs;
  b.bindValue(n.outputs[0]!, integerConv(n, b, opset, { x: x!, w: w!, xzp, wzp }, n.outputs[0]!));
};

const matMulInteger: Converter = (n, b, opset) => {
  new Attrs(n).only();
  const [a, bb, azp, bzp] = n.inputs;
  b.bindValue(n.outputs[0]!, integerMatMul(n, b, opset, { a: a!, azp, b: bb!, bzp }, n.outputs[0]!));
};

export const QUANT_CONVERTERS: Record<string, Converter> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinearConv,
  QLinearMatMul: qlinearMatMul,
  ConvInteger: convInteger,
  MatMulInteger: matMulInteger,
};

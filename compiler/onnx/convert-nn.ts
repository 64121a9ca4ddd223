/**
 * ONNX → Kiln for the layers with weights or windows: Conv, MaxPool, AveragePool, the global
 * pools, BatchNormalization, Gemm and MatMul. 1-D windows run as 2-D with a unit height.
 */
import { Unsupported, type Builder, type Value } from './builder.ts';
import { Attrs } from './attrs.ts';
import { transposeConst } from './fold.ts';
import { type Converter, weightPrecision, lift, perAxis, reshapeTo, same, scaleBy, scaled, size, windowPads, windowRank } from './convert-util.ts';
import type { OnnxNode } from './proto.ts';
import type { Precision } from '../ir/dtype.ts';

function conv(n: OnnxNode, b: Builder): void {
  const a = new Attrs(n).only('auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides');
  const out = n.outputs[0]!;
  const x = b.data(n.inputs[0]!);
  const r = windowRank('Conv', x);
  const w = b.constant(n.inputs[1]!, 'Conv weight');
  const bias = n.inputs[2] ? b.constant(n.inputs[2], 'Conv bias') : undefined;
  const kernel = w.dims.slice(2);
  const ks = a.ints('kernel_shape');
  if (ks && !same(ks, kernel)) throw new Unsupported(`Conv kernel_shape [${ks.join(', ')}] disagrees with the weight's [${kernel.join(', ')}]`);
  if (kernel.length !== r) throw new Unsupported(`Conv weight [${w.dims.join(', ')}] does not fit a ${r}-D input`);
  const strides = perAxis(a, 'strides', r), dilations = perAxis(a, 'dilations', r);
  const pads = windowPads(a, x.type.shape.slice(2), kernel, strides, dilations);
  const g = lift(r, kernel, strides, dilations, pads);
  const [nb, c] = x.type.shape as [number, number];
  const x4 = reshapeTo(b, x, r === 1 ? [nb, c, 1, x.type.shape[2]!] : x.type.shape, `${out}.as2d`);
  const y = b.emit('conv2d', [x4], {
    filters: w.dims[0]!, kernel: g.kernel, stride: g.stride, pad: g.pad, dilation: g.dilation, groups: a.int('group', 1), bias: bias !== undefined,
    ...weightPrecision(b, n.inputs[1]!, 0),
  }, r === 1 ? `${out}.conv2d` : out, bias ? { weight: w.values, bias: bias.values } : { weight: w.values });
  b.bindValue(out, r === 1 ? reshapeTo(b, y, [nb, w.dims[0]!, y.type.shape[3]!], out) : y);
}

const pool = (kind: 'max' | 'avg'): Converter => (n, b, opset) => {
  const a = new Attrs(n).only('auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides', ...(kind === 'avg' ? ['count_include_pad'] : ['storage_order']));
  b.unavailable(n.outputs[1], 'MaxPool\'s Indices output (argmax positions) has no Kiln equivalent');
  const out = n.outputs[0]!;
  const x = b.data(n.inputs[0]!);
  const r = windowRank(n.opType, x);
  const kernel = a.ints('kernel_shape');
  if (!kernel || kernel.length !== r) throw new Unsupported(`${n.opType} needs kernel_shape with ${r} values`);
  const strides = perAxis(a, 'strides', r), dilations = perAxis(a, 'dilations', r);
  const pads = windowPads(a, x.type.shape.slice(2), kernel, strides, dilations);
  const g = lift(r, kernel, strides, dilations, pads);
  const [nb, c] = x.type.shape as [number, number];
  const x4 = reshapeTo(b, x, r === 1 ? [nb, c, 1, x.type.shape[2]!] : x.type.shape, `${out}.as2d`);
  const attrs = {
    kernel: g.kernel, stride: g.stride, pad: g.pad, dilation: g.dilation, ceil_mode: opset >= 10 && a.int('ceil_mode', 0) === 1,
    ...(kind === 'avg' ? { count_include_pad: a.int('count_include_pad', 0) === 1 } : {}),
  };
  const y = b.emit(kind === 'max' ? 'maxpool2d' : 'avgpool2d', [x4], attrs, r === 1 ? `${out}.pool` : out);
  b.bindValue(out, r === 1 ? reshapeTo(b, y, [nb, c, y.type.shape[3]!], out) : y);
};

const globalPool = (kind: 'max' | 'avg'): Converter => (n, b) => {
  new Attrs(n).only();
  const out = n.outputs[0]!;
  const x = b.data(n.inputs[0]!);
  const r = windowRank(n.opType, x);
  const [nb, c] = x.type.shape as [number, number];
  const x4 = reshapeTo(b, x, r === 1 ? [nb, c, 1, x.type.shape[2]!] : x.type.shape, `${out}.as2d`);
  const [h, w] = x4.type.shape.slice(2) as [number, number];
  const name = r === 1 ? `${out}.pool` : out;
  const y = kind === 'avg' ? b.emit('global_avgpool', [x4], {}, name) : b.emit('maxpool2d', [x4], { kernel: [h, w], stride: [1, 1] }, name);
  b.bindValue(out, r === 1 ? reshapeTo(b, y, [nb, c, 1], out) : y);
};

/**
 * Training mode: is_test = 0 before opset 7, several outputs in opsets 7–13, training_mode since 14.
 * ONNX's momentum keeps that share of the running statistic; Kiln's momentum is the update rate.
 */
function batchNormalization(n: OnnxNode, b: Builder, opset: number): void {
  const a = new Attrs(n).only('epsilon', 'momentum', 'is_test', 'spatial', 'training_mode');
  if (a.int('spatial', 1) !== 1) throw new Unsupported('BatchNormalization with spatial = 0 (statistics per position) is not Kiln\'s batchnorm');
  const outs = n.outputs.filter((o) => o !== '');
  const training = opset < 7 ? a.int('is_test', 0) === 0 : opset < 14 ? outs.length > 1 : a.int('training_mode', 0) === 1;
  b.requireMode(training ? 'training' : 'inference', `BatchNormalization \`${n.outputs[0]}\``);
  const x = b.data(n.inputs[0]!);
  const k = (i: number, what: string) => b.constant(n.inputs[i]!, `BatchNormalization ${what}`).values;
  const y = b.emit('batchnorm', [x], { eps: a.float('epsilon', 1e-5), momentum: 1 - a.float('momentum', 0.9) }, n.outputs[0]!, {
    gamma: k(1, 'scale'), beta: k(2, 'bias'), running_mean: k(3, 'mean'), running_var: k(4, 'variance'),
  });
  b.bindValue(n.outputs[0]!, y);
  if (training) {
    b.bindState(n.outputs[1], y.id, 'running_mean');
    b.bindState(n.outputs[2], y.id, 'running_var');
  } else {
    b.unavailable(n.outputs[1], 'BatchNormalization running statistics outputs exist only in training mode');
  }
  for (const o of n.outputs.slice(3)) b.unavailable(o, 'BatchNormalization\'s saved batch statistics outputs have no Kiln equivalent');
}

/** x·Wᵀ with W known: a Kiln dense over the last axis, reshaping ranks dense does not take. */
function denseOver(b: Builder, x: Value, weight: Float64Array, units: number, bias: ArrayLike<number> | undefined, name: string, precision: { weights?: Precision } = {}): Value {
  const xs = x.type.shape;
  const k = xs[xs.length - 1]!;
  const flat = xs.length === 2 || xs.length === 3 ? x : reshapeTo(b, x, [size(xs.slice(0, -1)), k], `${name}.rows`);
  const y = b.emit('dense', [flat], { units, bias: bias !== undefined, ...precision }, flat === x ? name : `${name}.dense`, bias ? { weight, bias } : { weight });
  return reshapeTo(b, y, [...xs.slice(0, -1), units], name);
}

function gemm(n: OnnxNode, b: Builder): void {
  const a = new Attrs(n).only('alpha', 'beta', 'transA', 'transB', 'broadcast');
  const out = n.outputs[0]!;
  const alpha = a.float('alpha', 1), beta = a.float('beta', 1);
  let x = b.data(n.inputs[0]!);
  if (x.type.shape.length !== 2) throw new Unsupported('Gemm needs a 2-D A');
  if (a.int('transA', 0) === 1) x = b.emit('transpose', [x], { perm: [1, 0] }, `${out}.At`);
  const bName = n.inputs[1]!, cName = n.inputs[2];
  let y: Value;
  let cLeft = cName !== undefined && cName !== '' && beta !== 0;
  if (b.isKnown(bName)) {
    const bm = b.constant(bName, 'Gemm B');
    const w = a.int('transB', 0) === 1 ? bm : transposeConst(bm, [1, 0]);
    const units = w.dims[0]!;
    let bias: Float64Array | undefined;
    if (cLeft && b.isKnown(cName!)) {
      const c = b.constant(cName!, 'Gemm C');
      const vector = size(c.dims) === 1 || (c.dims[c.dims.length - 1] === units && size(c.dims) === units);
      if (vector) {
        bias = size(c.dims) === 1 ? new Float64Array(units).fill(beta * c.values[0]!) : scaled(c, beta);
        cLeft = false;
      }
    }
    const precision = alpha === 1 ? weightPrecision(b, bName, a.int('transB', 0) === 1 ? 0 : 1) : {};
    y = b.emit('dense', [x], { units, bias: bias !== undefined, ...precision }, cLeft ? `${out}.dense` : out, bias ? { weight: scaled(w, alpha), bias } : { weight: scaled(w, alpha) });
  } else {
    let bv = b.data(bName);
    if (a.int('transB', 0) === 1) bv = b.emit('transpose', [bv], { perm: [1, 0] }, `${out}.Bt`);
    y = scaleBy(b, b.emit('matmul', [x, bv], {}, `${out}.matmul`), alpha, cLeft ? `${out}.ab` : out);
  }
  if (cLeft) {
    const c = b.isKnown(cName!) ? b.emit('param', [], { shape: b.shape(cName!) }, `${out}.C`, { value: scaled(b.constant(cName!, 'Gemm C'), beta) }) : scaleBy(b, b.data(cName!), beta, `${out}.bC`);
    y = b.emit('add', [y, c], {}, out);
  }
  b.bindValue(out, y);
}

/** MatMul by a known matrix is a dense layer; otherwise Kiln's matmul (NumPy semantics). */
function matMul(n: OnnxNode, b: Builder): void {
  new Attrs(n).only();
  const out = n.outputs[0]!;
  const x = b.data(n.inputs[0]!);
  const bName = n.inputs[1]!;
  const bShape = b.shape(bName);
  if (b.isKnown(bName) && bShape.length <= 2) {
    const bm = b.constant(bName, 'MatMul B');
    const w = bShape.length === 1 ? { ...bm, dims: [1, bShape[0]!] } : transposeConst(bm, [1, 0]);
    const units = w.dims[0]!;
    const xv = x.type.shape.length === 1 ? reshapeTo(b, x, [1, x.type.shape[0]!], `${out}.row`) : x;
    const y = denseOver(b, xv, w.values, units, undefined, bShape.length === 1 || x.type.shape.length === 1 ? `${out}.dense` : out, bShape.length === 2 ? weightPrecision(b, bName, 1) : {});
    const want = [...x.type.shape.slice(0, -1), ...(bShape.length === 1 ? [] : [units])];
    b.bindValue(out, reshapeTo(b, y, want, out));
    return;
  }
  b.bindValue(out, b.emit('matmul', [x, b.data(bName)], {}, out));
}

export const NN_CONVERTERS: Record<string, Converter> = {
  Conv: conv,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
  BatchNormalization: batchNormalization,
  Gemm: gemm,
  MatMul: matMul,
};

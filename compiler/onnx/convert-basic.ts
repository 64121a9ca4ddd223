/**
 * ONNX → Kiln for activations, normalizers, elementwise arithmetic, data movement and dropout.
 */
import { Unsupported, type Builder, type Value } from './builder.ts';
import { Attrs } from './attrs.ts';
import { normAxis, reshapeTarget, squeezeDims, unsqueezeDims, axesOf } from './fold.ts';
import { type Converter, reshapeTo, size } from './convert-util.ts';
import type { OnnxNode } from './proto.ts';

/** The largest f32: stands in for an absent Clip bound (IR attributes must survive JSON, ±∞ do not). */
export const F32_MAX = 3.4028234663852886e38;

const unary = (op: string): Converter => (n, b) => {
  new Attrs(n).only();
  b.bindValue(n.outputs[0]!, b.emit(op, [b.data(n.inputs[0]!)], {}, n.outputs[0]!));
};

function leakyRelu(n: OnnxNode, b: Builder): void {
  const a = new Attrs(n).only('alpha');
  b.bindValue(n.outputs[0]!, b.emit('leaky_relu', [b.data(n.inputs[0]!)], { alpha: a.float('alpha', 0.01) }, n.outputs[0]!));
}

/**
 * Kiln's prelu has one slope per channel (axis 1) or one in all. Before opset 7 a 1-D slope meant
 * per channel; since, the slope broadcasts NumPy-style, so per channel is [C, 1, …, 1]. Any other
 * slope layout is built exactly from Kiln ops: relu(x) + slope·(x − relu(x)).
 */
function pRelu(n: OnnxNode, b: Builder, opset: number): void {
  new Attrs(n).only();
  const out = n.outputs[0]!;
  const x = b.data(n.inputs[0]!);
  const slope = b.constant(n.inputs[1]!, 'PRelu slope');
  const xs = x.type.shape;
  const count = size(slope.dims);
  const aligned = [...new Array<number>(Math.max(0, xs.length - slope.dims.length)).fill(1), ...slope.dims];
  const perChannel = xs.length >= 2 && count === xs[1] && (opset < 7 ? slope.dims.length === 1 : aligned.length === xs.length && aligned.every((d, i) => (i === 1 ? d === xs[1] : d === 1)));
  if (count === 1 || perChannel) {
    b.bindValue(out, b.emit('prelu', [x], { shared: count === 1 }, out, { slope: slope.values }));
    return;
  }
  const r = b.emit('relu', [x], {}, `${out}.pos`);
  const m1 = b.emit('param', [], { shape: [] }, `${out}.minus1`, { value: [-1] });
  const neg = b.emit('add', [x, b.emit('mul', [r, m1], {}, `${out}.mpos`)], {}, `${out}.neg`);
  const s = b.emit('param', [], { shape: slope.dims }, `${out}.slope`, { value: slope.values });
  const y = b.emit('add', [r, b.emit('mul', [neg, s], {}, `${out}.scaled`)], {}, out);
  if (y.type.shape.join() !== xs.join()) throw new Unsupported(`PRelu slope [${slope.dims.join(', ')}] does not broadcast to the input [${xs.join(', ')}]`);
  b.bindValue(out, y);
}

/** Clip bounds are attributes before opset 11 and optional inputs since. */
function clipOp(n: OnnxNode, b: Builder, opset: number): void {
  const a = new Attrs(n).only('min', 'max');
  const bound = (i: number, attr: string): number | undefined => {
    if (opset < 11) return a.float(attr);
    const name = n.inputs[i];
    if (!name) return undefined;
    const c = b.constant(name, `Clip ${attr}`);
    if (size(c.dims) !== 1) throw new Unsupported(`Clip ${attr} must be a scalar`);
    return c.values[0]!;
  };
  const lo = bound(1, 'min'), hi = bound(2, 'max');
  if (lo === undefined && hi === undefined) { b.bindAlias(n.outputs[0]!, n.inputs[0]!); return; }
  const attrs = { min: lo ?? -F32_MAX, max: hi ?? F32_MAX };
  b.bindValue(n.outputs[0]!, b.emit('hard_tanh', [b.data(n.inputs[0]!)], attrs, n.outputs[0]!));
}

/** Before opset 13, (log-)softmax flattens the input to 2-D at `axis` (default 1) and normalizes rows. */
const softmaxOp = (op: 'softmax' | 'log_softmax'): Converter => (n, b, opset) => {
  const a = new Attrs(n).only('axis');
  const out = n.outputs[0]!;
  const x = b.data(n.inputs[0]!);
  const r = x.type.shape.length;
  if (opset >= 13) { b.bindValue(out, b.emit(op, [x], { axis: a.int('axis', -1) }, out)); return; }
  const ax = normAxis(a.int('axis', 1), r, n.opType);
  if (ax === r - 1) { b.bindValue(out, b.emit(op, [x], { axis: -1 }, out)); return; }
  const rows = reshapeTo(b, x, [size(x.type.shape.slice(0, ax)), size(x.type.shape.slice(ax))], `${out}.rows`);
  const y = b.emit(op, [rows], { axis: -1 }, `${out}.${op}`);
  b.bindValue(out, reshapeTo(b, y, x.type.shape, out));
};

/**
 * Before opset 7, `broadcast = 1` with `axis` aligns the second operand's axes starting at `axis`
 * instead of at the right: trailing unit axes make NumPy broadcasting do the same.
 */
function operands(n: OnnxNode, b: Builder, opset: number): [Value, Value] {
  const a = new Attrs(n).only('broadcast', 'axis');
  const x = b.data(n.inputs[0]!);
  let y = b.data(n.inputs[1]!);
  const axis = a.int('axis');
  if (opset < 7 && a.int('broadcast', 0) === 1 && axis !== undefined) {
    const rx = x.type.shape.length, ys = y.type.shape;
    const start = axis < 0 ? axis + rx : axis;
    y = reshapeTo(b, y, [...ys, ...new Array<number>(Math.max(0, rx - start - ys.length)).fill(1)], `${n.outputs[0]}.aligned`);
  }
  return [x, y];
}

const binary = (op: 'add' | 'mul'): Converter => (n, b, opset) => {
  b.bindValue(n.outputs[0]!, b.emit(op, operands(n, b, opset), {}, n.outputs[0]!));
};

/** a − b = a + (−1)·b; a known b is negated at import. */
function sub(n: OnnxNode, b: Builder, opset: number): void {
  const out = n.outputs[0]!;
  if (b.isKnown(n.inputs[1]!) && opset >= 7) {
    const c = b.constant(n.inputs[1]!, 'Sub operand');
    const neg = b.emit('param', [], { shape: c.dims }, `${out}.neg`, { value: c.values.map((v) => -v) });
    b.bindValue(out, b.emit('add', [b.data(n.inputs[0]!), neg], {}, out));
    return;
  }
  const [x, y] = operands(n, b, opset);
  const m1 = b.emit('param', [], { shape: [] }, `${out}.minus1`, { value: [-1] });
  b.bindValue(out, b.emit('add', [x, b.emit('mul', [y, m1], {}, `${out}.neg`)], {}, out));
}

/** a / b with b known: a·(1/b). A computed divisor has no Kiln op (no reciprocal). */
function div(n: OnnxNode, b: Builder, opset: number): void {
  const out = n.outputs[0]!;
  if (!b.isKnown(n.inputs[1]!) || opset < 7) throw new Unsupported('Div by a computed tensor: Kiln has no division or reciprocal op');
  const c = b.constant(n.inputs[1]!, 'Div divisor');
  const t = b.elemType(n.inputs[0]!);
  if (t !== undefined && t !== 1 && t !== 10 && t !== 16) throw new Unsupported('integer Div truncates; Kiln computes in reals');
  const inv = b.emit('param', [], { shape: c.dims }, `${out}.reciprocal`, { value: c.values.map((v) => 1 / v) });
  b.bindValue(out, b.emit('mul', [b.data(n.inputs[0]!), inv], {}, out));
}

function sum(n: OnnxNode, b: Builder): void {
  new Attrs(n).only();
  const ins = n.inputs.filter((i) => i !== '');
  if (ins.length === 1) { b.bindAlias(n.outputs[0]!, ins[0]!); return; }
  let acc = b.data(ins[0]!);
  ins.slice(1).forEach((name, k) => { acc = b.emit('add', [acc, b.data(name)], {}, k === ins.length - 2 ? n.outputs[0]! : `${n.outputs[0]}.sum${k}`); });
  b.bindValue(n.outputs[0]!, acc);
}

function concatOp(n: OnnxNode, b: Builder, opset: number): void {
  const a = new Attrs(n).only('axis');
  const ins = n.inputs.filter((i) => i !== '');
  if (ins.length === 1) { b.bindAlias(n.outputs[0]!, ins[0]!); return; }
  const axis = a.int('axis') ?? (opset < 4 ? 1 : undefined);
  if (axis === undefined) throw new Unsupported('Concat without axis');
  b.bindValue(n.outputs[0]!, b.emit('concat', ins.map((i) => b.data(i)), { axis }, n.outputs[0]!));
}

/** Kiln's flatten takes axis ≥ 1 below the rank; axis 0 and axis = rank are plain reshapes. */
function flattenOp(n: OnnxNode, b: Builder): void {
  const a = new Attrs(n).only('axis');
  const x = b.data(n.inputs[0]!);
  const xs = x.type.shape;
  const ax0 = a.int('axis', 1);
  const ax = ax0 < 0 ? ax0 + xs.length : ax0;
  if (ax < 0 || ax > xs.length) throw new Unsupported(`Flatten axis ${ax0} is out of range for rank ${xs.length}`);
  const out = n.outputs[0]!;
  if (ax >= 1 && ax < xs.length) { b.bindValue(out, b.emit('flatten', [x], { axis: ax }, out)); return; }
  b.bindValue(out, b.emit('reshape', [x], { shape: [size(xs.slice(0, ax)), size(xs.slice(ax))] }, out));
}

function reshapeOp(n: OnnxNode, b: Builder, opset: number): void {
  const a = new Attrs(n).only('shape', 'allowzero');
  const x = b.data(n.inputs[0]!);
  const shape = opset < 5 ? a.ints('shape') ?? [] : [...b.constant(n.inputs[1]!, 'Reshape shape').values];
  const target = reshapeTarget(x.type.shape, shape, a.int('allowzero', 0) === 1);
  b.bindValue(n.outputs[0]!, b.emit('reshape', [x], { shape: target }, n.outputs[0]!));
}

function transposeOp(n: OnnxNode, b: Builder): void {
  const a = new Attrs(n).only('perm');
  const x = b.data(n.inputs[0]!);
  const r = x.type.shape.length;
  const perm = a.ints('perm') ?? [...Array(r).keys()].reverse();
  b.bindValue(n.outputs[0]!, b.emit('transpose', [x], { perm: perm.map((p) => (p < 0 ? p + r : p)) }, n.outputs[0]!));
}

const squeezeOp = (kind: 'squeeze' | 'unsqueeze'): Converter => (n, b, opset) => {
  new Attrs(n).only('axes');
  const x = b.data(n.inputs[0]!);
  const axes = axesOf(n, b, opset);
  const dims = kind === 'squeeze' ? squeezeDims(x.type.shape, axes) : unsqueezeDims(x.type.shape, axes ?? []);
  b.bindValue(n.outputs[0]!, b.emit('reshape', [x], { shape: dims }, n.outputs[0]!));
};

/** Gather of rows of a known 2-D table by computed token ids is an embedding lookup. */
function gather(n: OnnxNode, b: Builder): void {
  const a = new Attrs(n).only('axis');
  if (!b.isKnown(n.inputs[0]!) || a.int('axis', 0) !== 0) throw new Unsupported('Gather other than rows of a known table by computed ids: Kiln only has embedding lookups');
  const table = b.constant(n.inputs[0]!, 'Gather table');
  if (table.dims.length !== 2) throw new Unsupported(`Gather from a ${table.dims.length}-D table: Kiln's embedding table is 2-D`);
  const ids = b.data(n.inputs[1]!, { ids: true });
  const [vocab, dim] = table.dims as [number, number];
  b.bindValue(n.outputs[0]!, b.emit('embedding', [ids], { vocab, dim }, n.outputs[0]!, { table: table.values }));
}

/**
 * Dropout in inference is the identity, so no Kiln node is made. In training (is_test = 0 before
 * opset 7; the training_mode input since opset 12) it becomes an elementwise Kiln dropout.
 */
function dropoutOp(n: OnnxNode, b: Builder, opset: number): void {
  const a = new Attrs(n).only('ratio', 'is_test', 'seed');
  b.unavailable(n.outputs[1], 'the mask output of a training-mode Dropout has no Kiln equivalent');
  let ratio = a.float('ratio', 0.5);
  let training = opset < 7 ? a.int('is_test', 0) === 0 : false;
  if (opset >= 12) {
    ratio = n.inputs[1] ? b.constant(n.inputs[1], 'Dropout ratio').values[0]! : 0.5;
    training = n.inputs[2] ? b.constant(n.inputs[2], 'Dropout training_mode').values[0]! !== 0 : false;
  }
  if (!training || ratio === 0) {
    // Nothing is dropped, so the mask is all true: a constant.
    if (n.outputs[1]) {
      const dims = b.shape(n.inputs[0]!);
      b.bindConst(n.outputs[1], { dims, dataType: 9, values: new Float64Array(size(dims)).fill(1) });
    }
    b.bindAlias(n.outputs[0]!, n.inputs[0]!);
    return;
  }
  b.requireMode('training', `Dropout \`${n.outputs[0]}\``);
  b.bindValue(n.outputs[0]!, b.emit('dropout', [b.data(n.inputs[0]!)], { p: ratio, mode: 'elementwise' }, n.outputs[0]!));
}

function neg(n: OnnxNode, b: Builder): void {
  new Attrs(n).only();
  const out = n.outputs[0]!;
  const m1 = b.emit('param', [], { shape: [] }, `${out}.minus1`, { value: [-1] });
  b.bindValue(out, b.emit('mul', [b.data(n.inputs[0]!), m1], {}, out));
}

function identity(n: OnnxNode, b: Builder): void {
  new Attrs(n).only();
  b.bindAlias(n.outputs[0]!, n.inputs[0]!);
}

/** A data Cast between float types (or to the type it already has) changes nothing Kiln computes. */
function cast(n: OnnxNode, b: Builder): void {
  const to = new Attrs(n).only('to', 'saturate').int('to', 1);
  const from = b.elemType(n.inputs[0]!);
  if (to !== 1 || (from !== undefined && from !== 1)) throw new Unsupported('Cast of computed values other than float → float');
  b.bindAlias(n.outputs[0]!, n.inputs[0]!);
}

/** The shape operand is read as a constant (a fed shape too), so the result is a constant. */
function constantOfShape(n: OnnxNode, b: Builder): void {
  const t = new Attrs(n).only('value').tensor('value');
  const dims = [...b.constant(n.inputs[0]!, 'ConstantOfShape shape').values];
  b.bindConst(n.outputs[0]!, { dims, dataType: t?.dataType ?? 1, values: new Float64Array(size(dims)).fill(t?.values?.[0] ?? 0) });
}

export const BASIC_CONVERTERS: Record<string, Converter> = {
  ConstantOfShape: constantOfShape,
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  LeakyRelu: leakyRelu,
  PRelu: pRelu,
  Clip: clipOp,
  Softmax: softmaxOp('softmax'),
  LogSoftmax: softmaxOp('log_softmax'),
  Add: binary('add'),
  Mul: binary('mul'),
  Sub: sub,
  Div: div,
  Sum: sum,
  Concat: concatOp,
  Flatten: flattenOp,
  Reshape: reshapeOp,
  Transpose: transposeOp,
  Squeeze: squeezeOp('squeeze'),
  Unsqueeze: squeezeOp('unsqueeze'),
  Gather: gather,
  Dropout: dropoutOp,
  Identity: identity,
  Neg: neg,
  Cast: cast,
};

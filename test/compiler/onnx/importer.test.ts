/**
 * The ONNX importer on models built in memory: ONNX semantics the reference folder does not
 * exercise (matrix Gemm bias, NumPy PRelu slopes, Resize coordinate modes, legacy broadcasting,
 * shape arithmetic folding, embeddings, LSTM with both outputs) checked against plain references
 * from the operator specification, and the reasons given for what Kiln cannot express.
 */
import { describe, expect, it } from 'vitest';
import { moduleFromJson, moduleToJson } from '../../../compiler/ir/json.ts';
import { run } from '../../../runtime/interpreter.ts';
import { importOnnx, type OnnxImport } from '../../../compiler/onnx/importer.ts';
import { decodeModel, decodeTensor } from '../../../compiler/onnx/proto.ts';
import type { Tensor } from '../../../runtime/tensor.ts';
import { conv2dNaive, gemmNaive } from '../../runtime/kernels/helpers/naive.ts';
import { encodeModel, encodeTensor, type ModelIn, type TensorIn } from '../../../bench/lib/onnx-model.ts';
import { type Arr, broadcast, matmulRef, onnxLstm, softmaxRows, values } from './helpers/reference.ts';

type Feeds = Record<string, TensorIn>;

function load(m: ModelIn, feeds: Feeds) {
  const model = decodeModel(encodeModel(m));
  const f = new Map(Object.entries(feeds).map(([k, t]) => [k, decodeTensor(encodeTensor({ ...t, name: k }))]));
  return { r: importOnnx(model, { feeds: f }), f };
}

function importRun(m: ModelIn, feeds: Feeds): { imp: OnnxImport; out: (name: string) => Tensor } {
  const { r, f } = load(m, feeds);
  if (!r.ok) throw new Error(`unexpected SKIP: ${r.reason}`);
  const imp = r.value;
  const inputs = Object.fromEntries(imp.inputs.map(({ name, id }) => [id, { shape: [...f.get(name)!.dims], data: Float32Array.from(f.get(name)!.values!) }]));
  const res = run(imp.module, imp.weights, inputs, { training: imp.training });
  const out = (name: string): Tensor => {
    const b = imp.outputs.find((o) => o.name === name)!.binding;
    return b.kind === 'value' ? res.outputs[b.id]! : res.state[b.id]![b.param]!;
  };
  return { imp, out };
}

function skipReason(m: ModelIn, feeds: Feeds): string {
  const { r } = load(m, feeds);
  if (r.ok) throw new Error('expected a SKIP, the model imported');
  return r.reason;
}

function expectClose(t: Tensor, want: { shape: number[]; data: ArrayLike<number> }, tol = 1e-5): void {
  expect(t.shape).toEqual(want.shape);
  const bad = Array.from(t.data).findIndex((v, i) => !(Math.abs(v - want.data[i]!) <= tol + tol * Math.abs(want.data[i]!)));
  expect(bad, bad >= 0 ? `index ${bad}: got ${t.data[bad]}, expected ${want.data[bad]}` : '').toBe(-1);
}

const T = (dims: number[], seed: number, type = 1): TensorIn => ({ dims, values: values(dims.reduce((a, b) => a * b, 1), seed), type });
const arr = (t: TensorIn): Arr => ({ shape: t.dims, data: Array.from(t.values) });
const single = (op: string, inputs: string[], attrs: ModelIn['nodes'][0]['attrs'], opset: number, ins: ModelIn['inputs'], init: TensorIn[] = [], outputs = ['y']): ModelIn =>
  ({ opset, nodes: [{ op, inputs, outputs, attrs }], inputs: ins, outputs, initializers: init });
const ops = (imp: OnnxImport) => Object.values(imp.module.nodes).map((n) => n.op);

describe('linear algebra', () => {
  it('Gemm with a matrix bias, alpha, beta and both transposes matches α·Aᵀ·Bᵀ + β·C', () => {
    const a = T([4, 3], 1), b = { ...T([5, 4], 2), name: 'b' }, c = { ...T([3, 5], 3), name: 'c' };
    const { out, imp } = importRun(single('Gemm', ['a', 'b', 'c'], { alpha: 0.25, beta: { f: 0.35 }, transA: 1, transB: 1 }, 13, [{ name: 'a', dims: [4, 3] }], [b, c]), { a });
    const want = gemmNaive(3, 5, 4, Float32Array.from(a.values), 3, true, Float32Array.from(b.values), 4, true, Float32Array.from(c.values), 5, 0.25, Math.fround(0.35));
    expectClose(out('y'), { shape: [3, 5], data: want });
    expect(ops(imp)).toEqual(['input', 'transpose', 'dense', 'param', 'add']);
  });

  it('Gemm with a vector bias folds it into the dense layer', () => {
    const a = T([2, 3], 4), b = { ...T([3, 4], 5), name: 'b' }, c = { ...T([4], 6), name: 'c' };
    const { out, imp } = importRun(single('Gemm', ['a', 'b', 'c'], {}, 13, [{ name: 'a', dims: [2, 3] }], [b, c]), { a });
    expectClose(out('y'), broadcast(matmulRef(arr(a), arr(b)), arr(c), (x, y) => x + y));
    expect(ops(imp)).toEqual(['input', 'dense']);
  });

  it('MatMul by a known matrix becomes dense for any rank of A, and matmul otherwise', () => {
    const a = T([2, 1, 3, 4], 7), b = { ...T([4, 3], 8), name: 'b' };
    const dense = importRun(single('MatMul', ['a', 'b'], {}, 13, [{ name: 'a', dims: a.dims }], [b]), { a });
    expectClose(dense.out('y'), matmulRef(arr(a), arr(b)));
    expect(ops(dense.imp)).toContain('dense');
    // B computed by the graph (Relu of an input): Kiln's matmul, with batch broadcasting.
    const bb = T([1, 2, 4, 2], 9);
    const m: ModelIn = {
      opset: 13, inputs: [{ name: 'a', dims: a.dims }, { name: 'b', dims: bb.dims }], outputs: ['y'],
      nodes: [{ op: 'Relu', inputs: ['b'], outputs: ['rb'] }, { op: 'MatMul', inputs: ['a', 'rb'], outputs: ['y'] }],
    };
    const mm = importRun(m, { a, b: bb });
    expectClose(mm.out('y'), matmulRef(arr(a), { shape: bb.dims, data: Array.from(bb.values).map((v) => Math.max(0, v)) }));
    expect(ops(mm.imp)).toContain('matmul');
  });

  it('MatMul with 1-D operands drops the promoted axes (NumPy)', () => {
    const a = T([3], 10), b = T([3], 11);
    const { out } = importRun(single('MatMul', ['a', 'b'], {}, 13, [{ name: 'a', dims: [3] }, { name: 'b', dims: [3] }]), { a, b });
    expectClose(out('y'), matmulRef(arr(a), arr(b)));
    expect(out('y').shape).toEqual([]);
  });
});

describe('activations and arithmetic', () => {
  it('PRelu with a NumPy-broadcast slope (not per channel) is computed exactly', () => {
    const x = T([2, 3, 5], 12), s = { ...T([5], 13), name: 's' };
    const { out } = importRun(single('PRelu', ['x', 's'], {}, 16, [{ name: 'x', dims: x.dims }], [s]), { x });
    expectClose(out('y'), broadcast(arr(x), arr(s), (v, k) => (v < 0 ? k * v : v)));
  });

  it('PRelu before opset 7 reads a 1-D slope per channel; since opset 7 per channel is [C, 1, 1]', () => {
    const x = T([2, 3, 4, 4], 14);
    const slope = [0.1, 0.2, 0.3];
    const want = Array.from(x.values).map((v, i) => (v < 0 ? Math.fround(slope[Math.floor(i / 16) % 3]!) * v : v));
    const old = importRun(single('PRelu', ['x', 's'], {}, 6, [{ name: 'x', dims: x.dims }], [{ name: 's', dims: [3], values: slope }]), { x });
    expectClose(old.out('y'), { shape: x.dims, data: want });
    expect(ops(old.imp)).toEqual(['input', 'prelu']);
    const now = importRun(single('PRelu', ['x', 's'], {}, 16, [{ name: 'x', dims: x.dims }], [{ name: 's', dims: [3, 1, 1], values: slope }]), { x });
    expectClose(now.out('y'), { shape: x.dims, data: want });
    expect(ops(now.imp)).toEqual(['input', 'prelu']);
  });

  it('Clip takes attributes before opset 11 and optional inputs since', () => {
    const x = T([10], 15);
    const old = importRun(single('Clip', ['x'], { min: { f: -0.5 }, max: { f: 0.25 } }, 6, [{ name: 'x', dims: [10] }]), { x });
    expectClose(old.out('y'), { shape: [10], data: Array.from(x.values).map((v) => Math.min(0.25, Math.max(-0.5, v))) });
    const onlyMax = importRun(single('Clip', ['x', '', 'hi'], {}, 13, [{ name: 'x', dims: [10] }], [{ name: 'hi', dims: [], values: [0.1] }]), { x });
    expectClose(onlyMax.out('y'), { shape: [10], data: Array.from(x.values).map((v) => Math.min(Math.fround(0.1), v)) });
  });

  it('Softmax before opset 13 normalizes everything from `axis` on; since, the axis alone', () => {
    const x = T([2, 3, 4], 16);
    const { out } = importRun(single('Softmax', ['x'], { axis: 1 }, 11, [{ name: 'x', dims: x.dims }]), { x });
    expectClose(out('y'), { shape: x.dims, data: softmaxRows(Array.from(x.values), 12) });
    const now = importRun(single('LogSoftmax', ['x'], { axis: 1 }, 13, [{ name: 'x', dims: x.dims }]), { x });
    const want = new Array<number>(24);
    for (let n = 0; n < 2; n++) {
      for (let w = 0; w < 4; w++) {
        const idx = [0, 1, 2].map((c) => n * 12 + c * 4 + w);
        const sm = softmaxRows(idx.map((i) => x.values[i]!), 3);
        idx.forEach((i, c) => { want[i] = Math.log(sm[c]!); });
      }
    }
    expectClose(now.out('y'), { shape: x.dims, data: want });
  });

  it('legacy broadcasting (opset 6, broadcast = 1, axis) aligns the second operand at the axis', () => {
    const a = T([2, 3, 2, 2], 17), b = { ...T([3], 18), name: 'b' };
    const { out } = importRun(single('Add', ['a', 'b'], { broadcast: 1, axis: 1 }, 6, [{ name: 'a', dims: a.dims }], [b]), { a });
    expectClose(out('y'), broadcast(arr(a), { shape: [3, 1, 1], data: Array.from(b.values) }, (x, y) => x + y));
  });

  it('Sub, Neg, Sum and Div by a known divisor compute their ONNX values', () => {
    const x = T([2, 3], 19), z = T([2, 3], 20), d = { name: 'd', dims: [3], values: [2, -4, 0.5] };
    const m: ModelIn = {
      opset: 13, inputs: [{ name: 'x', dims: [2, 3] }, { name: 'z', dims: [2, 3] }], outputs: ['s', 'n', 'u', 'q'], initializers: [d],
      nodes: [
        { op: 'Sub', inputs: ['x', 'z'], outputs: ['s'] }, { op: 'Neg', inputs: ['x'], outputs: ['n'] },
        { op: 'Sum', inputs: ['x', 'z', 'x'], outputs: ['u'] }, { op: 'Div', inputs: ['x', 'd'], outputs: ['q'] },
      ],
    };
    const { out } = importRun(m, { x, z });
    const [X, Z] = [arr(x), arr(z)];
    expectClose(out('s'), broadcast(X, Z, (p, q) => p - q));
    expectClose(out('n'), { shape: [2, 3], data: X.data.map((v) => -v) });
    expectClose(out('u'), broadcast(X, Z, (p, q) => 2 * p + q));
    expectClose(out('q'), broadcast(X, arr(d), (p, q) => p / q));
  });
});

describe('movement and shape arithmetic', () => {
  it('folds Shape → Gather → Unsqueeze → Concat → Reshape into one Kiln reshape', () => {
    const x = T([2, 3, 4], 21);
    const m: ModelIn = {
      opset: 13, inputs: [{ name: 'x', dims: x.dims }], outputs: ['y'],
      initializers: [{ name: 'zero', dims: [], values: [0], type: 7 }, { name: 'minus1', dims: [1], values: [-1], type: 7 }, { name: 'ax0', dims: [1], values: [0], type: 7 }],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n', 'ax0'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      ],
    };
    const { out, imp } = importRun(m, { x });
    expectClose(out('y'), { shape: [2, 12], data: x.values });
    expect(ops(imp)).toEqual(['input', 'reshape']);
  });

  it('Squeeze / Unsqueeze take axes as attributes before opset 13 and as an input since', () => {
    const x = T([2, 1, 3], 22);
    const a = importRun(single('Squeeze', ['x'], { axes: [1] }, 11, [{ name: 'x', dims: x.dims }]), { x });
    expect(a.out('y').shape).toEqual([2, 3]);
    const b = importRun(single('Unsqueeze', ['x', 'ax'], {}, 13, [{ name: 'x', dims: x.dims }], [{ name: 'ax', dims: [2], values: [0, -1], type: 7 }]), { x });
    expect(b.out('y').shape).toEqual([1, 2, 1, 3, 1]);
    expect(Array.from(b.out('y').data)).toEqual(Array.from(x.values));
  });

  it('Gather of initializer rows by int64 ids is an embedding', () => {
    const table = { name: 'w', dims: [5, 3], values: values(15, 23) };
    const ids = { dims: [2, 2], values: [4, 0, 2, 4], type: 7 };
    const { out, imp } = importRun(single('Gather', ['w', 'ids'], { axis: 0 }, 13, [{ name: 'ids', dims: [2, 2], type: 7 }], [table]), { ids });
    expect(imp.module.nodes[imp.inputs[0]!.id]!.type!.dtype).toBe('i32');
    expectClose(out('y'), { shape: [2, 2, 3], data: ids.values.flatMap((i) => table.values.slice(i * 3, i * 3 + 3)) });
  });
});

describe('Gather with negative indices (ONNX: counted from the end of the axis)', () => {
  // Row r of the table is [10r, 10r + 1, 10r + 2], so every expected value below is by hand.
  const table = { name: 'w', dims: [5, 3], values: [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42] };

  it('runtime ids: -1 is the last row, -5 the first', () => {
    const ids = { dims: [4], values: [-1, 0, -5, 2], type: 7 };
    const { out, imp } = importRun(single('Gather', ['w', 'ids'], { axis: 0 }, 13, [{ name: 'ids', dims: [4], type: 7 }], [table]), { ids });
    expect(ops(imp)).toEqual(['input', 'embedding']);
    expectClose(out('y'), { shape: [4, 3], data: [40, 41, 42, 0, 1, 2, 0, 1, 2, 20, 21, 22] });
  });

  it('constant ids fold, on any axis', () => {
    const idx = { name: 'i', dims: [2], values: [-1, -3], type: 7 };
    const m: ModelIn = {
      opset: 13, inputs: [{ name: 'x', dims: [1, 2] }], outputs: ['y'], initializers: [table, idx],
      // Columns -1 and -3 of the table are columns 2 and 0; the Add keeps a runtime input in the graph.
      nodes: [{ op: 'Gather', inputs: ['w', 'i'], outputs: ['g'], attrs: { axis: 1 } }, { op: 'Add', inputs: ['g', 'x'], outputs: ['y'] }],
    };
    const { out } = importRun(m, { x: { dims: [1, 2], values: [0, 0] } });
    expectClose(out('y'), { shape: [5, 2], data: [2, 0, 12, 10, 22, 20, 32, 30, 42, 40] });
  });

  it('an index outside [-len, len) is a clear error, folded or at run time', () => {
    const idx = { name: 'i', dims: [1], values: [-6], type: 7 };
    const m: ModelIn = { opset: 13, inputs: [{ name: 'x', dims: [1, 3] }], outputs: ['y'], initializers: [table, idx], nodes: [{ op: 'Gather', inputs: ['w', 'i'], outputs: ['g'], attrs: { axis: 0 } }, { op: 'Add', inputs: ['g', 'x'], outputs: ['y'] }] };
    expect(() => load(m, { x: { dims: [1, 3], values: [0, 0, 0] } })).toThrow(/Gather index -6 is out of range for an axis of 5/);
    for (const bad of [5, -6]) {
      expect(() => importRun(single('Gather', ['w', 'ids'], { axis: 0 }, 13, [{ name: 'ids', dims: [1], type: 7 }], [table]), { ids: { dims: [1], values: [bad], type: 7 } }))
        .toThrow(new RegExp(`id ${bad} at position 0 is outside the vocabulary \\[0, 5\\)`));
    }
  });
});

describe('windows', () => {
  it('Conv with SAME_UPPER, stride, dilation and groups pads as ONNX specifies', () => {
    const x = T([1, 4, 7, 6], 24), w = { ...T([6, 2, 3, 3], 25), name: 'w' };
    const { out } = importRun(single('Conv', ['x', 'w'], { auto_pad: 'SAME_UPPER', strides: [2, 2], dilations: [2, 1], group: 2 }, 11, [{ name: 'x', dims: x.dims }], [w]), { x });
    // Height: out ceil(7/2) = 4, total pad (4−1)·2 + (3−1)·2 + 1 − 7 = 4 → 2 + 2; width: out 3, total (3−1)·2 + 3 − 6 = 1 → 0 + 1.
    const ref = conv2dNaive(Float32Array.from(x.values), x.dims, Float32Array.from(w.values), w.dims, undefined, { stride: [2, 2], pad: [2, 0, 2, 1], dilation: [2, 1], groups: 2 });
    expectClose(out('y'), { shape: ref.shape, data: ref.y }, 1e-4);
  });

  it('1-D Conv and MaxPool run as 2-D with a unit height', () => {
    const x = T([2, 3, 9], 26), w = { ...T([4, 3, 3], 27), name: 'w' };
    const m: ModelIn = {
      opset: 13, inputs: [{ name: 'x', dims: x.dims }], outputs: ['y'], initializers: [w],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 0] } }, { op: 'MaxPool', inputs: ['c'], outputs: ['y'], attrs: { kernel_shape: [2], strides: [2] } }],
    };
    const { out } = importRun(m, { x });
    const c = conv2dNaive(Float32Array.from(x.values), [2, 3, 1, 9], Float32Array.from(w.values), [4, 3, 1, 3], undefined, { stride: [1, 1], pad: [0, 1, 0, 0], dilation: [1, 1], groups: 1 });
    const len = c.shape[3]!;
    const pooled: number[] = [];
    for (let p = 0; p < 8; p++) for (let o = 0; o + 1 < len; o += 2) pooled.push(Math.max(c.y[p * len + o]!, c.y[p * len + o + 1]!));
    expectClose(out('y'), { shape: [2, 4, 4], data: pooled }, 1e-4);
  });

  it('GlobalMaxPool is a max over the whole image', () => {
    const x = T([2, 3, 4, 5], 28);
    const { out } = importRun(single('GlobalMaxPool', ['x'], {}, 13, [{ name: 'x', dims: x.dims }]), { x });
    const want = Array.from({ length: 6 }, (_, p) => Math.max(...Array.from(x.values).slice(p * 20, p * 20 + 20)));
    expectClose(out('y'), { shape: [2, 3, 1, 1], data: want });
  });
});

describe('Upsample and Resize', () => {
  const x = { dims: [1, 1, 2, 2], values: [1, 2, 3, 4] };
  const nearest = (s: [number, number]) => {
    const data: number[] = [];
    for (let i = 0; i < 2 * s[0]; i++) for (let j = 0; j < 2 * s[1]; j++) data.push(x.values[Math.floor(i / s[0]) * 2 + Math.floor(j / s[1])]!);
    return { shape: [1, 1, 2 * s[0], 2 * s[1]], data };
  };

  it('nearest with half-pixel coordinates and round_prefer_floor picks floor(dst / scale)', () => {
    const { out } = importRun(single('Resize', ['x', '', 's'], { mode: 'nearest' }, 13, [{ name: 'x', dims: x.dims }], [{ name: 's', dims: [4], values: [1, 1, 2, 3] }]), { x });
    expectClose(out('y'), nearest([2, 3]));
    const up = importRun(single('Upsample', ['x', 's'], { mode: 'nearest' }, 9, [{ name: 'x', dims: x.dims }], [{ name: 's', dims: [4], values: [1, 1, 3, 2] }]), { x });
    expectClose(up.out('y'), nearest([3, 2]));
  });

  it('linear with half-pixel coordinates is bilinear with align_corners = false', () => {
    // PyTorch's nn.Upsample documentation example: [[1, 2], [3, 4]], scale 2, bilinear, align_corners=False.
    const want = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
    const { out } = importRun(single('Resize', ['x', '', '', 'sz'], { mode: 'linear', axes: [2, 3] }, 18, [{ name: 'x', dims: x.dims }], [{ name: 'sz', dims: [2], values: [4, 4], type: 7 }]), { x });
    expectClose(out('y'), { shape: [1, 1, 4, 4], data: want });
  });

  it('skips modes that pick other pixels, and fractional scales', () => {
    const s = { name: 's', dims: [4], values: [1, 1, 2, 2] };
    // asymmetric coordinates o / 2 rounded half up pick 0, 1, 1, 2, not floor(o / 2) = 0, 0, 1, 1.
    expect(skipReason(single('Resize', ['x', '', 's'], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' }, 13, [{ name: 'x', dims: x.dims }], [s]), { x }))
      .toMatch(/picks other pixels/);
    expect(skipReason(single('Resize', ['x', '', 's'], { mode: 'linear', coordinate_transformation_mode: 'asymmetric' }, 13, [{ name: 'x', dims: x.dims }], [s]), { x }))
      .toMatch(/differs from Kiln's half-pixel bilinear/);
    expect(skipReason(single('Resize', ['x', '', 's'], { mode: 'nearest' }, 13, [{ name: 'x', dims: x.dims }], [{ ...s, values: [1, 1, 1.5, 2] }]), { x }))
      .toMatch(/whole numbers/);
  });
});

describe('recurrent layers', () => {
  it('LSTM (layout 0, gates i o f c, both Y and Y_h used) matches the ONNX equations', () => {
    const [t, b, inF, h] = [4, 2, 3, 5];
    const x = T([t, b, inF], 29);
    const w = values(4 * h * inF, 30), r = values(4 * h * h, 31), bias = values(8 * h, 32);
    const m = single('LSTM', ['x', 'W', 'R', 'B'], { hidden_size: h }, 14, [{ name: 'x', dims: x.dims }],
      [{ name: 'W', dims: [1, 4 * h, inF], values: w }, { name: 'R', dims: [1, 4 * h, h], values: r }, { name: 'B', dims: [1, 8 * h], values: bias }], ['Y', 'Y_h']);
    const { out } = importRun(m, { x });
    const want = onnxLstm(arr(x), w, r, bias, h);
    expectClose(out('Y'), want, 1e-5);
    expectClose(out('Y_h'), { shape: [1, b, h], data: want.data.slice((t - 1) * b * h) }, 1e-5);
  });

  it('gives reasons for recurrent features Kiln lacks', () => {
    const mk = (op: string, attrs: Record<string, number | string>) => single(op, ['x', 'W', 'R'], { hidden_size: 2, ...attrs }, 14, [{ name: 'x', dims: [1, 1, 2] }],
      [{ name: 'W', dims: [1, 6, 2], values: values(12, 1) }, { name: 'R', dims: [1, 6, 2], values: values(12, 2) }]);
    const x = T([1, 1, 2], 3);
    expect(skipReason(mk('GRU', { linear_before_reset: 1 }), { x })).toMatch(/linear_before_reset = 1/);
    expect(skipReason(mk('GRU', { direction: 'bidirectional' }), { x })).toMatch(/runs forward only/);
  });
});

describe('modes, outputs and refusals', () => {
  it('Dropout in inference is no node at all; in training it is a Kiln dropout and the run is in training mode', () => {
    const x = T([3, 4], 33);
    const inf = importRun(single('Dropout', ['x'], { is_test: 1, ratio: { f: 0.3 } }, 6, [{ name: 'x', dims: x.dims }]), { x });
    expect(ops(inf.imp)).toEqual(['input']);
    expectClose(inf.out('y'), arr(x));
    const { r } = load(single('Dropout', ['x', 'r', 't'], {}, 13, [{ name: 'x', dims: x.dims }], [{ name: 'r', dims: [], values: [0.3] }, { name: 't', dims: [], values: [1], type: 9 }]), { x });
    expect(r.ok && r.value.training).toBe(true);
    expect(r.ok && Object.values(r.value.module.nodes).find((n) => n.op === 'dropout')?.attrs.p).toBeCloseTo(0.3, 6);
  });

  it('BatchNormalization in training mode returns the updated running statistics as outputs', () => {
    const x = T([4, 2, 3], 34);
    const init = [{ name: 's', dims: [2], values: [1, 2] }, { name: 'b', dims: [2], values: [0, 1] }, { name: 'm', dims: [2], values: [0.5, -1] }, { name: 'v', dims: [2], values: [1, 4] }];
    const { out, imp } = importRun(single('BatchNormalization', ['x', 's', 'b', 'm', 'v'], { training_mode: 1, momentum: { f: 0.8 } }, 15, [{ name: 'x', dims: x.dims }], init, ['y', 'rm', 'rv']), { x });
    expect(imp.training).toBe(true);
    const xs = Array.from(x.values);
    for (let c = 0; c < 2; c++) {
      const vals = xs.filter((_, i) => Math.floor(i / 3) % 2 === c);
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
      // ONNX: running = running·momentum + batch·(1 − momentum), with the biased batch variance.
      expect(out('rm').data[c]).toBeCloseTo(init[2]!.values[c]! * 0.8 + mean * 0.2, 5);
      expect(out('rv').data[c]).toBeCloseTo(init[3]!.values[c]! * 0.8 + variance * 0.2, 5);
    }
  });

  it('refuses what it cannot express exactly, naming the reason', () => {
    const x = T([2, 2], 35);
    const ins = [{ name: 'x', dims: [2, 2] }];
    expect(skipReason(single('Foo', ['x'], {}, 13, ins), { x })).toBe('ONNX op Foo has no Kiln equivalent');
    expect(skipReason({ ...single('Relu', ['x'], {}, 13, ins), nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], domain: 'com.example' }] }, { x })).toMatch(/outside the default ONNX domain/);
    expect(skipReason(single('Relu', ['x'], { bogus: 1 }, 13, ins), { x })).toMatch(/attribute `bogus` is not supported/);
    expect(skipReason(single('Relu', ['x'], {}, 13, [{ name: 'x', dims: [2, 2], type: 2 }]), { x: { ...x, type: 2, values: [1, 2, 3, 4] } })).toMatch(/uint8, which is not a Kiln dtype/);
    expect(skipReason(single('Relu', ['x'], {}, 13, [{ name: 'x', dims: ['N', 2] }]), {})).toMatch(/no fixed shape/);
    expect(skipReason({ ...single('Div', ['x', 'z'], {}, 13, ins), nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['z'] }, { op: 'Div', inputs: ['x', 'z'], outputs: ['y'] }] }, { x })).toMatch(/Div by a computed tensor/);
    const conflict: ModelIn = {
      opset: 15, inputs: ins, outputs: ['y'],
      initializers: [{ name: 'r', dims: [], values: [0.5] }, { name: 't', dims: [], values: [1], type: 9 }, ...['s', 'b', 'm', 'v'].map((name) => ({ name, dims: [2], values: [1, 1] }))],
      nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['n'] }, { op: 'Dropout', inputs: ['n', 'r', 't'], outputs: ['y'] }],
    };
    expect(skipReason(conflict, { x })).toMatch(/runs a module in one mode/);
  });

  it('refuses graph values that are not tensors', () => {
    const m = single('Identity', ['s'], {}, 13, [{ name: 's', dims: [2], sequence: true }]);
    expect(skipReason(m, {})).toBe('graph value `s` is a sequence; Kiln values are tensors');
  });

  it('turns shape computations on fed shapes into constants (Shape, ConstantOfShape)', () => {
    const x = T([2, 3], 37);
    const m: ModelIn = {
      opset: 13, inputs: [{ name: 'x', dims: [2, 3] }, { name: 'shape', dims: [2], type: 7 }], outputs: ['s', 'c'],
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'ConstantOfShape', inputs: ['shape'], outputs: ['c'], attrs: { value: { t: { dims: [1], values: [2.5] } } } }],
    };
    const { out } = importRun(m, { x, shape: { dims: [2], values: [3, 2], type: 7 } });
    expectClose(out('s'), { shape: [2], data: [2, 3] });
    expectClose(out('c'), { shape: [3, 2], data: new Array(6).fill(2.5) });
  });

  it('makes modules that survive the IR JSON round trip (Clip bounds stay finite)', () => {
    const x = T([3], 36);
    const { imp } = importRun(single('Clip', ['x', 'lo'], {}, 13, [{ name: 'x', dims: [3] }], [{ name: 'lo', dims: [], values: [0] }]), { x });
    expect(moduleFromJson(moduleToJson(imp.module), 'm.json')).toEqual(imp.module);
  });
});

/**
 * A hand-built QDQ model, as quantizing toolchains write them (int8 weights read through
 * DequantizeLinear, a QuantizeLinear → DequantizeLinear pair on each layer's output): it imports to
 * layers whose i8 precisions carry the model's per-channel weight scales and its activation scale
 * and zero point, and runs to the output of the ONNX definitions computed by hand here.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/driver.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import type { Precision } from '../../../compiler/ir/dtype.ts';
import { importOnnx } from '../../../compiler/onnx/importer.ts';
import { decodeModel } from '../../../compiler/onnx/proto.ts';
import { forward } from '../../../runtime/autodiff/forward.ts';
import { run } from '../../../runtime/interpreter.ts';
import { encodeModel, type ModelIn } from '../../../bench/lib/onnx-model.ts';
import { values } from './helpers/reference.ts';

const f32 = Math.fround;
const roundEven = (v: number): number => { const r = Math.round(v); return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r; };
/** ONNX QuantizeLinear then DequantizeLinear of one value. */
const qdq = (v: number, s: number, z: number, lo: number, hi: number): number => (Math.min(hi, Math.max(lo, roundEven(v / s) + z)) - z) * s;

const X = values(18, 7).map((v) => 2 * v);
const WQ = [17, -9, 4, 22];              // conv weight int8 [2 out, 2 in, 1, 1]
const WS = [0.5, 0.25];                  // per output channel
const BQ = Array.from({ length: 18 * 3 }, (_, i) => ((i * 37) % 41) - 20);  // MatMul B int8 [18, 3]
const BS = [0.02, 0.03, 0.05];           // per column (axis 1)
const A1 = { s: f32(0.1), z: 100 };      // conv output: uint8
const A2 = { s: f32(0.05), z: -3 };      // matmul output: int8

const model: ModelIn = {
  opset: 13,
  inputs: [{ name: 'x', dims: [1, 2, 3, 3] }],
  outputs: ['y'],
  initializers: [
    { name: 'wq', dims: [2, 2, 1, 1], values: WQ, type: 3 }, { name: 'ws', dims: [2], values: WS }, { name: 'wz', dims: [2], values: [0, 0], type: 3 },
    { name: 'bq', dims: [18, 3], values: BQ, type: 3 }, { name: 'bs', dims: [3], values: BS }, { name: 'bz', dims: [3], values: [0, 0, 0], type: 3 },
    { name: 's1', dims: [], values: [A1.s] }, { name: 'z1', dims: [], values: [A1.z], type: 2 },
    { name: 's2', dims: [], values: [A2.s] }, { name: 'z2', dims: [], values: [A2.z], type: 3 },
  ],
  nodes: [
    { op: 'DequantizeLinear', inputs: ['wq', 'ws', 'wz'], outputs: ['w'], attrs: { axis: 0 } },
    { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
    { op: 'QuantizeLinear', inputs: ['c', 's1', 'z1'], outputs: ['cq'] },
    { op: 'DequantizeLinear', inputs: ['cq', 's1', 'z1'], outputs: ['cd'] },
    { op: 'Flatten', inputs: ['cd'], outputs: ['f'] },
    { op: 'DequantizeLinear', inputs: ['bq', 'bs', 'bz'], outputs: ['b'], attrs: { axis: 1 } },
    { op: 'MatMul', inputs: ['f', 'b'], outputs: ['m'] },
    { op: 'QuantizeLinear', inputs: ['m', 's2', 'z2'], outputs: ['mq'] },
    { op: 'DequantizeLinear', inputs: ['mq', 's2', 'z2'], outputs: ['y'] },
  ],
};

/** The model by the ONNX operator definitions, in doubles. */
function reference(): number[] {
  const conv: number[] = [];
  for (let o = 0; o < 2; o++) {
    for (let p = 0; p < 9; p++) {
      let acc = 0;
      for (let c = 0; c < 2; c++) acc += WQ[o * 2 + c]! * WS[o]! * X[c * 9 + p]!;
      conv.push(qdq(acc, A1.s, A1.z, 0, 255));
    }
  }
  return [0, 1, 2].map((n) => qdq(conv.reduce((s, v, k) => s + v * BQ[k * 3 + n]! * f32(BS[n]!), 0), A2.s, A2.z, -128, 127));
}

function imported() {
  const r = importOnnx(decodeModel(encodeModel(model)));
  if (!r.ok) throw new Error(`unexpected SKIP: ${r.reason}`);
  return r.value;
}

describe('a QDQ int8 model from another toolchain', () => {
  it('imports to layers with the model\'s precisions: per-channel weight scales, activation scale and zero point', () => {
    const m = imported().module;
    const layers = Object.values(m.nodes).filter((n) => n.op === 'conv2d' || n.op === 'dense');
    expect(layers.map((n) => n.op)).toEqual(['conv2d', 'dense']);
    const [conv, dense] = layers as [typeof layers[0], typeof layers[0]];
    expect(conv.attrs.weights).toEqual({ dtype: 'i8', granularity: 'per_channel', scale: WS, zero_point: [0, 0] } satisfies Precision);
    // uint8 zero point 100 is the int8 zero point −28.
    expect(conv.attrs.activations).toEqual({ dtype: 'i8', granularity: 'per_tensor', scale: [A1.s], zero_point: [A1.z - 128] } satisfies Precision);
    expect(dense.attrs.weights).toEqual({ dtype: 'i8', granularity: 'per_channel', scale: BS.map(f32), zero_point: [0, 0, 0] } satisfies Precision);
    expect(dense.attrs.activations).toEqual({ dtype: 'i8', granularity: 'per_tensor', scale: [A2.s], zero_point: [A2.z] } satisfies Precision);
    expect(conv.type!.dtype).toBe('i8');
    // The pairs became precisions: no quantize op or dequantizing arithmetic is left.
    expect(Object.values(m.nodes).map((n) => n.op).filter((op) => op === 'quantize' || op === 'mul' || op === 'add')).toEqual([]);
  });

  it('runs fake-quantized to the ONNX result computed by hand, which the unquantized network misses', () => {
    const imp = imported();
    const inputs = { [imp.inputs[0]!.id]: { shape: [1, 2, 3, 3], data: Float32Array.from(X) } };
    const out = imp.outputs[0]!.binding.id;
    const want = reference();
    const got = Array.from(forward(imp.module, imp.weights, inputs, { record: false }).outputs[out]!.data);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    // Each output is a whole number of steps of 0.05 …
    for (const v of got) expect(Math.abs(v / A2.s - Math.round(v / A2.s))).toBeLessThan(1e-3);
    // … and the same network in f32 (the precisions ignored) lands elsewhere.
    const plain = Array.from(run(imp.module, imp.weights, inputs).outputs[out]!.data);
    expect(plain.some((v, i) => Math.abs(v - want[i]!) > 1e-3)).toBe(true);
  });

  it('compiles from a .onnx file (what `kiln estimate model.onnx` reads), keeping the precisions; an unimportable model is an error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-qdq-'));
    const file = path.join(dir, 'model.onnx');
    writeFileSync(file, encodeModel(model));
    const m = compile(file).module;
    expect(Object.values(m.nodes).filter((n) => n.op === 'dense').map((n) => (n.attrs.weights as Precision).granularity)).toEqual(['per_channel']);
    const bad = path.join(dir, 'bad.onnx');
    writeFileSync(bad, encodeModel({ ...model, nodes: [{ op: 'Round', inputs: ['x'], outputs: ['y'] }] }));
    expect(() => compile(bad)).toThrow(KilnError);
    expect(() => compile(bad)).toThrow(/cannot import .*bad\.onnx.*Round/);
  });
});

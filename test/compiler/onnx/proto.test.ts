/** Decoding ONNX protobuf: every TensorProto storage form, attributes, value infos, real files. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { decodeModel, decodeTensor, halfToFloat, readModel, readTensor, schema } from '../../../compiler/onnx/proto.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { encodeModel, encodeTensor, type TensorIn } from '../../../bench/lib/onnx-model.ts';

const suite = fixture('onnx-node');
const roundTrip = (t: TensorIn) => decodeTensor(encodeTensor(t));

describe('TensorProto decoding', () => {
  it('reads float_data and little-endian raw float32', () => {
    for (const raw of [false, true]) {
      const t = roundTrip({ name: 'w', dims: [2, 2], values: [1.5, -2, 0.25, 3e-8], raw });
      expect(t.name).toBe('w');
      expect(t.dims).toEqual([2, 2]);
      expect(t.dataType).toBe(1);
      expect([...t.values!]).toEqual([1.5, -2, 0.25, Math.fround(3e-8)]);
    }
  });

  it('reads signed and unsigned integers of every width from typed fields and raw data', () => {
    const cases: [number, number[]][] = [
      [3, [-128, -1, 0, 127]], [2, [0, 1, 200, 255]], [5, [-32768, -2, 7, 32767]], [4, [0, 65535, 3, 40000]],
      [6, [-2147483648, -5, 0, 2147483647]], [7, [-9007199254740991, -3, 0, 2 ** 40]], [12, [0, 4294967295, 1, 7]], [13, [0, 2 ** 52, 5, 9]],
    ];
    for (const [type, values] of cases) {
      for (const raw of [false, true]) expect([...roundTrip({ dims: [4], values, type, raw }).values!], `type ${type} raw ${raw}`).toEqual(values);
    }
  });

  it('reads doubles and booleans', () => {
    expect([...roundTrip({ dims: [2], values: [0.1, -1e300], type: 11 }).values!]).toEqual([0.1, -1e300]);
    expect([...roundTrip({ dims: [2], values: [0.1, -1e300], type: 11, raw: true }).values!]).toEqual([0.1, -1e300]);
    expect([...roundTrip({ dims: [3], values: [1, 0, 1], type: 9, raw: true }).values!]).toEqual([1, 0, 1]);
  });

  it('reads float16 and bfloat16 bit patterns (int32_data or raw) as their values', () => {
    // IEEE 754 half: 0x3c00 = 1, 0xc000 = −2, 0x7bff = 65504 (largest), 0x0001 = 2^−24 (smallest subnormal).
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001];
    for (const raw of [false, true]) expect([...roundTrip({ dims: [4], values: halves, type: 10, raw }).values!]).toEqual([1, -2, 65504, 2 ** -24]);
    // bfloat16 is the top half of a float32: 0x3f80 = 1, 0xc0a0 = −5.
    expect([...roundTrip({ dims: [2], values: [0x3f80, 0xc0a0], type: 16, raw: true }).values!]).toEqual([1, -5]);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('flags 64-bit integers that a double cannot hold exactly', () => {
    const t = decodeTensor(encodeTensor({ dims: [1], values: [0], type: 7 }));
    expect(t.inexact).toBeUndefined();
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 60n + 1n, true);
    expect(decodeTensor(encodeRawTensor({ dims: [1], data_type: 7, raw_data: big })).inexact).toBe(true);
  });

  it('leaves values undefined for element types it cannot read, and reports garbage as a KilnError', () => {
    expect(roundTrip({ dims: [1], values: [0], type: 17, raw: false }).values).toBeUndefined();
    const err = (() => { try { decodeModel(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1])); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(KilnError);
    expect((err as KilnError).diagnostics[0]!.code).toBe('onnx-decode');
    expect(() => readModel('/nonexistent/model.onnx')).toThrow(/no such file/);
  });
});

/** Encode a TensorProto given field by field, as another tool would write it. */
function encodeRawTensor(o: Record<string, unknown>): Uint8Array {
  const T = schema().lookupType('onnx.TensorProto');
  return T.encode(T.fromObject(o)).finish();
}

describe('ModelProto decoding', () => {
  it('reads opsets, nodes with every attribute kind, initializers and value infos', () => {
    const m = decodeModel(encodeModel({
      opset: 13,
      nodes: [{ op: 'Foo', inputs: ['x', '', 'w'], outputs: ['y'], attrs: { i: 3, f: { f: 0.5 }, s: 'SAME_UPPER', ints: [1, -2], floats: { floats: [0.25, 2] }, t: { t: { dims: [1], values: [7], type: 7 } }, strs: { strings: ['a', 'b'] } } }],
      inputs: [{ name: 'x', dims: ['N', 3] }, { name: 'w', dims: [2] }],
      outputs: ['y'],
      initializers: [{ name: 'w', dims: [2], values: [1, 2] }],
    }));
    expect(m.opsets.get('')).toBe(13);
    const n = m.graph.nodes[0]!;
    expect(n.opType).toBe('Foo');
    expect(n.inputs).toEqual(['x', '', 'w']);
    expect(n.attrs.get('i')).toEqual({ kind: 'int', value: 3 });
    expect(n.attrs.get('f')).toEqual({ kind: 'float', value: 0.5 });
    expect(n.attrs.get('s')).toEqual({ kind: 'string', value: 'SAME_UPPER' });
    expect(n.attrs.get('ints')).toEqual({ kind: 'ints', value: [1, -2] });
    expect(n.attrs.get('floats')).toEqual({ kind: 'floats', value: [0.25, 2] });
    expect(n.attrs.get('strs')).toEqual({ kind: 'strings', value: ['a', 'b'] });
    const t = n.attrs.get('t');
    expect(t?.kind === 'tensor' && [...t.value.values!]).toEqual([7]);
    expect(m.graph.inputs[0]).toEqual({ name: 'x', elemType: 1, shape: ['N', 3] });
    expect([...m.graph.initializers[0]!.values!]).toEqual([1, 2]);
  });

  it('reads files written by ONNX tooling', () => {
    // Values as published in ONNX v1.22.0's test_add_int8 and test_Conv2d cases.
    const x = readTensor(path.join(suite, 'test_add_int8/test_data_set_0/input_0.pb'));
    expect(x.dims).toEqual([3, 4, 5]);
    expect([...x.values!.slice(0, 8)]).toEqual([0, 8, 11, 8, 22, 3, 11, 20]);
    const m = readModel(path.join(suite, 'test_Conv2d/model.onnx'));
    expect(m.opsets.get('')).toBe(6);
    const conv = m.graph.nodes[0]!;
    expect(conv.opType).toBe('Conv');
    expect(conv.attrs.get('kernel_shape')).toEqual({ kind: 'ints', value: [3, 2] });
    expect(m.graph.initializers.map((t) => t.dims)).toEqual([[4, 3, 3, 2], [4]]);
  });
});

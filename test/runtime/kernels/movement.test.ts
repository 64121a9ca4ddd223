import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { fromArray, type Tensor } from '../../../runtime/tensor.ts';
import {
  concat, concatBackward, embedding, embeddingBackward, split, splitBackward, upsample2d, upsample2dBackward,
} from '../../../runtime/kernels/movement.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { expectClose, gradCheck, randomArray, weightedSum } from './helpers/gradcheck.ts';
import { loadOnnxCase, numAttr, onnxNodeDir } from './helpers/onnx-case.ts';

const rand = (shape: number[], seed: number): Tensor => fromArray(shape, randomArray(shape.reduce((a, b) => a * b, 1), seed));

describe('concat and split', () => {
  it('split undoes concat along any axis, and each is the other\'s backward', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
      fc.nat(), fc.integer(),
      (shape, sizes, axisPick, seed) => {
        const axis = axisPick % shape.length;
        const parts = sizes.map((s, i) => rand(shape.map((d, j) => (j === axis ? s : d)), seed + i));
        const y = concat(parts, axis - shape.length);
        expect(y.shape[axis]).toBe(sizes.reduce((a, b) => a + b, 0));
        const back = split(y, axis, sizes);
        back.forEach((t, i) => { expect(t.shape).toEqual(parts[i]!.shape); expect([...t.data]).toEqual([...parts[i]!.data]); });
        expect([...splitBackward(concatBackward(y, axis, sizes), axis).data]).toEqual([...y.data]);
      }), { numRuns: 100 });
  });

  it('concat backward matches finite differences', () => {
    const parts = [rand([2, 1, 3], 1), rand([2, 4, 3], 2), rand([2, 2, 3], 3)];
    const y = concat(parts, 1);
    const r = randomArray(y.data.length, 4);
    const grads = concatBackward(fromArray(y.shape, r), 1, [1, 4, 2]);
    gradCheck(() => weightedSum(concat(parts, 1).data, r), parts.map((p, i) => ({ name: `d${i}`, param: p.data, grad: grads[i]!.data })));
    const x = rand([3, 5], 5);
    const rs = [randomArray(6, 6), randomArray(9, 7)];
    const dx = splitBackward([fromArray([3, 2], rs[0]!), fromArray([3, 3], rs[1]!)], 1);
    gradCheck(() => split(x, 1, [2, 3]).reduce((s, t, i) => s + weightedSum(t.data, rs[i]!), 0), [{ name: 'dx', param: x.data, grad: dx.data }]);
  });

  it('rejects mismatched shapes and bad split sizes', () => {
    expect(() => concat([rand([2, 3], 1), rand([3, 3], 2)], 1)).toThrow(KilnError);
    expect(() => split(rand([2, 3], 1), 1, [1, 1])).toThrow(/add up/);
  });
});

describe('upsample2d', () => {
  // Expected values: the torch.nn.Upsample documentation example, input [[1, 2], [3, 4]], scale 2.
  const x = fromArray([1, 1, 2, 2], [1, 2, 3, 4]);
  it('nearest repeats pixels', () => {
    expect([...upsample2d(x, { mode: 'nearest', scale: [2, 2] }).data]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
  it('bilinear with align_corners = false matches PyTorch', () => {
    expectClose(upsample2d(x, { mode: 'bilinear', scale: [2, 2] }).data,
      [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4], 1e-6, 0);
  });
  it('backward matches finite differences for both modes and non-integer sizes', () => {
    for (const mode of ['nearest', 'bilinear'] as const) {
      for (const size of [[6, 9], [5, 7], [3, 3]] as const) {
        const xs = rand([2, 2, 3, 4], 5);
        const o = { mode, size };
        const y = upsample2d(xs, o);
        expect(y.shape).toEqual([2, 2, size[0], size[1]]);
        const r = randomArray(y.data.length, 6);
        const dx = upsample2dBackward(fromArray(y.shape, r), xs.shape, o);
        gradCheck(() => weightedSum(upsample2d(xs, o).data, r), [{ name: 'dx', param: xs.data, grad: dx.data }]);
      }
    }
  });
});

describe('embedding', () => {
  it('looks up rows and scatter-adds repeated ids in backward', () => {
    const table = rand([5, 3], 1);
    const ids = [4, 0, 4, 2];
    const y = embedding(ids, [2, 2], table);
    expect(y.shape).toEqual([2, 2, 3]);
    expect([...y.data.subarray(6, 9)]).toEqual([...table.data.subarray(12, 15)]);
    const r = randomArray(12, 2);
    const dt = embeddingBackward(ids, fromArray(y.shape, r), table.shape);
    gradCheck(() => weightedSum(embedding(ids, [2, 2], table).data, r), [{ name: 'dtable', param: table.data, grad: dt.data }]);
    expect(dt.data[12]).toBeCloseTo(r[0]! + r[6]!, 6);
    expect(dt.data[3]).toBe(0);
  });
  it('rejects ids outside the vocabulary', () => {
    expect(() => embedding([5], [1], rand([5, 3], 1))).toThrow(/outside the vocabulary/);
    expect(() => embedding([-6], [1], rand([5, 3], 1))).toThrow(/outside the vocabulary/);
    expect(() => embeddingBackward([7], rand([1, 3], 2), [5, 3])).toThrow(/outside the vocabulary/);
  });
  it('counts negative ids from the end (ONNX Gather), forward and backward alike', () => {
    const table = rand([5, 3], 1);
    const y = embedding([-1, 4], [2], table);
    expect([...y.data.subarray(0, 3)]).toEqual([...table.data.subarray(12, 15)]);
    expect([...y.data.subarray(3, 6)]).toEqual([...y.data.subarray(0, 3)]);
    // Both ids name row 4, so its gradient is the sum of both output rows' gradients.
    const dt = embeddingBackward([-1, 4], fromArray([2, 3], [1, 2, 3, 10, 20, 30]), [5, 3]);
    expect([...dt.data.subarray(12, 15)]).toEqual([11, 22, 33]);
    expect([...dt.data.subarray(0, 12)].every((v) => v === 0)).toBe(true);
  });
});

describe('ONNX Concat node tests (onnx v1.22.0)', () => {
  const names = readdirSync(onnxNodeDir).filter((d) => d.startsWith('test_concat_'));
  it('found the cases', () => expect(names.length).toBeGreaterThan(8));
  for (const name of names) {
    it(name, () => {
      const kase = loadOnnxCase(name);
      const y = concat(kase.inputs.map((t) => fromArray(t.dims, t.values)), numAttr(kase.nodes[0]!, 'axis')!);
      expect(y.shape).toEqual(kase.outputs[0]!.dims);
      expect([...y.data]).toEqual(kase.outputs[0]!.values.map((v) => Math.fround(v)));
    });
  }
});

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { fromArray } from '../../../runtime/tensor.ts';
import {
  avgPool, avgPoolBackward, globalAvgPool, globalAvgPoolBackward, maxPool, maxPoolBackward, poolOutSize, type PoolOptions,
} from '../../../runtime/kernels/pool.ts';
import { poolNaive } from './helpers/naive.ts';
import { expectClose, gradCheck, randomArray, weightedSum } from './helpers/gradcheck.ts';
import { intsAttr, loadOnnxCase, numAttr, onnxNodeDir } from './helpers/onnx-case.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';

const poolCase = fc.integer({ min: 1, max: 3 }).chain((r) => fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 1, max: 3 }),
  axes: fc.array(fc.record({
    len: fc.integer({ min: 1, max: 9 }),
    k: fc.integer({ min: 1, max: 4 }),
    s: fc.integer({ min: 1, max: 3 }),
    d: fc.integer({ min: 1, max: 2 }),
    pb: fc.integer({ min: 0, max: 2 }),
    pe: fc.integer({ min: 0, max: 2 }),
  }), { minLength: r, maxLength: r }),
  ceilMode: fc.boolean(),
  countIncludePad: fc.boolean(),
  seed: fc.integer(),
})).filter((c) => c.axes.every((a) => {
  // Keep windows that fit and whose padding is smaller than the window, as ONNX and PyTorch require.
  const eff = (a.k - 1) * a.d + 1;
  return a.len + a.pb + a.pe >= eff && a.pb < eff && a.pe < eff;
}));

function optsOf(c: { axes: { k: number; s: number; d: number; pb: number; pe: number }[]; ceilMode: boolean; countIncludePad: boolean }): PoolOptions & { kernel: number[]; strides: number[]; pads: number[]; dilations: number[] } {
  return {
    kernel: c.axes.map((a) => a.k),
    strides: c.axes.map((a) => a.s),
    pads: [...c.axes.map((a) => a.pb), ...c.axes.map((a) => a.pe)],
    dilations: c.axes.map((a) => a.d),
    ceilMode: c.ceilMode,
    countIncludePad: c.countIncludePad,
  };
}

describe('pooling against the naive ONNX-described reference', () => {
  it('max and average pooling agree for 1-D, 2-D and 3-D with every option', () => {
    fc.assert(fc.property(poolCase, (c) => {
      const shape = [c.n, c.c, ...c.axes.map((a) => a.len)];
      const x = fromArray(shape, randomArray(shape.reduce((a, b) => a * b, 1), c.seed));
      const o = optsOf(c);
      const refMax = poolNaive(x.data, shape, { ...o, ceilMode: c.ceilMode, countIncludePad: c.countIncludePad }, 'max');
      const { y } = maxPool(x, o);
      expect(y.shape).toEqual(refMax.shape);
      expectClose(y.data, refMax.y, 1e-6, 1e-6, 'max');
      const refAvg = poolNaive(x.data, shape, { ...o, ceilMode: c.ceilMode, countIncludePad: c.countIncludePad }, 'avg');
      const ya = avgPool(x, o);
      expect(ya.shape).toEqual(refAvg.shape);
      expectClose(ya.data, refAvg.y, 1e-5, 1e-5, 'avg');
    }), { numRuns: 150 });
  });

  it('2×2 max pooling (its own fast loop): values and argmax, first maximum on ties, any stride and dilation', () => {
    fc.assert(fc.property(fc.record({ n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 2, max: 9 }), w: fc.integer({ min: 2, max: 9 }),
      s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), seed: fc.integer() }).filter((c) => c.h > c.d && c.w > c.d), (c) => {
      const shape = [c.n, c.c, c.h, c.w];
      // Values on a coarse grid, so windows hold ties.
      const x = fromArray(shape, randomArray(c.n * c.c * c.h * c.w, c.seed).map((v) => Math.round(v * 2)));
      const { y, argmax } = maxPool(x, { kernel: [2, 2], strides: [c.s, c.s], dilations: [c.d, c.d] });
      const oh = Math.floor((c.h - c.d - 1) / c.s) + 1, ow = Math.floor((c.w - c.d - 1) / c.s) + 1;
      expect(y.shape).toEqual([c.n, c.c, oh, ow]);
      let q = 0;
      for (let plane = 0; plane < c.n * c.c; plane++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++, q++) {
        let at = -1;
        for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
          const k = (plane * c.h + i * c.s + a * c.d) * c.w + j * c.s + b * c.d;
          if (at < 0 || x.data[k]! > x.data[at]!) at = k;
        }
        expect([argmax[q], y.data[q]]).toEqual([at, x.data[at]]);
      }
    }), { numRuns: 100 });
  });

  it('2×2 stride-2 max pooling in WebAssembly: the JS loop\'s values and argmax exactly (ties, NaN, odd widths)', () => {
    for (const [h, w] of [[28, 28], [10, 10], [13, 23], [9, 31]] as const) {
      const shape = [3, 5, h, w];
      const x = fromArray(shape, randomArray(3 * 5 * h * w, h * w).map((v, i) => (i % 37 === 0 ? NaN : Math.round(v * 3))));
      const o = { kernel: [2, 2], strides: [2, 2] };
      const run = (b: 'js' | 'wasm') => { setKernelBackend(b); try { return maxPool(x, o); } finally { setKernelBackend(undefined); } };
      const js = run('js'), wasm = run('wasm');
      expect(x.data.length).toBeGreaterThanOrEqual(1024);
      expect(Array.from(wasm.argmax)).toEqual(Array.from(js.argmax));
      expect(Array.from(wasm.y.data)).toEqual(Array.from(js.y.data));
    }
  });

  it('ceil mode drops a last window that would start in the end padding', () => {
    // in 2, kernel 3, pad 1+1, stride 3: ceil((2+2-3)/3)+1 = 2, but window 2 would start at 3 ≥ 2+1.
    expect(poolOutSize(2, 3, 3, 1, 1, 1, true)).toBe(1);
    expect(poolOutSize(2, 3, 3, 1, 1, 1, false)).toBe(1);
    expect(poolOutSize(5, 2, 2, 0, 0, 1, true)).toBe(3);
    expect(poolOutSize(5, 2, 2, 0, 0, 1, false)).toBe(2);
  });
});

describe('pooling gradients', () => {
  it('average pooling backward matches finite differences', () => {
    fc.assert(fc.property(poolCase, (c) => {
      const shape = [c.n, c.c, ...c.axes.map((a) => a.len)];
      const x = fromArray(shape, randomArray(shape.reduce((a, b) => a * b, 1), c.seed));
      const o = optsOf(c);
      const y = avgPool(x, o);
      const r = randomArray(y.data.length, c.seed + 1);
      const dx = avgPoolBackward(fromArray(y.shape, r), x.shape, o);
      gradCheck(() => weightedSum(avgPool(x, o).data, r), [{ name: 'dx', param: x.data, grad: dx.data }], { samples: 8 });
    }), { numRuns: 40 });
  });

  it('max pooling backward routes the gradient to the arg max, matching finite differences', () => {
    fc.assert(fc.property(poolCase, (c) => {
      const shape = [c.n, c.c, ...c.axes.map((a) => a.len)];
      // Distinct, well-separated values so a small step cannot change which element is the max.
      const n = shape.reduce((a, b) => a * b, 1);
      const perm = randomArray(n, c.seed).map((_, i) => i);
      const keys = randomArray(n, c.seed);
      const order = [...perm].sort((a, b) => keys[a]! - keys[b]!);
      const vals = new Float32Array(n);
      order.forEach((idx, rank) => { vals[idx] = rank * 0.1; });
      const x = fromArray(shape, vals);
      const o = optsOf(c);
      const { y, argmax } = maxPool(x, o);
      const r = randomArray(y.data.length, c.seed + 1);
      const dx = maxPoolBackward(fromArray(y.shape, r), argmax, x.shape);
      gradCheck(() => weightedSum(maxPool(x, o).y.data, r), [{ name: 'dx', param: x.data, grad: dx.data }], { samples: 8, eps: 1e-2 });
    }), { numRuns: 40 });
  });

  it('global average pooling and its backward', () => {
    const x = fromArray([2, 3, 4, 5], randomArray(120, 3));
    const y = globalAvgPool(x);
    expect(y.shape).toEqual([2, 3, 1, 1]);
    let s = 0;
    for (let i = 20; i < 40; i++) s += x.data[i]!;
    expect(y.data[1]).toBeCloseTo(s / 20, 5);
    const r = randomArray(6, 4);
    const dx = globalAvgPoolBackward(fromArray(y.shape, r), x.shape);
    gradCheck(() => weightedSum(globalAvgPool(x).data, r), [{ name: 'dx', param: x.data, grad: dx.data }]);
  });
});

/** ONNX auto_pad SAME_*: total padding so out = ceil(in / stride), the odd pixel at the end for UPPER. */
function samePads(shape: number[], kernel: number[], strides: number[], dil: number[], upper: boolean): number[] {
  const r = kernel.length;
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < r; i++) {
    const len = shape[2 + i]!;
    const out = Math.ceil(len / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dil[i]! + 1 - len);
    const small = Math.floor(total / 2);
    begin.push(upper ? small : total - small);
    end.push(upper ? total - small : small);
  }
  return [...begin, ...end];
}

describe('ONNX pooling node tests (onnx v1.22.0, test/fixtures/onnx-node)', () => {
  const names = readdirSync(onnxNodeDir).filter((d) => /^test_(averagepool|maxpool)_/.test(d) && !d.includes('uint8') && !d.includes('with_argmax'));
  it('found the pooling cases', () => expect(names.length).toBeGreaterThan(20));
  for (const name of names) {
    it(name, () => {
      const kase = loadOnnxCase(name);
      const node = kase.nodes[0]!;
      const xin = kase.inputs[0]!;
      const want = kase.outputs[0]!;
      const kernel = intsAttr(node, 'kernel_shape')!;
      const r = kernel.length;
      const strides = intsAttr(node, 'strides') ?? kernel.map(() => 1);
      const dilations = intsAttr(node, 'dilations') ?? kernel.map(() => 1);
      const autoPad = typeof node.attrs.auto_pad === 'string' ? node.attrs.auto_pad : 'NOTSET';
      const pads = autoPad.startsWith('SAME') ? samePads(xin.dims, kernel, strides, dilations, autoPad === 'SAME_UPPER')
        : intsAttr(node, 'pads') ?? Array(2 * r).fill(0);
      const o: PoolOptions = { kernel, strides, pads, dilations, ceilMode: numAttr(node, 'ceil_mode') === 1, countIncludePad: numAttr(node, 'count_include_pad') === 1 };
      const x = fromArray(xin.dims, xin.values);
      const y = node.opType === 'MaxPool' ? maxPool(x, o).y : avgPool(x, o);
      expect(y.shape).toEqual(want.dims);
      // The ceil_last_window case lists its expected output rounded to four decimals.
      const atol = name.includes('last_window_starts_on_pad') ? 1e-4 : 1e-5;
      expectClose(y.data, want.values, atol, 1e-5, name);
    });
  }
  it('test_globalaveragepool', () => {
    const kase = loadOnnxCase('test_globalaveragepool');
    const y = globalAvgPool(fromArray(kase.inputs[0]!.dims, kase.inputs[0]!.values));
    expect(y.shape).toEqual(kase.outputs[0]!.dims);
    expectClose(y.data, kase.outputs[0]!.values, 1e-5, 1e-5);
  });
});

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { fromArray, type Tensor } from '../../../runtime/tensor.ts';
import { batchNorm, batchNormBackward } from '../../../runtime/kernels/batchnorm.ts';
import { dense, denseBackward } from '../../../runtime/kernels/dense.ts';
import { softmax, logSoftmax, softmaxBackward, logSoftmaxBackward } from '../../../runtime/kernels/softmax.ts';
import { gemmNaive } from './helpers/naive.ts';
import { expectClose, gradCheck, randomArray, weightedSum } from './helpers/gradcheck.ts';
import { loadOnnxCase, numAttr, onnxNodeDir } from './helpers/onnx-case.ts';

const rand = (shape: number[], seed: number, scale = 1): Tensor => fromArray(shape, randomArray(shape.reduce((a, b) => a * b, 1), seed, scale));
const positive = (shape: number[], seed: number): Tensor => fromArray(shape, randomArray(shape.reduce((a, b) => a * b, 1), seed).map((v) => 0.5 + Math.abs(v)));

describe('batchnorm', () => {
  it('training mode normalizes each channel to zero mean and unit variance, then scales and shifts', () => {
    const x = rand([4, 3, 5, 2], 1, 3);
    const ones = fromArray([3], [1, 1, 1]), zerosC = fromArray([3], [0, 0, 0]);
    const { y } = batchNorm(x, ones, zerosC, zerosC, ones, { training: true, eps: 0 });
    for (let c = 0; c < 3; c++) {
      const vals: number[] = [];
      for (let b = 0; b < 4; b++) for (let i = 0; i < 10; i++) vals.push(y.data[(b * 3 + c) * 10 + i]!);
      const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
      const variance = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length;
      expect(mean).toBeCloseTo(0, 5);
      expect(variance).toBeCloseTo(1, 4);
    }
  });

  it('running statistics: ONNX momentum by default, PyTorch unbiased variance on request', () => {
    const x = fromArray([4, 1], [1, 2, 3, 6]);
    const one = fromArray([1], [1]), zero = fromArray([1], [0]);
    const r = batchNorm(x, one, zero, fromArray([1], [10]), fromArray([1], [2]), { training: true, momentum: 0.9 });
    // batch mean 3, biased variance 3.5, unbiased 14/3
    expect(r.runningMean.data[0]).toBeCloseTo(10 * 0.9 + 3 * 0.1, 5);
    expect(r.runningVar.data[0]).toBeCloseTo(2 * 0.9 + 3.5 * 0.1, 5);
    const u = batchNorm(x, one, zero, fromArray([1], [10]), fromArray([1], [2]), { training: true, momentum: 0.9, unbiasedRunningVar: true });
    expect(u.runningVar.data[0]).toBeCloseTo(2 * 0.9 + (14 / 3) * 0.1, 5);
  });

  it('[N, C] keeps the bits of the per-value formula (its per-channel factors are made once, in float64)', () => {
    const x = rand([7, 5], 3, 2), gamma = rand([5], 4), beta = rand([5], 5), dy = rand([7, 5], 6);
    const f = batchNorm(x, gamma, beta, rand([5], 7), positive([5], 8), { training: true });
    const g = batchNormBackward(x, gamma, dy, f.mean, f.invStd, true);
    // The float64 sums over samples, in sample order (dγ and dβ are them rounded to float32).
    const sd = new Float64Array(5), sq = new Float64Array(5);
    for (let i = 0; i < 35; i++) { const ch = i % 5; sd[ch] = sd[ch]! + dy.data[i]!; sq[ch] = sq[ch]! + dy.data[i]! * (x.data[i]! - f.mean[ch]!) * f.invStd[ch]!; }
    for (let i = 0; i < 35; i++) {
      const ch = i % 5, mu = f.mean[ch]!, is = f.invStd[ch]!, scale = gamma.data[ch]! * is;
      expect(f.y.data[i]).toBe(Math.fround(x.data[i]! * scale + (beta.data[ch]! - mu * scale)));
      const xhat = (x.data[i]! - mu) * is;
      expect(g.dx.data[i]).toBe(Math.fround((scale / 7) * (7 * dy.data[i]! - sd[ch]! - xhat * sq[ch]!)));
    }
  });

  it('backward matches finite differences in training and eval mode, on [N, C] and [N, C, H, W]', () => {
    fc.assert(fc.property(fc.constantFrom<number[]>([5, 3], [2, 3, 3, 2], [3, 2, 4]), fc.boolean(), fc.integer(), (shape, training, seed) => {
      const x = rand(shape, seed, 2);
      const c = shape[1]!;
      const gamma = rand([c], seed + 1), beta = rand([c], seed + 2), rm = rand([c], seed + 3), rv = positive([c], seed + 4);
      const fwd = () => batchNorm(x, gamma, beta, rm, rv, { training, eps: 1e-3 });
      const f = fwd();
      const r = randomArray(f.y.data.length, seed + 5);
      const g = batchNormBackward(x, gamma, fromArray(f.y.shape, r), f.mean, f.invStd, training);
      gradCheck(() => weightedSum(fwd().y.data, r), [
        { name: 'dx', param: x.data, grad: g.dx.data },
        { name: 'dgamma', param: gamma.data, grad: g.dgamma.data },
        { name: 'dbeta', param: beta.data, grad: g.dbeta.data },
      ], { eps: 1e-3, samples: 12 });
    }), { numRuns: 30 });
  });
});

describe('dense', () => {
  it('forward equals x·Wᵀ + b and backward matches finite differences', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.integer(),
      (m, inF, outF, withBias, seed) => {
        const x = rand([m, inF], seed), w = rand([outF, inF], seed + 1), b = withBias ? rand([outF], seed + 2) : undefined;
        const y = dense(x, w, b);
        const ref = gemmNaive(m, outF, inF, x.data, inF, false, w.data, inF, true, new Float32Array(0), outF, 1, 0);
        if (b) for (let i = 0; i < m; i++) for (let j = 0; j < outF; j++) ref[i * outF + j] = ref[i * outF + j]! + b.data[j]!;
        expectClose(y.data, ref, 1e-5, 1e-5);
        const r = randomArray(y.data.length, seed + 3);
        const g = denseBackward(x, w, fromArray(y.shape, r));
        const cases = [{ name: 'dx', param: x.data, grad: g.dx!.data }, { name: 'dw', param: w.data, grad: g.dw!.data }];
        if (b) cases.push({ name: 'db', param: b.data, grad: g.db!.data });
        gradCheck(() => weightedSum(dense(x, w, b).data, r), cases, { samples: 8 });
      }), { numRuns: 40 });
  });

  it('flattens leading axes: [B, T, in] → [B, T, out]', () => {
    const x = rand([2, 3, 4], 1), w = rand([5, 4], 2);
    const y = dense(x, w);
    expect(y.shape).toEqual([2, 3, 5]);
    expectClose(y.data, dense(fromArray([6, 4], x.data), w).data, 0, 0);
  });
});

describe('softmax and log_softmax', () => {
  it('rows sum to one, log_softmax = log(softmax), and large logits do not overflow', () => {
    const x = rand([3, 4, 5], 1, 50);
    for (const axis of [0, 1, 2, -1]) {
      const s = softmax(x, axis), ls = logSoftmax(x, axis);
      expect([...s.data].every(Number.isFinite)).toBe(true);
      expectClose(ls.data, [...s.data].map(Math.log), 1e-4, 1e-4);
    }
    const s = softmax(x, 1);
    for (let a = 0; a < 3; a++) for (let c = 0; c < 5; c++) {
      let sum = 0;
      for (let b = 0; b < 4; b++) sum += s.data[(a * 4 + b) * 5 + c]!;
      expect(sum).toBeCloseTo(1, 5);
    }
  });

  it('backward passes match finite differences along every axis', () => {
    for (const axis of [0, 1, -1]) {
      const x = rand([3, 4, 5], 2 + axis, 2);
      const r = randomArray(60, 9);
      const y = softmax(x, axis), ly = logSoftmax(x, axis);
      gradCheck(() => weightedSum(softmax(x, axis).data, r), [{ name: 'softmax', param: x.data, grad: softmaxBackward(y, fromArray(y.shape, r), axis).data }], { eps: 1e-3 });
      gradCheck(() => weightedSum(logSoftmax(x, axis).data, r), [{ name: 'log_softmax', param: x.data, grad: logSoftmaxBackward(ly, fromArray(ly.shape, r), axis).data }], { eps: 1e-3 });
    }
  });
});

describe('ONNX softmax / batchnorm / linear node tests (onnx v1.22.0)', () => {
  const names = readdirSync(onnxNodeDir).filter((d) =>
    /^test_(softmax|logsoftmax|Softmax|LogSoftmax|batchnorm|BatchNorm2d|Linear)/.test(d) && !d.includes('expanded'));
  it('found the cases', () => expect(names.length).toBeGreaterThan(20));
  for (const name of names) {
    it(name, () => {
      const kase = loadOnnxCase(name);
      const node = kase.nodes[0]!;
      const ins = kase.inputs.map((t) => fromArray(t.dims, t.values));
      const want = kase.outputs;
      const outs: Tensor[] = [];
      switch (node.opType) {
        case 'Softmax': outs.push(softmax(ins[0]!, numAttr(node, 'axis') ?? -1)); break;
        case 'LogSoftmax': outs.push(logSoftmax(ins[0]!, numAttr(node, 'axis') ?? -1)); break;
        case 'Gemm': outs.push(dense(ins[0]!, ins[1]!, ins[2])); break;
        case 'Transpose': {
          // test_Linear_no_bias is exported as MatMul(x, Transpose(W)).
          const mm = kase.nodes[1]!;
          const t = (n: string) => { const v = kase.tensors.get(n)!; return fromArray(v.dims, v.values); };
          outs.push(dense(t(mm.inputs[0]!), t(node.inputs[0]!)));
          break;
        }
        case 'BatchNormalization': {
          const [x, s, b, m, v] = ins as [Tensor, Tensor, Tensor, Tensor, Tensor];
          const training = numAttr(node, 'training_mode') === 1;
          const r = batchNorm(x, s, b, m, v, { training, eps: numAttr(node, 'epsilon') ?? 1e-5, momentum: numAttr(node, 'momentum') ?? 0.9 });
          outs.push(r.y);
          if (training) outs.push(r.runningMean, r.runningVar);
          break;
        }
        default: throw new Error(`unhandled ${node.opType}`);
      }
      want.forEach((w, i) => {
        expect(outs[i]!.shape).toEqual(w.dims);
        expectClose(outs[i]!.data, w.values, 1e-5, 1e-4, `${name} output ${i}`);
      });
    });
  }
});

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { fromArray, type Tensor } from '../../../runtime/tensor.ts';
import { rnn, rnnBackward } from '../../../runtime/kernels/rnn.ts';
import { lstm, lstmBackward, type LstmGateOrder } from '../../../runtime/kernels/lstm.ts';
import { gru, gruBackward, type GruGateOrder } from '../../../runtime/kernels/gru.ts';
import type { RecurrentWeights } from '../../../runtime/kernels/rnn-common.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { expectClose, gradCheck, randomArray, weightedSum } from './helpers/gradcheck.ts';
import { loadOnnxCase, numAttr, type OnnxCase } from './helpers/onnx-case.ts';

const rand = (shape: number[], seed: number, scale = 1): Tensor => fromArray(shape, randomArray(shape.reduce((a, b) => a * b, 1), seed, scale));
const sig = (v: number) => 1 / (1 + Math.exp(-v));

function weights(g: number, h: number, i: number, seed: number, bias: boolean): RecurrentWeights {
  return {
    w: rand([g * h, i], seed, 0.8), r: rand([g * h, h], seed + 1, 0.8),
    wb: bias ? rand([g * h], seed + 2, 0.5) : undefined, rb: bias ? rand([g * h], seed + 3, 0.5) : undefined,
  };
}

/** Scalar-by-scalar reference straight from the ONNX operator formulas. */
function naiveCell(kind: 'lstm' | 'gru', x: Tensor, wt: RecurrentWeights, h0: Float32Array, c0: Float32Array,
  o: { lstmOrder?: LstmGateOrder; gruOrder?: GruGateOrder; lbr?: boolean }): number[] {
  const [T, B, I] = x.shape as [number, number, number];
  const H = wt.r.shape[1]!;
  const W = (row: number, k: number) => wt.w.data[row * I + k]!;
  const R = (row: number, k: number) => wt.r.data[row * H + k]!;
  const wb = (row: number) => wt.wb?.data[row] ?? 0;
  const rb = (row: number) => wt.rb?.data[row] ?? 0;
  let h = Array.from(h0), c = Array.from(c0);
  const ys: number[] = [];
  for (let t = 0; t < T; t++) {
    const nh: number[] = [], nc: number[] = [];
    for (let b = 0; b < B; b++) {
      const xv = (k: number) => x.data[(t * B + b) * I + k]!;
      const hv = (k: number) => h[b * H + k]!;
      const xin = (row: number) => { let s = 0; for (let k = 0; k < I; k++) s += xv(k) * W(row, k); return s; };
      const hin = (row: number, scale: (k: number) => number = () => 1) => { let s = 0; for (let k = 0; k < H; k++) s += scale(k) * hv(k) * R(row, k); return s; };
      for (let j = 0; j < H; j++) {
        if (kind === 'lstm') {
          const pos = (o.lstmOrder ?? 'ifgo') === 'ifgo' ? { i: 0, f: 1, g: 2, o: 3 } : { i: 0, o: 1, f: 2, g: 3 };
          const pre = (gate: keyof typeof pos) => { const row = pos[gate] * H + j; return xin(row) + hin(row) + wb(row) + rb(row); };
          const cv = sig(pre('f')) * c[b * H + j]! + sig(pre('i')) * Math.tanh(pre('g'));
          nc[b * H + j] = cv;
          nh[b * H + j] = sig(pre('o')) * Math.tanh(cv);
        } else {
          const pos = (o.gruOrder ?? 'zrh') === 'zrh' ? { z: 0, r: 1, h: 2 } : { r: 0, z: 1, h: 2 };
          const zr = pos.z * H + j;
          const z = sig(xin(zr) + hin(zr) + wb(zr) + rb(zr));
          const rOf = (k: number) => { const rr = pos.r * H + k; return sig(xin(rr) + hin(rr) + wb(rr) + rb(rr)); };
          const hr = pos.h * H + j;
          const n = o.lbr
            ? Math.tanh(xin(hr) + wb(hr) + rOf(j) * (hin(hr) + rb(hr)))
            : Math.tanh(xin(hr) + hin(hr, rOf) + rb(hr) + wb(hr));
          nh[b * H + j] = (1 - z) * n + z * hv(j);
        }
      }
    }
    h = nh;
    if (kind === 'lstm') c = nc;
    ys.push(...h);
  }
  return ys;
}

const shapes = fc.record({ t: fc.integer({ min: 1, max: 4 }), b: fc.integer({ min: 1, max: 3 }), i: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 1, max: 4 }), bias: fc.boolean(), init: fc.boolean(), seed: fc.integer() });

describe('recurrent forward passes against scalar references', () => {
  it('lstm in both gate orders and gru in both orders and both reset placements', () => {
    fc.assert(fc.property(shapes, fc.constantFrom<LstmGateOrder>('ifgo', 'iofc'), fc.constantFrom<GruGateOrder>('zrh', 'rzn'), fc.boolean(),
      (s, lo, go, lbr) => {
        const x = rand([s.t, s.b, s.i], s.seed);
        const h0 = s.init ? rand([s.b, s.h], s.seed + 9) : undefined;
        const c0 = s.init ? rand([s.b, s.h], s.seed + 10) : undefined;
        const zero = new Float32Array(s.b * s.h);
        const wl = weights(4, s.h, s.i, s.seed + 1, s.bias);
        const l = lstm(x, wl, h0, c0, { gateOrder: lo });
        expectClose(l.y.data, naiveCell('lstm', x, wl, h0?.data ?? zero, c0?.data ?? zero, { lstmOrder: lo }), 1e-5, 1e-4, 'lstm');
        const wg = weights(3, s.h, s.i, s.seed + 2, s.bias);
        const g = gru(x, wg, h0, { gateOrder: go, linearBeforeReset: lbr });
        expectClose(g.y.data, naiveCell('gru', x, wg, h0?.data ?? zero, zero, { gruOrder: go, lbr }), 1e-5, 1e-4, 'gru');
        expect([...g.hT.data]).toEqual([...g.y.data.subarray((s.t - 1) * s.b * s.h)]);
      }), { numRuns: 60 });
  });

  it('rejects weights whose shapes disagree with the input', () => {
    const x = rand([2, 1, 3], 1);
    expect(() => rnn(x, weights(1, 4, 2, 1, false))).toThrow(KilnError);
    expect(() => lstm(x, { w: rand([8, 3], 1), r: rand([8, 3], 2) })).toThrow(/R must/);
  });
});

describe('backpropagation through time matches finite differences', () => {
  const lossCase = (s: { t: number; b: number; i: number; h: number; seed: number }) => ({
    x: rand([s.t, s.b, s.i], s.seed),
    r: randomArray(s.t * s.b * s.h, s.seed + 5),
    rh: randomArray(s.b * s.h, s.seed + 6),
    rc: randomArray(s.b * s.h, s.seed + 7),
  });
  const paramCases = (x: Tensor, wt: RecurrentWeights, g: { dx: Tensor; dw: Tensor; dr: Tensor; dwb: Tensor; drb: Tensor; dh0: Tensor }, h0: Tensor) => [
    { name: 'dx', param: x.data, grad: g.dx.data }, { name: 'dW', param: wt.w.data, grad: g.dw.data }, { name: 'dR', param: wt.r.data, grad: g.dr.data },
    { name: 'dWb', param: wt.wb!.data, grad: g.dwb.data }, { name: 'dRb', param: wt.rb!.data, grad: g.drb.data }, { name: 'dh0', param: h0.data, grad: g.dh0.data },
  ];

  it('rnn', () => {
    fc.assert(fc.property(shapes, (s) => {
      const { x, r, rh } = lossCase(s);
      const wt = weights(1, s.h, s.i, s.seed + 1, true);
      const h0 = rand([s.b, s.h], s.seed + 8);
      const f = rnn(x, wt, h0);
      const g = rnnBackward(x, wt, f.cache, fromArray(f.y.shape, r), fromArray([s.b, s.h], rh));
      const loss = () => { const o = rnn(x, wt, h0); return weightedSum(o.y.data, r) + weightedSum(o.hT.data, rh); };
      gradCheck(loss, paramCases(x, wt, g, h0), { eps: 1e-3, samples: 6 });
    }), { numRuns: 25 });
  });

  it('lstm, both gate orders, with final hidden and cell state gradients', () => {
    fc.assert(fc.property(shapes, fc.constantFrom<LstmGateOrder>('ifgo', 'iofc'), (s, gateOrder) => {
      const { x, r, rh, rc } = lossCase(s);
      const wt = weights(4, s.h, s.i, s.seed + 1, true);
      const h0 = rand([s.b, s.h], s.seed + 8), c0 = rand([s.b, s.h], s.seed + 9);
      const f = lstm(x, wt, h0, c0, { gateOrder });
      const g = lstmBackward(x, wt, f.cache, fromArray(f.y.shape, r), fromArray([s.b, s.h], rh), fromArray([s.b, s.h], rc));
      const loss = () => { const o = lstm(x, wt, h0, c0, { gateOrder }); return weightedSum(o.y.data, r) + weightedSum(o.hT.data, rh) + weightedSum(o.cT.data, rc); };
      gradCheck(loss, [...paramCases(x, wt, g, h0), { name: 'dc0', param: c0.data, grad: g.dc0.data }], { eps: 1e-3, samples: 6 });
    }), { numRuns: 25 });
  });

  it('gru, linear_before_reset 0 and 1, both gate orders', () => {
    fc.assert(fc.property(shapes, fc.boolean(), fc.constantFrom<GruGateOrder>('zrh', 'rzn'), (s, linearBeforeReset, gateOrder) => {
      const { x, r, rh } = lossCase(s);
      const wt = weights(3, s.h, s.i, s.seed + 1, true);
      const h0 = rand([s.b, s.h], s.seed + 8);
      const o = { linearBeforeReset, gateOrder };
      const f = gru(x, wt, h0, o);
      const g = gruBackward(x, wt, f.cache, fromArray(f.y.shape, r), fromArray([s.b, s.h], rh));
      const loss = () => { const q = gru(x, wt, h0, o); return weightedSum(q.y.data, r) + weightedSum(q.hT.data, rh); };
      gradCheck(loss, paramCases(x, wt, g, h0), { eps: 1e-3, samples: 6 });
    }), { numRuns: 40 });
  });
});

/** ONNX keeps a direction axis on W, R, B and may put batch first (layout = 1). */
function onnxRecurrent(kase: OnnxCase, gates: number) {
  const node = kase.nodes[0]!;
  const get = (i: number) => { const n = node.inputs[i]; const t = n ? kase.tensors.get(n) : undefined; return t; };
  const X = get(0)!, W = get(1)!, R = get(2)!, B = get(3);
  const h = numAttr(node, 'hidden_size')!;
  const batchFirst = numAttr(node, 'layout') === 1;
  let x = fromArray(X.dims, X.values);
  if (batchFirst) {
    const [b, t, i] = X.dims as [number, number, number];
    const d = new Float32Array(t * b * i);
    for (let bb = 0; bb < b; bb++) for (let tt = 0; tt < t; tt++) for (let k = 0; k < i; k++) d[(tt * b + bb) * i + k] = X.values[(bb * t + tt) * i + k]!;
    x = fromArray([t, b, i], d);
  }
  const gh = gates * h;
  const wt: RecurrentWeights = {
    w: fromArray([gh, W.dims[2]!], W.values), r: fromArray([gh, h], R.values),
    wb: B ? fromArray([gh], B.values.slice(0, gh)) : undefined, rb: B ? fromArray([gh], B.values.slice(gh)) : undefined,
  };
  const yh = kase.outputs[kase.outputs.length - 1]!;
  return { x, wt, yh, lbr: numAttr(node, 'linear_before_reset') === 1 };
}

describe('ONNX RNN / LSTM / GRU node tests (onnx v1.22.0)', () => {
  for (const name of ['test_simple_rnn_defaults', 'test_simple_rnn_with_initial_bias', 'test_simple_rnn_batchwise', 'test_rnn_seq_length']) {
    it(name, () => {
      const { x, wt, yh } = onnxRecurrent(loadOnnxCase(name), 1);
      expectClose(rnn(x, wt).hT.data, yh.values, 1e-5, 1e-4, name);
    });
  }
  for (const name of ['test_lstm_defaults', 'test_lstm_with_initial_bias', 'test_lstm_batchwise']) {
    it(`${name} (gate order iofc)`, () => {
      const { x, wt, yh } = onnxRecurrent(loadOnnxCase(name), 4);
      expectClose(lstm(x, wt, undefined, undefined, { gateOrder: 'iofc' }).hT.data, yh.values, 1e-5, 1e-4, name);
    });
  }
  for (const name of ['test_gru_defaults', 'test_gru_with_initial_bias', 'test_gru_seq_length', 'test_gru_batchwise']) {
    it(name, () => {
      const { x, wt, yh, lbr } = onnxRecurrent(loadOnnxCase(name), 3);
      expectClose(gru(x, wt, undefined, { linearBeforeReset: lbr }).hT.data, yh.values, 1e-5, 1e-4, name);
    });
  }
});

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { fromArray, mulberry32, type Tensor } from '../../../runtime/tensor.ts';
import { binarizeInside } from '../../../runtime/kernels/activations.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import {
  add, addBackward, broadcastShapes, div, divBackward, mul, mulBackward, reduceToShape, sub, subBackward,
} from '../../../runtime/kernels/broadcast.ts';
import {
  binarize, clip, clipBackward, hardTanh, hardTanhBackward, leakyRelu, leakyReluBackward, prelu, preluBackward, relu,
  reluBackward, sigmoid, sigmoidBackward, sign, signSteBackward, tanh, tanhBackward,
} from '../../../runtime/kernels/activations.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { expectClose, gradCheck, randomArray, weightedSum } from './helpers/gradcheck.ts';
import { loadOnnxCase, numAttr, onnxNodeDir } from './helpers/onnx-case.ts';

const rand = (shape: number[], seed: number, scale = 1): Tensor => fromArray(shape, randomArray(shape.reduce((a, b) => a * b, 1), seed, scale));

/** A pair of shapes that broadcast: start from an output shape and knock dims down to 1 or drop leading ones. */
const bcastPair = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 }).chain((out) => fc.tuple(
  fc.constant(out),
  fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
  fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
  fc.integer({ min: 0, max: out.length }),
  fc.integer({ min: 0, max: out.length }),
  fc.integer(),
)).map(([out, ka, kb, dropA, dropB, seed]) => ({
  out,
  a: out.map((d, i) => (ka[i] ? 1 : d)).slice(dropA),
  b: out.map((d, i) => (kb[i] ? 1 : d)).slice(dropB),
  seed,
}));

/** Read element `outIdx` (row-major multi-index over outShape) of t broadcast to outShape. */
function at(t: Tensor, outShape: number[], flat: number): number {
  const idx: number[] = [];
  for (let i = outShape.length - 1; i >= 0; i--) { idx.unshift(flat % outShape[i]!); flat = Math.floor(flat / outShape[i]!); }
  const off = outShape.length - t.shape.length;
  let p = 0;
  for (let i = 0; i < t.shape.length; i++) p = p * t.shape[i]! + (t.shape[i] === 1 ? 0 : idx[i + off]!);
  return t.data[p]!;
}

describe('broadcasting add / sub / mul / div', () => {
  it('match elementwise definitions on random broadcastable shapes', () => {
    fc.assert(fc.property(bcastPair, ({ out, a: as, b: bs, seed }) => {
      const a = rand(as, seed), b = rand(bs, seed + 1);
      const shape = broadcastShapes(as, bs);
      const n = shape.reduce((x, y) => x * y, 1);
      for (const [f, op] of [[add, (x: number, y: number) => x + y], [sub, (x: number, y: number) => x - y], [mul, (x: number, y: number) => x * y]] as const) {
        const y = f(a, b);
        expect(y.shape).toEqual(shape);
        const want = Array.from({ length: n }, (_, i) => op(at(a, shape, i), at(b, shape, i)));
        expectClose(y.data, want, 1e-6, 1e-6);
      }
      expect(shape.length).toBe(Math.max(as.length, bs.length));
      shape.forEach((d, i) => expect([1, out[out.length - shape.length + i]]).toContain(d));
    }), { numRuns: 150 });
  });

  it('backward reduces over broadcast dims and matches finite differences', () => {
    fc.assert(fc.property(bcastPair, ({ a: as, b: bs, seed }) => {
      const a = rand(as, seed), b = rand(bs, seed + 1);
      // Keep divisors away from zero.
      const bPos = fromArray(bs, b.data.map((v) => (v >= 0 ? 1 + v : v - 1)));
      const ops = [
        [add, (dy: Tensor) => addBackward(dy, as, bs), b],
        [sub, (dy: Tensor) => subBackward(dy, as, bs), b],
        [mul, (dy: Tensor) => mulBackward(a, b, dy), b],
        [div, (dy: Tensor) => divBackward(a, bPos, dy), bPos],
      ] as const;
      for (const [f, back, bb] of ops) {
        const y = f(a, bb);
        const r = randomArray(y.data.length, seed + 2);
        const g = back(fromArray(y.shape, r));
        expect(g.da.shape).toEqual(as);
        expect(g.db.shape).toEqual(bs);
        gradCheck(() => weightedSum(f(a, bb).data, r), [{ name: 'da', param: a.data, grad: g.da.data }, { name: 'db', param: bb.data, grad: g.db.data }], { samples: 6 });
      }
    }), { numRuns: 60 });
  });

  it('reduceToShape sums a [2,3] gradient to [3] and [2,1]', () => {
    const g = fromArray([2, 3], [1, 2, 3, 4, 5, 6]);
    expect([...reduceToShape(g, [3]).data]).toEqual([5, 7, 9]);
    expect([...reduceToShape(g, [2, 1]).data]).toEqual([6, 15]);
    expect([...reduceToShape(g, []).data]).toEqual([21]);
  });

  it('rejects shapes that do not broadcast', () => {
    expect(() => add(rand([2, 3], 1), rand([4], 2))).toThrow(KilnError);
  });
});

describe('activations', () => {
  const x = rand([3, 4, 5], 42, 3);
  // Steer clear of kinks, where one-sided derivatives differ from the finite difference.
  for (let i = 0; i < x.data.length; i++) if (Math.abs(x.data[i]!) < 0.05 || Math.abs(Math.abs(x.data[i]!) - 1) < 0.05) x.data[i] = 0.5;
  const r = randomArray(x.data.length, 43);
  const check = (f: (t: Tensor) => Tensor, back: () => Tensor, name: string): void =>
    gradCheck(() => weightedSum(f(x).data, r), [{ name, param: x.data, grad: back().data }], { samples: 60, eps: 1e-3 });
  const dy = fromArray(x.shape, r);

  it('relu, leaky_relu, sigmoid, tanh, hard_tanh, clip match finite differences', () => {
    check(relu, () => reluBackward(x, dy), 'relu');
    check((t) => leakyRelu(t, 0.2), () => leakyReluBackward(x, dy, 0.2), 'leaky_relu');
    check(sigmoid, () => sigmoidBackward(sigmoid(x), dy), 'sigmoid');
    check(tanh, () => tanhBackward(tanh(x), dy), 'tanh');
    check(hardTanh, () => hardTanhBackward(x, dy), 'hard_tanh');
    check((t) => clip(t, -0.7, 1.3), () => clipBackward(x, dy, -0.7, 1.3), 'clip');
  });

  it('sigmoid is stable for large magnitudes', () => {
    const y = sigmoid(fromArray([4], [-1000, -40, 40, 1000]));
    expect([...y.data].every(Number.isFinite)).toBe(true);
    expect(y.data[0]).toBe(0);
    expect(y.data[3]).toBe(1);
  });

  it('sign follows ONNX (sign 0 = 0), binarize maps 0 to +1, STE passes gradient only where |x| ≤ 1', () => {
    const t = fromArray([5], [-2, -0.5, 0, 0.5, 2]);
    expect([...sign(t).data]).toEqual([-1, -1, 0, 1, 1]);
    expect([...binarize(t).data]).toEqual([-1, -1, 1, 1, 1]);
    expect([...signSteBackward(t, fromArray([5], [1, 2, 3, 4, 5])).data]).toEqual([0, 2, 3, 4, 0]);
    expect([...signSteBackward(t, fromArray([5], [1, 2, 3, 4, 5]), Infinity).data]).toEqual([1, 2, 3, 4, 5]);
  });

  it('prelu with a per-channel slope [C, 1, 1] and a shared slope; backward reduces the slope gradient', () => {
    for (const sshape of [[4, 1, 1], [1], [5]]) {
      const xs = rand([2, 4, 3, 5], 7, 2);
      const slope = rand(sshape, 8);
      const y = prelu(xs, slope);
      const rr = randomArray(y.data.length, 9);
      const g = preluBackward(xs, slope, fromArray(y.shape, rr));
      expect(g.dslope.shape).toEqual(sshape);
      gradCheck(() => weightedSum(prelu(xs, slope).data, rr), [{ name: 'dx', param: xs.data, grad: g.dx.data }, { name: 'dslope', param: slope.data, grad: g.dslope.data }]);
    }
  });
});

describe('ONNX activation and elementwise node tests (onnx v1.22.0)', () => {
  const names = readdirSync(onnxNodeDir).filter((d) =>
    /^test_(relu|ReLU|sigmoid|Sigmoid|tanh|Tanh|leakyrelu|LeakyReLU|PReLU|sign|clip|add|mul)(_|$)/.test(d)
    && !d.includes('expanded') && !/int|uint/.test(d));
  it('found the cases', () => expect(names.length).toBeGreaterThan(25));
  for (const name of names) {
    it(name, () => {
      const kase = loadOnnxCase(name);
      const node = kase.nodes[0]!;
      const [a, b] = kase.inputs.map((t) => fromArray(t.dims, t.values));
      let y: Tensor;
      switch (node.opType) {
        case 'Relu': y = relu(a!); break;
        case 'Sigmoid': y = sigmoid(a!); break;
        case 'Tanh': y = tanh(a!); break;
        case 'LeakyRelu': y = leakyRelu(a!, numAttr(node, 'alpha') ?? 0.01); break;
        case 'Sign': y = sign(a!); break;
        case 'Add': y = add(a!, b!); break;
        case 'Mul': y = mul(a!, b!); break;
        case 'PRelu': {
          // Old PyTorch exports give a per-channel slope as [C]; numpy broadcasting wants [C, 1, ...].
          const s = b!.shape.length === 1 && b!.shape[0] !== 1 && b!.shape[0] !== a!.shape[a!.shape.length - 1]
            ? fromArray([b!.shape[0]!, ...a!.shape.slice(2).map(() => 1)], b!.data) : b!;
          y = prelu(a!, s);
          break;
        }
        case 'Clip': {
          // Optional inputs: an omitted min appears as the empty name "".
          const lo = node.inputs[1] ? kase.tensors.get(node.inputs[1])!.values[0]! : -Infinity;
          const hi = node.inputs[2] ? kase.tensors.get(node.inputs[2])!.values[0]! : Infinity;
          y = clip(a!, lo, hi);
          break;
        }
        default: throw new Error(`unhandled ${node.opType}`);
      }
      const want = kase.outputs[0]!;
      expect(y.shape).toEqual(want.dims);
      expectClose(y.data, want.values, 1e-6, 1e-5, name);
    });
  }
});

describe('binarize and the sign STE in WebAssembly', () => {
  it('give the JS loops\' bits, at −0, NaN, ±1 and beyond, and note whether every |x| ≤ 1', () => {
    const rng = mulberry32(5);
    // 2,051 values (a partial vector at the end), edge values placed among random ones.
    const values = Array.from({ length: 2051 }, () => (rng() - 0.5) * 2.2);
    [-0, 0, 1, -1, Math.fround(1 + 2 ** -23), NaN, -NaN, Infinity, -Infinity].forEach((v, i) => { values[i * 200 + 3] = v; });
    const x = fromArray([2051], values);
    const inRange = fromArray([2051], values.map((v) => (Number.isNaN(v) ? 0 : Math.max(-1, Math.min(1, v)))));
    const dy = fromArray([2051], values.map((_, i) => (i % 3 === 0 ? -0.5 : i % 7 === 0 ? NaN : (i - 1000) / 100)));
    const run = (backend: 'wasm' | 'js') => {
      setKernelBackend(backend);
      try {
        const b = binarizeInside(x), c = binarizeInside(inRange);
        return { y: Buffer.from(b.y.data.buffer.slice(0)), inside: [b.inside, c.inside], ste: Buffer.from(signSteBackward(x, dy).data.buffer.slice(0)) };
      } finally {
        setKernelBackend(undefined);
      }
    };
    const w = run('wasm'), j = run('js');
    expect(w.y.equals(j.y)).toBe(true);
    expect(w.ste.equals(j.ste)).toBe(true);
    expect(w.inside).toEqual([false, true]);
    expect(j.inside).toEqual([false, true]);
    expect([...binarize(fromArray([4], [-0, NaN, 1e-30, -1e-30])).data]).toEqual([1, -1, 1, -1]);
  });
});

/**
 * Straight-through estimators where the forward pass is not differentiable: sign (the hardtanh
 * STE of Courbariaux, Hubara et al. 2016), weights and activations fake-quantized to the layer's
 * precision (binary, ternary per TWN, Li et al. 2016; i8 per Jacob et al. 2018; i16 dynamic fixed
 * point; f16 and bf16 rounding), each checked against the definition, forward and backward.
 */
import { describe, expect, it } from 'vitest';
import { backward, bf16Round, f16Round, forward } from '../../../runtime/autodiff.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { chooseExponent } from '../../../runtime/kernels/fixed-point.ts';
import { fakeQuantInt8 } from '../../../runtime/kernels/quant-int8.ts';
import { dequantizeTernary, ternarize } from '../../../runtime/kernels/ternary.ts';
import { type Tensor, fromArray, mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';

/** x·Wᵀ + b in float64, for checking forward values. */
function denseRef(x: Tensor, w: Float32Array, b: Float32Array, outF: number): number[] {
  const inF = x.shape[1]!;
  const out: number[] = [];
  for (let i = 0; i < x.shape[0]!; i++) for (let o = 0; o < outF; o++) {
    let s = b[o]!;
    for (let p = 0; p < inF; p++) s += x.data[i * inF + p]! * w[o * inF + p]!;
    out.push(s);
  }
  return out;
}

/** dL/dW for L = Σ R ⊙ (x·Wᵀ + b): Rᵀ·x. */
function weightGradRef(x: Tensor, r: Tensor, outF: number): number[] {
  const inF = x.shape[1]!;
  return Array.from({ length: outF * inF }, (_, k) => {
    const o = Math.floor(k / inF), p = k % inF;
    let s = 0;
    for (let i = 0; i < x.shape[0]!; i++) s += r.data[i * outF + o]! * x.data[i * inF + p]!;
    return s;
  });
}

function quantizedDense(precision: string) {
  const m = build(['input x : f32[3, 5]', `y = dense(x, 4, weights = ${precision})`, 'output y']);
  const w = initParams(m, 2);
  const latent = w.y!.weight!;
  // Spread the latent weights over ±1.5 so some lie beyond binary's clipping point.
  const rng = mulberry32(4);
  for (let i = 0; i < latent.data.length; i++) latent.data[i] = 3 * rng() - 1.5;
  w.y!.bias!.data.set([0.1, -0.2, 0.3, 0]);
  const x = randomUniform([3, 5], mulberry32(5), -1, 1);
  const fwd = forward(m, w, { x }, { training: true });
  const r = randomUniform([3, 4], mulberry32(6), -1, 1);
  const g = backward(m, fwd, new Map([['y', r]]), { training: true });
  return { x, latent, y: fwd.outputs.y!, dW: g.params.y!.weight!, dB: g.params.y!.bias!, r, bias: w.y!.bias! };
}

describe('sign: forward ±1, backward the hardtanh straight-through estimator', () => {
  it('passes the gradient where |x| ≤ 1 and cuts it elsewhere', () => {
    const m = build(['input x : f32[2, 4]', 'y = sign(x)', 'output y']);
    const x = fromArray([2, 4], [-2, -1, -0.5, 0, 0.25, 1, 1.5, 3]);
    const fwd = forward(m, {}, { x });
    expect(Array.from(fwd.outputs.y!.data)).toEqual([-1, -1, -1, 1, 1, 1, 1, 1]);
    const r = fromArray([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const g = backward(m, fwd, new Map([['y', r]]), { training: false, inputs: true });
    expect(Array.from(g.inputs.x!.data)).toEqual([0, 2, 3, 4, 5, 6, 0, 0]);
  });
});

describe('quantized weights: the forward uses quantized weights, the gradient reaches the latent ones', () => {
  it('binary: sign(W) forward; dL/dW_latent = dL/dW_b where |W| ≤ 1 (BinaryConnect)', () => {
    const q = quantizedDense('binary');
    const wb = Float32Array.from(q.latent.data, (v) => (v >= 0 ? 1 : -1));
    Array.from(q.y.data).forEach((v, i) => expect(v).toBeCloseTo(denseRef(q.x, wb, q.bias.data, 4)[i]!, 5));
    const ref = weightGradRef(q.x, q.r, 4);
    let cut = 0;
    Array.from(q.dW.data).forEach((v, i) => {
      const inside = Math.abs(q.latent.data[i]!) <= 1;
      if (!inside) cut++;
      expect(v).toBeCloseTo(inside ? ref[i]! : 0, 5);
    });
    expect(cut).toBeGreaterThan(0);
  });

  it('ternary: α·t with TWN thresholds forward; identity straight-through backward', () => {
    const q = quantizedDense('ternary');
    const wt = dequantizeTernary(ternarize(q.latent)).data;
    expect(new Set(Array.from(wt).map((v) => Math.abs(v))).size).toBeLessThanOrEqual(2);
    Array.from(q.y.data).forEach((v, i) => expect(v).toBeCloseTo(denseRef(q.x, wt, q.bias.data, 4)[i]!, 5));
    Array.from(q.dW.data).forEach((v, i) => expect(v).toBeCloseTo(weightGradRef(q.x, q.r, 4)[i]!, 5));
  });

  it('i8 per channel: one max-abs scale per output row; gradient passes (nothing saturates)', () => {
    const q = quantizedDense('i8 per_channel');
    const wq = fakeQuantInt8(q.latent, { axis: 0, narrowRange: true }).y.data;
    for (let o = 0; o < 4; o++) {
      const row = Array.from(q.latent.data.subarray(o * 5, o * 5 + 5));
      const scale = Math.max(...row.map(Math.abs)) / 127;
      row.forEach((_, p) => expect(Math.abs(wq[o * 5 + p]! / scale - Math.round(wq[o * 5 + p]! / scale))).toBeLessThan(1e-3));
    }
    Array.from(q.y.data).forEach((v, i) => expect(v).toBeCloseTo(denseRef(q.x, wq, q.bias.data, 4)[i]!, 5));
    Array.from(q.dW.data).forEach((v, i) => expect(v).toBeCloseTo(weightGradRef(q.x, q.r, 4)[i]!, 5));
  });

  it('biases stay real whatever the weight precision, and get the plain gradient Σ dy', () => {
    const q = quantizedDense('binary');
    Array.from(q.dB.data).forEach((v, o) => expect(v).toBeCloseTo(q.r.data[o]! + q.r.data[4 + o]! + q.r.data[8 + o]!, 5));
    const m = build(['input x : f32[3, 5]', 'y = dense(x, 4, weights = binary)', 'output y']);
    const w = initParams(m, 2);
    w.y!.bias!.data.set([0.123, 0, 0, 0]);
    expect(forward(m, w, { x: fromArray([3, 5], new Array(15).fill(0)) }).outputs.y!.data[0]).toBeCloseTo(0.123, 6);
  });
});

describe('quantized activations', () => {
  /** dense(x, 3, activations = P): output, pre-quantization output, and dL/d(bias) for L = Σ R ⊙ y. */
  function run(precision: string, x: Tensor) {
    const m = build([`input x : f32[${x.shape.join(', ')}]`, `y = dense(x, 3, activations = ${precision})`, 'output y']);
    const fwd = forward(m, initParams(m, 1), { x });
    const r = randomUniform(fwd.outputs.y!.shape, mulberry32(8), -1, 1);
    const g = backward(m, fwd, new Map([['y', r]]), { training: false });
    return { y: fwd.outputs.y!, pre: fwd.tape[0]!.output, r, dB: g.params.y!.bias! };
  }
  const columnSums = (r: Tensor, keep: (i: number) => boolean) =>
    [0, 1, 2].map((o) => Array.from(r.data).reduce((s, v, i) => s + (i % 3 === o && keep(i) ? v : 0), 0));

  it('i8: outputs on the grid of max|y|/127, gradient straight through', () => {
    const o = run('i8', randomUniform([4, 6], mulberry32(3), -2, 2));
    const scale = Math.max(...Array.from(o.pre.data).map(Math.abs)) / 127;
    for (const v of o.y.data) expect(Math.abs(v / scale - Math.round(v / scale))).toBeLessThan(1e-3);
    Array.from(o.y.data).forEach((v, i) => expect(Math.abs(v - o.pre.data[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-6));
    Array.from(o.dB.data).forEach((v, k) => expect(v).toBeCloseTo(columnSums(o.r, () => true)[k]!, 5));
  });

  it('binary: outputs ±1, gradient cut where the pre-activation left [−1, 1]', () => {
    const o = run('binary', randomUniform([4, 6], mulberry32(3), -2, 2));
    for (const v of o.y.data) expect(Math.abs(v)).toBe(1);
    expect(Array.from(o.pre.data).some((v) => Math.abs(v) > 1)).toBe(true);
    Array.from(o.dB.data).forEach((v, k) => expect(v).toBeCloseTo(columnSums(o.r, (i) => Math.abs(o.pre.data[i]!) <= 1)[k]!, 5));
  });

  it('i16: values are multiples of 2^e, e the smallest exponent with max|y| ≤ 32767·2^e', () => {
    const o = run('i16', randomUniform([4, 6], mulberry32(9), -3, 3));
    const step = 2 ** chooseExponent(Math.max(...Array.from(o.pre.data).map(Math.abs)));
    for (const v of o.y.data) expect(Number.isInteger(v / step)).toBe(true);
    Array.from(o.y.data).forEach((v, i) => expect(Math.abs(v - o.pre.data[i]!)).toBeLessThanOrEqual(step / 2));
    Array.from(o.dB.data).forEach((v, k) => expect(v).toBeCloseTo(columnSums(o.r, () => true)[k]!, 5));
  });
});

describe('f16 and bf16 rounding (IEEE 754 binary16; bfloat16 = the top half of binary32), ties to even', () => {
  it('f16: ulp 2^-10 at 1, largest finite 65504, overflow at 65520, subnormals down to 2^-24', () => {
    expect(f16Round(1 + 2 ** -11)).toBe(1);
    expect(f16Round(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(f16Round(1 + 2 ** -10)).toBe(1 + 2 ** -10);
    expect(f16Round(65504)).toBe(65504);
    expect(f16Round(65519)).toBe(65504);
    expect(f16Round(65520)).toBe(Infinity);
    expect(f16Round(-(2 ** -24))).toBe(-(2 ** -24));
    expect(f16Round(2 ** -26)).toBe(0);
    expect(f16Round(0.1)).toBeCloseTo(0.0999755859375, 12);
  });

  it('bf16: 8 significant bits', () => {
    expect(bf16Round(1 + 2 ** -8)).toBe(1);
    expect(bf16Round(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(bf16Round(Math.PI)).toBe(3.140625);
    expect(bf16Round(-0.1)).toBe(-0.10009765625);
  });
});

/**
 * Every op of the vocabulary on a small case whose result is worked out by hand (or, for the
 * recurrent cells, from their defining equations written out in the test).
 */
import { describe, expect, it } from 'vitest';
import { OPS } from '../../../compiler/ir/ops.ts';
import { INTERPRETED_OPS } from '../../../runtime/interpreter.ts';
import { build, expectValues, runWith } from './helpers.ts';

const checked = new Set<string>();
const mark = (...ops: string[]) => ops.forEach((o) => checked.add(o));
const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe('compute ops', () => {
  it('dense: x·Wᵀ + b over the last axis, for 2-D and 3-D inputs', () => {
    const w = { weight: [1, 0, 0, 1, 1, 1], bias: [0.5, 0, -1] };
    const m2 = build(['input x : f32[1, 2]', 'y = dense(x, 3)', 'output y']);
    expectValues(runWith(m2, { x: [1, 2] }, { y: w }).outputs.y!, [1, 3], [1.5, 2, 2]);
    const m3 = build(['input x : f32[1, 2, 2]', 'y = dense(x, 3)', 'output y']);
    expectValues(runWith(m3, { x: [1, 2, -1, 0] }, { y: w }).outputs.y!, [1, 2, 3], [1.5, 2, 2, -0.5, 0, -2]);
    mark('dense');
  });

  it('matmul: [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]]', () => {
    const m = build(['input a : f32[2, 2]', 'input b : f32[2, 2]', 'y = matmul(a, b)', 'output y']);
    expectValues(runWith(m, { a: [1, 2, 3, 4], b: [5, 6, 7, 8] }).outputs.y!, [2, 2], [19, 22, 43, 50]);
    mark('matmul');
  });

  it('conv2d: a 3×3 box filter over 1..9 with pad 1 and bias', () => {
    const m = build(['input x : f32[1, 1, 3, 3]', 'y = conv2d(x, 1, 3, pad = 1)', 'output y']);
    const r = runWith(m, { x: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, { y: { weight: new Array(9).fill(1), bias: [0.5] } });
    // Corners sum a 2×2 block, edges a 2×3 block, the centre everything.
    expectValues(r.outputs.y!, [1, 1, 3, 3], [12, 21, 16, 27, 45, 33, 24, 39, 28].map((v) => v + 0.5));
    mark('conv2d');
  });

  it('maxpool2d and avgpool2d over 2×2 windows of 1..16', () => {
    const x = Array.from({ length: 16 }, (_, i) => i + 1);
    const m = build(['input x : f32[1, 1, 4, 4]', 'a = maxpool2d(x, 2)', 'b = avgpool2d(x, 2)', 'output a, b']);
    const r = runWith(m, { x });
    expectValues(r.outputs.a!, [1, 1, 2, 2], [6, 8, 14, 16]);
    expectValues(r.outputs.b!, [1, 1, 2, 2], [3.5, 5.5, 11.5, 13.5]);
    mark('maxpool2d', 'avgpool2d');
  });

  it('avgpool2d counts padding only with count_include_pad', () => {
    const m = build(['input x : f32[1, 1, 2, 2]', 'a = avgpool2d(x, 2, pad = 1)', 'b = avgpool2d(x, 2, pad = 1, count_include_pad = true)', 'output a, b']);
    const r = runWith(m, { x: [1, 2, 3, 4] });
    expectValues(r.outputs.a!, [1, 1, 2, 2], [1, 2, 3, 4]);
    expectValues(r.outputs.b!, [1, 1, 2, 2], [0.25, 0.5, 0.75, 1]);
  });

  it('global_avgpool averages each channel', () => {
    const m = build(['input x : f32[1, 2, 2, 2]', 'y = global_avgpool(x)', 'output y']);
    expectValues(runWith(m, { x: [1, 2, 3, 4, 10, 20, 30, 40] }).outputs.y!, [1, 2, 1, 1], [2.5, 25]);
    mark('global_avgpool');
  });

  it('batchnorm: running statistics in inference, batch statistics (and updated running ones) in training', () => {
    const m = build(['input x : f32[4, 1]', 'y = batchnorm(x, eps = 0)', 'output y']);
    const w = { y: { gamma: [2], beta: [1], running_mean: [2], running_var: [4] } };
    expectValues(runWith(m, { x: [1, 2, 3, 4] }, w).outputs.y!, [4, 1], [0, 1, 2, 3]);
    const tr = runWith(m, { x: [1, 2, 3, 4] }, w, { training: true });
    // Batch mean 2.5, biased variance 1.25; Kiln's momentum 0.1 is the update rate.
    expectValues(tr.outputs.y!, [4, 1], [1, 2, 3, 4].map((v) => (2 * (v - 2.5)) / Math.sqrt(1.25) + 1));
    expectValues(tr.state.y!.running_mean!, [1], [0.9 * 2 + 0.1 * 2.5]);
    expectValues(tr.state.y!.running_var!, [1], [0.9 * 4 + 0.1 * 1.25]);
    mark('batchnorm');
  });

  it('embedding picks table rows by id', () => {
    const m = build(['input ids : i32[1, 2]', 'y = embedding(ids, 3, 2)', 'output y']);
    expectValues(runWith(m, { ids: [2, 0] }, { y: { table: [1, 2, 3, 4, 5, 6] } }).outputs.y!, [1, 2, 2], [5, 6, 1, 2]);
    mark('embedding');
  });

  it('param returns its learned value', () => {
    const m = build(['input x : f32[1, 2]', 'p = param([1, 2])', 'y = add(x, p)', 'output y']);
    expectValues(runWith(m, { x: [1, 2] }, { p: { value: [10, 20] } }).outputs.y!, [1, 2], [11, 22]);
    mark('param', 'add');
  });
});

describe('activations', () => {
  it('relu, leaky_relu, sigmoid, tanh, hard_tanh, sign', () => {
    const m = build([
      'input x : f32[1, 3]',
      'a = relu(x)', 'b = leaky_relu(x, 0.1)', 'c = sigmoid(x)', 'd = tanh(x)', 'e = hard_tanh(x, min = -1, max = 0.5)', 'f = sign(x)',
      'output a, b, c, d, e, f',
    ]);
    const o = runWith(m, { x: [-2, 0, 3] }).outputs;
    expectValues(o.a!, [1, 3], [0, 0, 3]);
    expectValues(o.b!, [1, 3], [-0.2, 0, 3]);
    expectValues(o.c!, [1, 3], [sig(-2), 0.5, sig(3)]);
    expectValues(o.d!, [1, 3], [Math.tanh(-2), 0, Math.tanh(3)]);
    expectValues(o.e!, [1, 3], [-1, 0, 0.5]);
    // Kiln's sign binarizes: zero counts as +1.
    expectValues(o.f!, [1, 3], [-1, 1, 1]);
    mark('relu', 'leaky_relu', 'sigmoid', 'tanh', 'hard_tanh', 'sign');
  });

  it('quantize: round half to even, saturation, uint8 zero points, per-channel scales (ONNX QuantizeLinear)', () => {
    const m = build(['input x : f32[1, 2, 3]', 'a = quantize(x)', 'b = quantize(x, to = uint8, per_channel = true)', 'output a, b']);
    const x = [0.5, 1.5, -2.5, 300, -300, 2.4];
    const o = runWith(m, { x }, { a: { scale: [1], zero_point: [0] }, b: { scale: [1, 2], zero_point: [128, 10] } }).outputs;
    // Ties go to the even integer: 0.5 → 0, 1.5 → 2, −2.5 → −2; ±300 saturate to int8's range.
    expectValues(o.a!, [1, 2, 3], [0, 2, -2, 127, -128, 2]);
    // Channel 1 divides by 2: 150 + 10 = 160, −150 + 10 saturates at 0, 1.2 → 1 + 10.
    expectValues(o.b!, [1, 2, 3], [128, 130, 126, 160, 0, 11]);
    mark('quantize');
  });

  it('prelu: a slope per channel (axis 1), or one shared', () => {
    const m = build(['input x : f32[1, 2, 1, 2]', 'a = prelu(x)', 'b = prelu(x, shared = true)', 'output a, b']);
    const o = runWith(m, { x: [-4, 2, -4, 2] }, { a: { slope: [0.5, 0.25] }, b: { slope: [0.1] } }).outputs;
    expectValues(o.a!, [1, 2, 1, 2], [-2, 2, -1, 2]);
    expectValues(o.b!, [1, 2, 1, 2], [-0.4, 2, -0.4, 2]);
    mark('prelu');
  });

  it('softmax and log_softmax of [1, 2, 3]', () => {
    const m = build(['input x : f32[1, 3]', 'a = softmax(x)', 'b = log_softmax(x)', 'output a, b']);
    const o = runWith(m, { x: [1, 2, 3] }).outputs;
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expectValues(o.a!, [1, 3], [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z]);
    expectValues(o.b!, [1, 3], [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)]);
    mark('softmax', 'log_softmax');
  });
});

describe('movement and elementwise', () => {
  it('flatten, reshape (with −1) and transpose keep row-major order', () => {
    const m = build(['input x : f32[2, 3]', 'f = flatten(x)', 'r = reshape(x, [3, -1])', 'p = transpose(x, [1, 0])', 'output f, r, p']);
    const o = runWith(m, { x: [1, 2, 3, 4, 5, 6] }).outputs;
    expectValues(o.f!, [2, 3], [1, 2, 3, 4, 5, 6]);
    expectValues(o.r!, [3, 2], [1, 2, 3, 4, 5, 6]);
    expectValues(o.p!, [3, 2], [1, 4, 2, 5, 3, 6]);
    mark('flatten', 'reshape', 'transpose');
  });

  it('add and mul broadcast, concat joins along an axis', () => {
    const m = build(['input a : f32[2, 1]', 'input b : f32[3]', 's = add(a, b)', 'p = mul(a, b)', 'c = concat(s, p, axis = 1)', 'output s, p, c']);
    const o = runWith(m, { a: [1, 2], b: [10, 20, 30] }).outputs;
    expectValues(o.s!, [2, 3], [11, 21, 31, 12, 22, 32]);
    expectValues(o.p!, [2, 3], [10, 20, 30, 20, 40, 60]);
    expectValues(o.c!, [2, 6], [11, 21, 31, 10, 20, 30, 12, 22, 32, 20, 40, 60]);
    mark('add', 'mul', 'concat');
  });

  it('upsample2d nearest repeats pixels; bilinear matches PyTorch (align_corners = false)', () => {
    const m = build(['input x : f32[1, 1, 2, 2]', 'n = upsample2d(x, 2)', 'b = upsample2d(x, 2, mode = bilinear)', 'output n, b']);
    const o = runWith(m, { x: [1, 2, 3, 4] }).outputs;
    expectValues(o.n!, [1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // The example in PyTorch's nn.Upsample documentation.
    expectValues(o.b!, [1, 1, 4, 4], [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
    mark('upsample2d');
  });

  it('dropout is the identity in inference', () => {
    const m = build(['input x : f32[2, 3]', 'y = dropout(x, 0.5)', 'output y']);
    expectValues(runWith(m, { x: [1, 2, 3, 4, 5, 6] }).outputs.y!, [2, 3], [1, 2, 3, 4, 5, 6]);
    mark('dropout');
  });
});

describe('recurrent and spiking ops', () => {
  it('rnn: h_t = tanh(x_t·W_ih + h_{t−1}·W_hh + b), last step', () => {
    const m = build(['input x : f32[1, 2, 1]', 'y = rnn(x, 1, sequence = last)', 'output y']);
    const r = runWith(m, { x: [1, 2] }, { y: { w_ih0: [0.5], w_hh0: [0.5], b0: [0.1] } });
    const h1 = Math.tanh(0.5 + 0.1);
    expectValues(r.outputs.y!, [1, 1], [Math.tanh(1 + 0.5 * h1 + 0.1)]);
    mark('rnn');
  });

  it('lstm: gate blocks i, f, g, o; c = f·c + i·g, h = o·tanh(c)', () => {
    const m = build(['input x : f32[1, 2, 1]', 'y = lstm(x, 1)', 'output y']);
    const wi = [1, 2, 3, 4], wh = [0.5, -0.5, 0.25, 1], b = [0.1, 0.2, 0.3, 0.4];
    const r = runWith(m, { x: [1, -1] }, { y: { w_ih0: wi, w_hh0: wh, b0: b } });
    let h = 0, c = 0;
    const hs: number[] = [];
    for (const x of [1, -1]) {
      const a = [0, 1, 2, 3].map((k) => wi[k]! * x + wh[k]! * h + b[k]!);
      const [i, f, g, o] = [sig(a[0]!), sig(a[1]!), Math.tanh(a[2]!), sig(a[3]!)];
      c = f * c + i * g;
      h = o * Math.tanh(c);
      hs.push(h);
    }
    expectValues(r.outputs.y!, [1, 2, 1], hs);
    mark('lstm');
  });

  it('gru: gate blocks z, r, h; n = tanh(x·W_h + (r·h)·U_h + b_h), h = (1 − z)·n + z·h', () => {
    const m = build(['input x : f32[1, 2, 1]', 'y = gru(x, 1, sequence = last)', 'output y']);
    const wi = [1, -2, 3], wh = [0.5, 1.5, -1], b = [0.1, 0.2, 0.3];
    const r = runWith(m, { x: [0.5, 1] }, { y: { w_ih0: wi, w_hh0: wh, b0: b } });
    let h = 0;
    for (const x of [0.5, 1]) {
      const z = sig(wi[0]! * x + wh[0]! * h + b[0]!), rr = sig(wi[1]! * x + wh[1]! * h + b[1]!);
      const n = Math.tanh(wi[2]! * x + wh[2]! * (rr * h) + b[2]!);
      h = (1 - z) * n + z * h;
    }
    expectValues(r.outputs.y!, [1, 1], [h]);
    mark('gru');
  });

  it('stacked layers feed each layer\'s sequence to the next', () => {
    const one = build(['input x : f32[1, 2, 1]', 'y = rnn(x, 1)', 'output y']);
    const two = build(['input x : f32[1, 2, 1]', 'y = rnn(x, 1, layers = 2)', 'output y']);
    const l0 = { w_ih0: [0.7], w_hh0: [0.3], b0: [0] }, l1 = { w_ih0: [-1.2], w_hh0: [0.4], b0: [0.2] };
    const first = runWith(one, { x: [1, 2] }, { y: l0 }).outputs.y!;
    const second = runWith(one, { x: Array.from(first.data) }, { y: l1 }).outputs.y!;
    const stacked = runWith(two, { x: [1, 2] }, { y: { ...l0, w_ih1: l1.w_ih0, w_hh1: l1.w_hh0, b1: l1.b0 } }).outputs.y!;
    expectValues(stacked, [1, 2, 1], Array.from(second.data));
  });

  it('lmu and sigma_delta: one step of the memory and a quantized hidden unit, by hand', () => {
    // order 1, θ = 1: Ā = e^−1, B̄ = 1 − e^−1. x = 2, e_x = 0.5 → u = 1, m = 1 − e^−1 = 0.63212;
    // h = tanh(w_m·m + b) = tanh(0.63212 + 0.1) = 0.62474; with sigma_delta = 0.25: round(2.499) = 2 events → 0.5.
    const m = build(['input x : f32[1, 1, 1]', 'a = lmu(x, 1, order = 1, theta = 1)', 'b = lmu(x, 1, order = 1, theta = 1, sigma_delta = 0.25)', 's = sigma_delta(a, 0.25)', 'output a, b, s']);
    const w = { e_x: [0.5], w_m: [1], w_h: [0], bias: [0.1] };
    const o = runWith(m, { x: [2] }, { a: w, b: w }).outputs;
    expectValues(o.a!, [1, 1, 1], [Math.tanh(1 - Math.exp(-1) + 0.1)]);
    expectValues(o.b!, [1, 1, 1], [0.5]);
    expectValues(o.s!, [1, 1, 1], [0.5]);
    mark('lmu', 'sigma_delta');
  });

  it('lif over the network\'s time steps: subtract vs zero reset, output is the spike rate', () => {
    // Input 0.8 every step, decay 0.9, threshold 1: membrane 0.8, 1.52 (spike), then
    // subtract: 0.52·0.9 + 0.8 = 1.268 (spike), 0.2412 + 0.8 = 1.0412 (spike) → 3 spikes in 4 steps;
    // zero:     0 + 0.8 = 0.8, 0.72 + 0.8 = 1.52 (spike) → 2 spikes.
    const m = build(['timesteps 4', 'input x : f32[1, 1]', 's = lif(x)', 'z = lif(x, reset = zero)', 'output s, z']);
    const o = runWith(m, { x: [0.8] }).outputs;
    expectValues(o.s!, [1, 1], [0.75]);
    expectValues(o.z!, [1, 1], [0.5]);
    mark('lif');
  });
});

describe('the vocabulary', () => {
  it('has an interpreter definition for every op', () => {
    expect([...OPS.keys()].filter((op) => !INTERPRETED_OPS.includes(op))).toEqual([]);
  });

  it('has a hand-checked case above for every op', () => {
    expect([...OPS.keys()].filter((op) => !checked.has(op))).toEqual([]);
  });
});

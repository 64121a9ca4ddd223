/**
 * Every op of the vocabulary, compiled from source, with its output type and parameter shapes
 * checked against expectations computed by hand (the arithmetic is in the comments). The last
 * test fails when an op is added to compiler/ir/ops.ts without a case here.
 */
import { describe, it, expect } from 'vitest';
import { OPS } from '../../compiler/ir/ops.ts';
import { compileText, net, paramsOf, typeOf } from '../helpers/kiln.ts';

interface Case {
  name: string;
  lines: string[];
  /** Node id → expected `dtype[shape]`. */
  types: Record<string, string>;
  /** Node id → parameter name → expected `dtype[shape]` (exactly these parameters). */
  params?: Record<string, Record<string, string>>;
}

const cases: Case[] = [
  {
    name: 'dense over the last axis, with and without bias',
    lines: ['input x : f32[2, 3, 5]', 'a = dense(x, 4)', 'b = dense(a, 6, bias = false)', 'output b'],
    types: { a: 'f32[2, 3, 4]', b: 'f32[2, 3, 6]' },
    params: { a: { weight: 'f32[4, 5]', bias: 'f32[4]' }, b: { weight: 'f32[6, 4]' } },
  },
  {
    // H = ⌊(32 + 1 + 1 − 5) / 2⌋ + 1 = ⌊29/2⌋ + 1 = 15
    name: 'conv2d with stride and padding',
    lines: ['input x : f32[2, 3, 32, 32]', 'y = conv2d(x, 8, 5, stride = 2, pad = 1)', 'output y'],
    types: { y: 'f32[2, 8, 15, 15]' },
    params: { y: { weight: 'f32[8, 3, 5, 5]', bias: 'f32[8]' } },
  },
  {
    // a 3×3 kernel dilated by 2 spans 5: 32 − 5 + 1 = 28
    name: 'conv2d with dilation',
    lines: ['input x : f32[1, 3, 32, 32]', 'y = conv2d(x, 4, 3, dilation = 2)', 'output y'],
    types: { y: 'f32[1, 4, 28, 28]' },
  },
  {
    // groups = 3: each filter sees 6 / 3 = 2 channels
    name: 'conv2d with groups (and depthwise)',
    lines: ['input x : f32[1, 6, 10, 10]', 'g = conv2d(x, 9, 3, groups = 3, bias = false)', 'd = conv2d(g, 9, 3, groups = 9, pad = 1)', 'output d'],
    types: { g: 'f32[1, 9, 8, 8]', d: 'f32[1, 9, 8, 8]' },
    params: { g: { weight: 'f32[9, 2, 3, 3]' }, d: { weight: 'f32[9, 1, 3, 3]', bias: 'f32[9]' } },
  },
  {
    // H: (10 + 1 + 0 − 3) / 2 + 1 = 5; W: (7 + 0 + 0 − 1) / 1 + 1 = 7
    name: 'conv2d with a rectangular kernel, stride and four-sided pad',
    lines: ['input x : f32[1, 2, 10, 7]', 'y = conv2d(x, 3, [3, 1], stride = [2, 1], pad = [1, 0, 0, 0])', 'output y'],
    types: { y: 'f32[1, 3, 5, 7]' },
  },
  {
    // floor: ⌊(5 − 2) / 2⌋ + 1 = 2; ceil: ⌈3/2⌉ + 1 = 3, and the last window starts at 4 < 5
    name: 'maxpool2d floor and ceil mode',
    lines: ['input x : f32[1, 1, 5, 5]', 'a = maxpool2d(x, 2)', 'b = maxpool2d(x, 2, ceil_mode = true)', 'output a, b'],
    types: { a: 'f32[1, 1, 2, 2]', b: 'f32[1, 1, 3, 3]' },
  },
  {
    // pad 1, ceil: ⌈(5 + 2 − 2) / 2⌉ + 1 = 4, but the 4th window would start at 6 ≥ 5 + 1
    // (only right padding), so PyTorch and ONNX drop it: 3. Floor mode gives ⌊5/2⌋ + 1 = 3 too.
    // 6 wide, kernel 3, stride 2, pad 1: ⌈5/2⌉ + 1 = 4; the last start 6 < 6 + 1 is kept.
    name: 'maxpool2d ceil mode drops a window that starts in the trailing pad',
    lines: ['input x : f32[1, 1, 5, 6]', 'a = maxpool2d(x, 2, pad = 1, ceil_mode = true)', 'b = maxpool2d(x, [2, 3], 2, pad = 1, ceil_mode = true)', 'output a, b'],
    types: { a: 'f32[1, 1, 3, 4]', b: 'f32[1, 1, 3, 4]' },
  },
  {
    // stride 1, pad 1, 3×3: same size; dilation 2 with kernel 2 spans 3: 5 − 3 + 1 = 3
    name: 'avgpool2d with padding, and pools with dilation',
    lines: ['input x : f32[2, 4, 8, 5]', 'a = avgpool2d(x, 3, 1, pad = 1, count_include_pad = true)', 'b = maxpool2d(x, 2, 1, dilation = 2)', 'output a, b'],
    types: { a: 'f32[2, 4, 8, 5]', b: 'f32[2, 4, 6, 3]' },
  },
  {
    name: 'global_avgpool',
    lines: ['input x : f32[2, 8, 7, 7]', 'y = global_avgpool(x)', 'output y'],
    types: { y: 'f32[2, 8, 1, 1]' },
  },
  {
    name: 'batchnorm on 4-D and 2-D inputs, statistics per channel',
    lines: ['input x : f32[2, 8, 7, 7]', 'input v : f32[4, 10]', 'a = batchnorm(x)', 'b = batchnorm(v, eps = 0.001, momentum = 0.01)', 'output a, b'],
    types: { a: 'f32[2, 8, 7, 7]', b: 'f32[4, 10]' },
    params: {
      a: { gamma: 'f32[8]', beta: 'f32[8]', running_mean: 'f32[8]', running_var: 'f32[8]' },
      b: { gamma: 'f32[10]', beta: 'f32[10]', running_mean: 'f32[10]', running_var: 'f32[10]' },
    },
  },
  {
    name: 'elementwise activations keep shape and dtype',
    lines: ['input x : f16[2, 3, 4]', 'y = relu(x) -> leaky_relu(0.1) -> sigmoid -> tanh -> hard_tanh(min = 0, max = 6) -> dropout(0.2)', 'output y'],
    types: { 'y.relu': 'f16[2, 3, 4]', 'y.leaky_relu': 'f16[2, 3, 4]', 'y.sigmoid': 'f16[2, 3, 4]', 'y.tanh': 'f16[2, 3, 4]', 'y.hard_tanh': 'f16[2, 3, 4]', y: 'f16[2, 3, 4]' },
  },
  {
    name: 'prelu learns a slope per channel, or one shared',
    lines: ['input x : f32[2, 8, 4, 4]', 'a = prelu(x)', 'b = prelu(a, shared = true)', 'output b'],
    types: { a: 'f32[2, 8, 4, 4]', b: 'f32[2, 8, 4, 4]' },
    params: { a: { slope: 'f32[8]' }, b: { slope: 'f32[1]' } },
  },
  {
    name: 'quantize holds its integers in a dtype wide enough, with a scale and zero point per tensor or channel',
    lines: ['input x : f32[2, 3, 4]', 'a = quantize(x)', 'b = quantize(x, to = uint8, per_channel = true)', 'c = quantize(x, to = uint16, per_channel = true, axis = -1)', 'output a, b, c'],
    types: { a: 'i8[2, 3, 4]', b: 'i16[2, 3, 4]', c: 'i32[2, 3, 4]' },
    params: { a: { scale: 'f32[1]', zero_point: 'f32[1]' }, b: { scale: 'f32[3]', zero_point: 'f32[3]' }, c: { scale: 'f32[4]', zero_point: 'f32[4]' } },
  },
  {
    name: 'sign binarizes: same shape, dtype binary',
    lines: ['input x : f32[2, 5]', 'y = sign(x)', 'output y'],
    types: { y: 'binary[2, 5]' },
  },
  {
    name: 'softmax and log_softmax along an axis',
    lines: ['input x : f32[2, 3, 4]', 'a = softmax(x, 1)', 'b = log_softmax(x, axis = -3)', 'output a, b'],
    types: { a: 'f32[2, 3, 4]', b: 'f32[2, 3, 4]' },
  },
  {
    // from axis 1: [2, 3·4·5]; from axis 2: [2·3, 4·5]
    name: 'flatten from an axis',
    lines: ['input x : i8[2, 3, 4, 5]', 'a = flatten(x)', 'b = flatten(x, 2)', 'output a, b'],
    types: { a: 'i8[2, 60]', b: 'i8[6, 20]' },
  },
  {
    // 2·3·4 = 24 elements: [4, −1] → [4, 6]
    name: 'reshape with one inferred size',
    lines: ['input x : f32[batch, 3, 4]', 'a = reshape(x, [4, -1])', 'c = reshape(x, [batch * 12])', 'output a, c'],
    types: { a: 'f32[4, 6]', c: 'f32[24]' },
  },
  {
    name: 'transpose permutes axes',
    lines: ['input x : f32[2, 3, 4]', 'y = transpose(x, [2, 0, 1])', 'output y'],
    types: { y: 'f32[4, 2, 3]' },
  },
  {
    // [2, 1, 4] and [3, 1] broadcast to [2, 3, 4]; i8 + f16 → f16, i8 + i16 → i16, binary + ternary → ternary
    name: 'add and mul broadcast and promote',
    lines: ['input a : i8[2, 1, 4]', 'input b : f16[3, 1]', 'input c : i16[4]', 'input s : binary[4]', 'input t : ternary[4]', 'p = add(a, b)', 'q = mul(a, c)', 'r = add(s, t)', 'output p, q, r'],
    types: { p: 'f16[2, 3, 4]', q: 'i16[2, 1, 4]', r: 'ternary[4]' },
  },
  {
    // [2, 3, 4] @ [4, 5] → [2, 3, 5]; vector @ matrix drops the vector axis; batch axes [2, 1] and [5] → [2, 5]
    name: 'matmul with NumPy semantics',
    lines: ['input x : f32[2, 3, 4]', 'input w : f32[4, 5]', 'input v : f32[4]', 'input p : f32[2, 1, 3, 4]', 'input q : f32[5, 4, 6]', 'a = matmul(x, w)', 'b = matmul(v, w)', 'c = matmul(p, q)', 'output a, b, c'],
    types: { a: 'f32[2, 3, 5]', b: 'f32[5]', c: 'f32[2, 5, 3, 6]' },
  },
  {
    name: 'concat along an axis, of two or more tensors',
    lines: ['input a : f32[2, 3, 4, 4]', 'input b : f32[2, 5, 4, 4]', 'input c : f16[2, 5, 4, 1]', 'x = concat(a, b)', 'y = concat(b, b, c, axis = -1)', 'output x, y'],
    types: { x: 'f32[2, 8, 4, 4]', y: 'f32[2, 5, 4, 9]' },
  },
  {
    name: 'upsample2d by a factor or a pair of factors',
    lines: ['input x : f32[1, 4, 5, 6]', 'a = upsample2d(x)', 'b = upsample2d(x, [2, 3], mode = bilinear)', 'output a, b'],
    types: { a: 'f32[1, 4, 10, 12]', b: 'f32[1, 4, 10, 18]' },
  },
  {
    name: 'embedding turns integer tokens into vectors',
    lines: ['input t : i32[2, 35]', 'e = embedding(t, 100, 16)', 'output e'],
    types: { e: 'f32[2, 35, 16]' },
    params: { e: { table: 'f32[100, 16]' } },
  },
  {
    // gates: rnn 1, gru 3, lstm 4; the second layer's input is the hidden size
    name: 'rnn, gru and lstm over a sequence, all steps or the last',
    lines: ['input x : f32[2, 5, 16]', 'r = rnn(x, 8)', 'g = gru(x, 8, sequence = last)', 'l = lstm(x, 8, layers = 2, sequence = last, dropout = 0.1)', 'output r, g, l'],
    types: { r: 'f32[2, 5, 8]', g: 'f32[2, 8]', l: 'f32[2, 8]' },
    params: {
      r: { w_ih0: 'f32[8, 16]', w_hh0: 'f32[8, 8]', b0: 'f32[8]' },
      g: { w_ih0: 'f32[24, 16]', w_hh0: 'f32[24, 8]', b0: 'f32[24]' },
      l: { w_ih0: 'f32[32, 16]', w_hh0: 'f32[32, 8]', b0: 'f32[32]', w_ih1: 'f32[32, 8]', w_hh1: 'f32[32, 8]', b1: 'f32[32]' },
    },
  },
  {
    name: 'lif spikes: same shape, dtype spike',
    lines: ['input x : f32[2, 10]', 'timesteps 4', 'y = lif(x, threshold = 0.5, reset = zero)', 'output y'],
    types: { y: 'spike[2, 10]' },
  },
  {
    // lmu: memory_d = 1, so e_x is [1, features]; w_m reads the order-6 memory; e_h, e_m, w_x only when asked
    name: 'lmu over a sequence, plain and with every optional connection; sigma_delta keeps the shape',
    lines: ['input x : f32[2, 5, 3]', 'a = lmu(x, 4, order = 6, theta = 5)', 'b = lmu(a, 7, order = 2, theta = 5, sequence = last, hidden_to_memory = true, memory_to_memory = true, input_to_hidden = true, sigma_delta = 0.5)',
      's = sigma_delta(a, 0.25)', 'output b, s'],
    types: { a: 'f32[2, 5, 4]', b: 'f32[2, 7]', s: 'f32[2, 5, 4]' },
    params: {
      a: { e_x: 'f32[1, 3]', w_m: 'f32[4, 6]', w_h: 'f32[4, 4]', bias: 'f32[4]' },
      b: { e_x: 'f32[1, 4]', e_h: 'f32[1, 7]', e_m: 'f32[1, 2]', w_m: 'f32[7, 2]', w_x: 'f32[7, 4]', w_h: 'f32[7, 7]', bias: 'f32[7]' },
    },
  },
  {
    name: 'param is a learned operand',
    lines: ['input x : f32[2, 3]', 'w = param([1, 3])', 'y = mul(x, w)', 'output y'],
    types: { w: 'f32[1, 3]', y: 'f32[2, 3]' },
    params: { w: { value: 'f32[1, 3]' } },
  },
];

const compileCase = (c: Case) => compileText(net(c.lines, 'batch = 2')).module;

describe('op shapes and dtypes', () => {
  for (const c of cases) {
    it(c.name, () => {
      const m = compileCase(c);
      for (const [id, t] of Object.entries(c.types)) expect(`${id}: ${typeOf(m, id)}`).toBe(`${id}: ${t}`);
      for (const [id, ps] of Object.entries(c.params ?? {})) expect(paramsOf(m, id)).toEqual(ps);
    });
  }

  it('covers every op of the vocabulary', () => {
    const seen = new Set(cases.flatMap((c) => Object.values(compileCase(c).nodes).map((n) => n.op)));
    expect([...OPS.keys()].filter((op) => !seen.has(op))).toEqual([]);
  });
});

/**
 * The event-driven convolution training takes on spike inputs (spike-conv.ts) computes what the
 * GEMM convolution computes, within float32 rounding — forward and weight gradient, on random 0/1
 * tensors of any density, with stride, dilation and 4-sided padding — and training takes it only
 * for ungrouped layers fed by spikes, sparse enough for the lists to pay.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backward, forward } from '../../../runtime/autodiff.ts';
import { SPIKE_CONV_DENSITY, SpikeConvScratch, spikeConv2d, spikeConv2dWeightGrad, spikeConvApplies } from '../../../runtime/autodiff/spike-conv.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { conv2d } from '../../../runtime/kernels/conv2d.ts';
import { conv2dBackward } from '../../../runtime/kernels/conv2d-backward.ts';
import { type Tensor, mulberry32, randomUniform, zeros } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';

function close(got: Tensor, want: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  want.data.forEach((v, i) => expect(Math.abs(got.data[i]! - v), `[${i}]`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v))));
}

function spikes(shape: number[], rate: number, seed: number): Tensor {
  const rng = mulberry32(seed);
  const x = zeros(shape);
  x.data.forEach((_, i) => { x.data[i] = rng() < rate ? 1 : 0; });
  return x;
}

describe('event-driven conv2d on spikes = GEMM conv2d', () => {
  it('forward and weight gradient over random shapes, strides, dilations, pads and spike rates', () => {
    const scratch = new SpikeConvScratch();
    fc.assert(fc.property(fc.record({ n: fc.integer({ min: 1, max: 3 }), cin: fc.integer({ min: 1, max: 4 }), cout: fc.integer({ min: 1, max: 19 }),
      h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
      stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      pad: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)), rate: fc.double({ min: 0, max: 1, noNaN: true }), bias: fc.boolean(), seed: fc.nat(1e6) })
      .filter((c) => c.h + c.pad[0] + c.pad[2] >= (c.kh - 1) * c.dilation[0] + 1 && c.w + c.pad[1] + c.pad[3] >= (c.kw - 1) * c.dilation[1] + 1), (c) => {
      const x = spikes([c.n, c.cin, c.h, c.w], c.rate, c.seed);
      const w = randomUniform([c.cout, c.cin, c.kh, c.kw], mulberry32(c.seed + 1), -1, 1);
      const b = c.bias ? randomUniform([c.cout], mulberry32(c.seed + 2), -1, 1) : undefined;
      const opts = { pad: c.pad, stride: c.stride, dilation: c.dilation };
      const y = conv2d(x, w, b, opts);
      close(spikeConv2d(x, w, b, opts, scratch)!, y);
      const dy = randomUniform(y.shape, mulberry32(c.seed + 3), -1, 1);
      close(spikeConv2dWeightGrad(x, w.shape, dy, opts, scratch)!, conv2dBackward(x, w, dy, opts, { weight: true }).dw!);
    }), { numRuns: 150, seed: 12 });
  });

  it('declines inputs that are not 0/1; training declines spikes too dense for the lists to pay', () => {
    const w = randomUniform([3, 2, 3, 3], mulberry32(1), -1, 1);
    const x = spikes([2, 2, 8, 8], 0.2, 2);
    expect(spikeConv2d(x, w, undefined, {}, new SpikeConvScratch())).toBeDefined();
    x.data[5] = 0.5;
    expect(spikeConv2d(x, w, undefined, {}, new SpikeConvScratch())).toBeUndefined();
    const m = build(['timesteps 2', 'input x : f32[2, 2, 8, 8]', 's = lif(x)', 'y = conv2d(s, 3, 3)', 'output y']);
    const node = m.nodes.y!;
    expect(spikeConvApplies(node, new Set(['y']), spikes([2, 2, 8, 8], SPIKE_CONV_DENSITY / 2, 3))).toBe(true);
    expect(spikeConvApplies(node, new Set(['y']), spikes([2, 2, 8, 8], 2 * SPIKE_CONV_DENSITY, 3))).toBe(false);
    expect(spikeConvApplies(node, new Set(), spikes([2, 2, 8, 8], SPIKE_CONV_DENSITY / 2, 3))).toBe(false);
  });

  it('training takes it for conv2d layers fed by sparse spikes only, and its gradients are the dense path\'s', () => {
    // Inputs below 0.52 against a threshold of 0.9 at decay 0.5: u reaches 1.875·x by step 4, so
    // about 2 % of the inputs' steps fire.
    const lines = ['timesteps 4', 'input x : f32[3, 2, 10, 10]', 's = lif(x, threshold = 0.9, decay = 0.5)', 'y = conv2d(s, 5, 3, pad = 1)',
      'z = conv2d(x, 5, 3, pad = 1)', 'output y', 'output z'];
    const m = build(lines);
    const w = initParams(m, 2);
    const x = randomUniform([3, 2, 10, 10], mulberry32(4), 0, 0.52);
    const f = forward(m, w, { x }, { training: true });
    // Time is folded into the batch (time-fold.ts): y ran once over the 4 steps' spikes.
    const y = f.tape.filter((e) => e.node === 'y');
    expect(y).toHaveLength(1);
    const fired = y[0]!.inputs[0]!.data.reduce((a, b) => a + b, 0) / y[0]!.inputs[0]!.data.length;
    expect(fired).toBeGreaterThan(0);
    expect(fired).toBeLessThanOrEqual(SPIKE_CONV_DENSITY);
    expect(y[0]!.saved.spikes).toBe(true);
    expect(f.tape.find((e) => e.node === 'z')!.saved.spikes).toBeUndefined();
    const r = { y: randomUniform(f.outputs.y!.shape, mulberry32(5), -1, 1), z: randomUniform(f.outputs.z!.shape, mulberry32(6), -1, 1) };
    const g = backward(m, f, new Map(Object.entries(r)), { training: true, inputs: true });
    // The same sums from the dense kernels, with the spikes the tape recorded: each step's output
    // gradient is 1/4 of the mean's.
    close(y[0]!.output, conv2d(y[0]!.inputs[0]!, w.y!.weight!, w.y!.bias, { pad: 1 }));
    const dy = { shape: y[0]!.output.shape, data: new Float32Array(y[0]!.output.data.length).map((_, i) => r.y.data[i % r.y.data.length]! / 4) };
    close(g.params.y!.weight!, conv2dBackward(y[0]!.inputs[0]!, w.y!.weight!, dy, { pad: 1 }, { weight: true }).dw!);
  });
});

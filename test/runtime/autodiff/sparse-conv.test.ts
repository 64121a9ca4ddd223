/**
 * The scatter convolution training takes on mostly-zero inputs (sparse-conv.ts) computes what the
 * GEMM convolution computes, within float32 rounding — forward and weight gradient, any kernel
 * shape and 4-sided padding, ragged edges where a kernel row only partly overlaps the output — and
 * training takes it only where it applies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backward, forward } from '../../../runtime/autodiff.ts';
import { sparseConv2d, sparseConv2dWeightGrad } from '../../../runtime/autodiff/sparse-conv.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { conv2d } from '../../../runtime/kernels/conv2d.ts';
import { conv2dBackward } from '../../../runtime/kernels/conv2d-backward.ts';
import { type Tensor, mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { build } from './helpers.ts';

function close(got: Tensor, want: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  want.data.forEach((v, i) => expect(Math.abs(got.data[i]! - v), `[${i}]`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v))));
}

function sparse(shape: number[], keep: number, seed: number): Tensor {
  const rng = mulberry32(seed);
  const x = randomUniform(shape, rng, -1, 1);
  x.data.forEach((_, i) => { if (rng() >= keep) x.data[i] = 0; });
  return x;
}

describe('scatter conv2d = GEMM conv2d', () => {
  it('forward and weight gradient over random shapes, pads and sparsity', () => {
    fc.assert(fc.property(fc.record({ n: fc.integer({ min: 1, max: 3 }), cin: fc.integer({ min: 1, max: 3 }), cout: fc.integer({ min: 1, max: 7 }),
      h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
      pad: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)), keep: fc.double({ min: 0, max: 1, noNaN: true }), bias: fc.boolean(), seed: fc.nat(1e6) })
      .filter((c) => c.h + c.pad[0] + c.pad[2] >= c.kh && c.w + c.pad[1] + c.pad[3] >= c.kw), (c) => {
      const x = sparse([c.n, c.cin, c.h, c.w], c.keep, c.seed);
      const w = randomUniform([c.cout, c.cin, c.kh, c.kw], mulberry32(c.seed + 1), -1, 1);
      const b = c.bias ? randomUniform([c.cout], mulberry32(c.seed + 2), -1, 1) : undefined;
      const opts = { pad: c.pad };
      const y = conv2d(x, w, b, opts);
      close(sparseConv2d(x, w, b, opts), y);
      const dy = randomUniform(y.shape, mulberry32(c.seed + 3), -1, 1);
      close(sparseConv2dWeightGrad(x, w.shape, dy, opts), conv2dBackward(x, w, dy, opts, { weight: true }).dw!);
    }), { numRuns: 150, seed: 11 });
  });

  it('training scatters only for stride-1, ungrouped convolutions on mostly-zero input', () => {
    const taken = (line: string, keep: number) => {
      const m = build(['input x : f32[4, 2, 12, 12]', line, 'output y']);
      const f = forward(m, initParams(m, 1), { x: sparse([4, 2, 12, 12], keep, 3) }, { training: true });
      return f.tape[0]!.saved.sparse === true;
    };
    expect(taken('y = conv2d(x, 4, 3, pad = 1)', 0.05)).toBe(true);
    expect(taken('y = conv2d(x, 4, 3, pad = 1)', 0.6)).toBe(false);
    expect(taken('y = conv2d(x, 4, 3, stride = 2)', 0.05)).toBe(false);
    expect(taken('y = conv2d(x, 4, 3, groups = 2)', 0.05)).toBe(false);
  });

  it('the training step\'s gradients through a scattered layer are the kernels\' (weight, bias, input)', () => {
    const m = build(['input x : f32[4, 2, 12, 12]', 'a = relu(x)', 'y = conv2d(a, 5, 3, pad = [1, 0, 2, 1])', 'output y']);
    const w = initParams(m, 2);
    const x = sparse([4, 2, 12, 12], 0.05, 4);
    const f = forward(m, w, { x }, { training: true });
    expect(f.tape[1]!.saved.sparse).toBe(true);
    const dy = randomUniform(f.outputs.y!.shape, mulberry32(5), -1, 1);
    const g = backward(m, f, new Map([['y', dy]]), { training: true, inputs: true });
    const ref = conv2dBackward(f.tape[0]!.output, w.y!.weight!, dy, { pad: [1, 0, 2, 1] });
    close(g.params.y!.weight!, ref.dw!);
    close(g.params.y!.bias!, ref.db!);
    close(g.inputs.x!, { shape: x.shape, data: ref.dx!.data.map((v, i) => (x.data[i]! > 0 ? v : 0)) });
  });
});

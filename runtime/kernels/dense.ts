/**
 * Dense (fully connected) layer with PyTorch's weight layout, matching conv's [out, in, ...]:
 *   y[..., out] = x[..., in] · Wᵀ + b,   W: [out, in],   b: [out]
 * Leading axes of x are flattened into the GEMM's row count, so [B, T, in] works as well.
 */
import type { Tensor } from '../tensor.ts';
import { expect } from './check.ts';
import { sgemmParallel } from './gemm-parallel.ts';
import { outputTensor } from './step-buffers.ts';

function rows(kernel: string, x: Tensor, w: Tensor): { m: number; inF: number; outF: number } {
  expect(kernel, w.shape.length === 2, `weight must be [out, in], got [${w.shape.join(', ')}]`);
  const [outF, inF] = w.shape as [number, number];
  expect(kernel, x.shape.length >= 1 && x.shape[x.shape.length - 1] === inF,
    `input's last axis must be ${inF} (the weight's in-features), got [${x.shape.join(', ')}]`,
    'the weight layout is [out, in], as in PyTorch');
  return { m: x.data.length / inF, inF, outF };
}

// Outputs come from the step's recycled arrays (step-buffers.ts): a GEMM with beta = 0 overwrites
// C whole (BLAS semantics), and a bias is copied into every row first.
export function dense(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  const { m, inF, outF } = rows('dense', x, w);
  const y = outputTensor([...x.shape.slice(0, -1), outF]);
  if (bias) {
    expect('dense', bias.data.length === outF, `bias must have ${outF} values, got ${bias.data.length}`);
    for (let i = 0; i < m; i++) y.data.set(bias.data, i * outF);
  }
  sgemmParallel({ m, n: outF, k: inF, a: x.data, b: w.data, transB: true, c: y.data, beta: bias ? 1 : 0 });
  return y;
}

export interface DenseGrads {
  dx?: Tensor;
  dw?: Tensor;
  db?: Tensor;
}

/** dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy. */
export function denseBackward(x: Tensor, w: Tensor, dy: Tensor,
  want: { input?: boolean; weight?: boolean; bias?: boolean } = { input: true, weight: true, bias: true }): DenseGrads {
  const { m, inF, outF } = rows('dense backward', x, w);
  expect('dense backward', dy.data.length === m * outF, `output gradient must have ${m}×${outF} values, got ${dy.data.length}`);
  const g: DenseGrads = {};
  if (want.input) {
    g.dx = outputTensor(x.shape);
    sgemmParallel({ m, n: inF, k: outF, a: dy.data, b: w.data, c: g.dx.data });
  }
  if (want.weight) {
    g.dw = outputTensor(w.shape);
    sgemmParallel({ m: outF, n: inF, k: m, a: dy.data, transA: true, b: x.data, c: g.dw.data });
  }
  if (want.bias) {
    const db = new Float64Array(outF);
    for (let i = 0; i < m; i++) for (let j = 0; j < outF; j++) db[j] = db[j]! + dy.data[i * outF + j]!;
    g.db = { shape: [outF], data: Float32Array.from(db) };
  }
  return g;
}

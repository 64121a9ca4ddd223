/**
 * conv2d backward. With cols = im2col(x) and Y_g = W_g · cols_g per group:
 *   dW_g += dY_g · cols_gᵀ     dcols_g = W_gᵀ · dY_g → col2im → dx     db[o] = Σ dY[·, o, ·, ·]
 * Images are batched side by side in the column matrix as in the forward pass.
 */
import { type Tensor, zeros, reshape } from '../tensor.ts';
import { expect, expectShape } from './check.ts';
import { type Conv2dOptions, convGeometry, im2col, col2im } from './conv-common.ts';
import { type Conv1dOptions, conv1dAs2d, imagesPerChunk } from './conv2d.ts';
import { sgemmParallel } from './gemm-parallel.ts';

export interface ConvGrads {
  dx?: Tensor;
  dw?: Tensor;
  db?: Tensor;
}

export interface ConvGradRequest {
  input?: boolean;
  weight?: boolean;
  bias?: boolean;
}

export function conv2dBackward(x: Tensor, w: Tensor, dy: Tensor, opts: Conv2dOptions = {},
  want: ConvGradRequest = { input: true, weight: true, bias: true }): ConvGrads {
  const g = convGeometry('conv2d backward', x.shape, w.shape, opts);
  const { n, cin, cout, coutG, kdim, groups, oh, ow, h } = g;
  expectShape('conv2d backward', 'output gradient', dy.shape, [n, cout, oh, ow]);
  const hw = oh * ow;
  const inPlane = cin * h * g.w;
  const out: ConvGrads = {};
  const dx = want.input ? zeros(x.shape) : undefined;
  const dw = want.weight ? zeros(w.shape) : undefined;
  if (dx || dw) {
    const chunk = imagesPerChunk(g);
    const cols = new Float32Array(kdim * hw * chunk);
    const dyg = new Float32Array(coutG * hw * chunk);
    for (let n0 = 0; n0 < n; n0 += chunk) {
      const nc = Math.min(chunk, n - n0);
      const ld = nc * hw;
      for (let gi = 0; gi < groups; gi++) {
        const c0 = gi * g.cinG;
        const wOff = gi * coutG * kdim;
        // Gather this group's output gradient as a [coutG, nc·hw] matrix.
        for (let o = 0; o < coutG; o++) {
          for (let i = 0; i < nc; i++) {
            const src = ((n0 + i) * cout + gi * coutG + o) * hw;
            dyg.set(dy.data.subarray(src, src + hw), o * ld + i * hw);
          }
        }
        if (dw) {
          for (let i = 0; i < nc; i++) im2col(g, x.data, (n0 + i) * inPlane, c0, cols, i * hw, ld);
          sgemmParallel({ m: coutG, n: kdim, k: ld, a: dyg, b: cols, transB: true, c: dw.data, cOffset: wOff, beta: 1 });
        }
        if (dx) {
          sgemmParallel({ m: kdim, n: ld, k: coutG, a: w.data, aOffset: wOff, transA: true, lda: kdim, b: dyg, c: cols });
          for (let i = 0; i < nc; i++) col2im(g, cols, i * hw, ld, dx.data, (n0 + i) * inPlane, c0);
        }
      }
    }
  }
  if (dx) out.dx = dx;
  if (dw) out.dw = dw;
  if (want.bias) {
    const db = zeros([cout]);
    for (let b = 0; b < n; b++) {
      for (let o = 0; o < cout; o++) {
        let s = 0;
        const off = (b * cout + o) * hw;
        for (let i = off; i < off + hw; i++) s += dy.data[i]!;
        db.data[o] = db.data[o]! + s;
      }
    }
    out.db = db;
  }
  return out;
}

export function conv1dBackward(x: Tensor, w: Tensor, dy: Tensor, opts: Conv1dOptions = {},
  want: ConvGradRequest = { input: true, weight: true, bias: true }): ConvGrads {
  expect('conv1d backward', x.shape.length === 3 && w.shape.length === 3 && dy.shape.length === 3,
    'expects input [N, C, L], weight [Cout, Cin/groups, k] and output gradient [N, Cout, Lout]');
  const [n, c, l] = x.shape as [number, number, number];
  const [o, ci, k] = w.shape as [number, number, number];
  const lo = dy.shape[2]!;
  const r = conv2dBackward(reshape(x, [n, c, 1, l]), reshape(w, [o, ci, 1, k]), reshape(dy, [n, o, 1, lo]), conv1dAs2d(opts), want);
  return {
    dx: r.dx && reshape(r.dx, x.shape),
    dw: r.dw && reshape(r.dw, w.shape),
    db: r.db,
  };
}

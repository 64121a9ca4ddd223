/**
 * conv2d backward over the whole minibatch at once, as the forward pass computes it. With
 * cols = im2col(x) and Y_g = W_g · cols_g per group:
 *   dW_g = dY_g · cols_gᵀ   the columns gathered from the padded input into the GEMM's panels
 *   dcols_g = W_gᵀ · dY_g   then scatter-added (col2im) into a padded dx, cropped at the end
 *   db[o] = Σ dY[·, o, ·, ·]
 * (conv-gather.ts).
 */
import { type Tensor, zeros, reshape } from '../tensor.ts';
import { expect, expectShape } from './check.ts';
import { type Conv2dOptions, type ConvGeometry, convGeometry, imagesPerChunk } from './conv-common.ts';
import { cropGradient, gatherMatrix, gatherPacker, padInput, paddedGradient, pixelOffsets, scatterAdd, tapOffsets } from './conv-gather.ts';
import { type Conv1dOptions, conv1dAs2d } from './conv2d.ts';
import { conv2dBackwardWasm } from './conv-wasm.ts';
import { sgemmPackedB } from './gemm.ts';
import { gemmThreads, sgemmParallel } from './gemm-parallel.ts';
import { useWasmKernels } from './wasm/instance.ts';
import { outputTensor } from './step-buffers.ts';

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
  const { n, cout, coutG, kdim, oh, ow } = g;
  expectShape('conv2d backward', 'output gradient', dy.shape, [n, cout, oh, ow]);
  const hw = oh * ow;
  const out: ConvGrads = {};
  const wasm = useWasmKernels();
  // The WebAssembly path writes dx whole, image by image.
  const dx = !want.input ? undefined : wasm ? outputTensor(x.shape) : zeros(x.shape);
  const dw = want.weight ? zeros(w.shape) : undefined;
  const db = want.bias ? zeros([cout]) : undefined;
  let dbDone = false;
  if ((dx || dw) && wasm) dbDone = conv2dBackwardWasm(g, x, w, dy, dx, dw, db);
  else if (dx || dw) {
    // As in the forward pass: the JS GEMM on one thread gathers dW's columns straight into its
    // packed panels.
    const packed = gemmThreads() === 1;
    const needCols = dx !== undefined || !packed;
    const chunk = imagesPerChunk(g, (needCols ? kdim : 0) + coutG + 1);
    const cols = new Float32Array(needCols ? kdim * hw * chunk : 0);
    const dyg = new Float32Array(coutG * hw * chunk);
    weightAndInputGrads(g, x, w, dy, dx, dw, chunk, packed, cols, dyg);
  }
  if (dx) out.dx = dx;
  if (dw) out.dw = dw;
  if (db) out.db = dbDone ? db : biasGrad(g, dy);
  return out;
}

function weightAndInputGrads(g: ConvGeometry, x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | undefined, dw: Tensor | undefined,
  chunk: number, packed: boolean, cols: Float32Array, dyg: Float32Array): void {
  const { n, cout, coutG, kdim, groups, oh, ow } = g;
  const hw = oh * ow;
  const xp = padInput(g, x.data);
  const dxp = dx ? paddedGradient(g, dx.data) : undefined;
  const taps = Array.from({ length: groups }, (_, gi) => tapOffsets(g, xp, gi * g.cinG));
  for (let n0 = 0; n0 < n; n0 += chunk) {
    const nc = Math.min(chunk, n - n0), ld = nc * hw;
    const pix = pixelOffsets(g, xp, n0, nc);
    for (let gi = 0; gi < groups; gi++) {
      const wOff = gi * coutG * kdim;
      // This group's output gradient as a [coutG, nc·hw] matrix.
      for (let o = 0; o < coutG; o++) {
        for (let i = 0; i < nc; i++) {
          const src = ((n0 + i) * cout + gi * coutG + o) * hw;
          dyg.set(dy.data.subarray(src, src + hw), o * ld + i * hw);
        }
      }
      if (dw && packed) {
        sgemmPackedB(coutG, kdim, ld, dyg, 0, ld, gatherPacker(xp.data, pix, taps[gi]!), dw.data, wOff, kdim, n0 === 0 ? 0 : 1);
      } else if (dw) {
        gatherMatrix(xp.data, taps[gi]!, pix, ow, g.sw, cols, ld);
        sgemmParallel({ m: coutG, n: kdim, k: ld, a: dyg, b: cols, transB: true, c: dw.data, cOffset: wOff, beta: 1 });
      }
      if (dx) {
        sgemmParallel({ m: kdim, n: ld, k: coutG, a: w.data, aOffset: wOff, transA: true, lda: kdim, b: dyg, c: cols });
        scatterAdd(cols, ld, taps[gi]!, pix, ow, g.sw, dxp!.data);
      }
    }
  }
  if (dx) cropGradient(g, dxp!, dx.data);
}

function biasGrad(g: ConvGeometry, dy: Tensor): Tensor {
  const { n, cout, oh, ow } = g;
  const hw = oh * ow;
  const db = zeros([cout]);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cout; o++) {
      let s = 0;
      const off = (b * cout + o) * hw;
      for (let i = off; i < off + hw; i++) s += dy.data[i]!;
      db.data[o] = db.data[o]! + s;
    }
  }
  return db;
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

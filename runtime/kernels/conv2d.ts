/**
 * conv2d forward (NCHW, weight [Cout, Cin/groups, kh, kw]) as one GEMM per group over the whole
 * minibatch: W_g [coutG, cinG·kh·kw] times the column matrix of every image's output pixels,
 * side by side, so even LeNet's 6- and 16-channel layers get products thousands of columns wide.
 * The column matrix is never stored: the input is padded once and its columns gathered straight
 * into the GEMM's packed panels (conv-gather.ts). The bias is added while the product is copied
 * into NCHW order, and so is ReLU when the caller folds one in (`relu`: training does when a relu is
 * the conv's only reader). conv1d is conv2d with H = 1.
 */
import { type Tensor, zeros, reshape } from '../tensor.ts';
import { expect } from './check.ts';
import { type Conv2dOptions, type ConvGeometry, convGeometry, imagesPerChunk } from './conv-common.ts';
import { type Padded, gatherMatrix, gatherPacker, padInput, pixelOffsets, tapOffsets } from './conv-gather.ts';
import { sgemmPackedB } from './gemm.ts';
import { gemmThreads, sgemmParallel } from './gemm-parallel.ts';
import { conv2dForwardWasm } from './conv-wasm.ts';
import { useWasmKernels } from './wasm/instance.ts';
import { outputTensor } from './step-buffers.ts';

export type { Conv2dOptions } from './conv-common.ts';

function checkBias(g: ConvGeometry, bias: Tensor | undefined): void {
  if (bias) expect('conv2d', bias.data.length === g.cout, `bias must have ${g.cout} values (one per output channel), got ${bias.data.length}`);
}

export function conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, opts: Conv2dOptions = {}, relu = false): Tensor {
  const g = convGeometry('conv2d', x.shape, w.shape, opts);
  checkBias(g, bias);
  const { n, cout, coutG, kdim, groups, oh, ow } = g;
  const hw = oh * ow;
  if (useWasmKernels()) {
    const y = outputTensor([n, cout, oh, ow]);
    conv2dForwardWasm(g, x, w, bias, y, relu);
    return y;
  }
  const y = zeros([n, cout, oh, ow]);
  const xp = padInput(g, x.data);
  // The JS GEMM on one thread gathers the columns straight into its panels; threaded GEMMs need B
  // as a matrix to share, and groups of fewer than 4 output channels (depthwise) suit the unpacked
  // GEMM.
  const packed = gemmThreads() === 1 && coutG >= 4;
  const chunk = imagesPerChunk(g, packed ? coutG + 1 : kdim + coutG + 1);
  const taps = Array.from({ length: groups }, (_, gi) => tapOffsets(g, xp, gi * g.cinG));
  const prod = new Float32Array(coutG * hw * chunk);
  const cols = new Float32Array(packed ? 0 : kdim * hw * chunk);
  forwardChunks(g, xp, w.data, bias?.data, y.data, chunk, taps, packed, cols, prod, relu);
  return y;
}

function forwardChunks(g: ConvGeometry, xp: Padded, wd: Float32Array, bd: Float32Array | undefined, yd: Float32Array,
  chunk: number, taps: Int32Array[], packed: boolean, cols: Float32Array, prod: Float32Array, relu: boolean): void {
  const { n, cout, coutG, kdim, groups, oh, ow } = g;
  const hw = oh * ow;
  for (let n0 = 0; n0 < n; n0 += chunk) {
    const nc = Math.min(chunk, n - n0), ld = nc * hw;
    const pix = pixelOffsets(g, xp, n0, nc);
    for (let gi = 0; gi < groups; gi++) {
      const wOff = gi * coutG * kdim;
      if (packed) sgemmPackedB(coutG, ld, kdim, wd, wOff, kdim, gatherPacker(xp.data, taps[gi]!, pix), prod, 0, ld);
      else {
        gatherMatrix(xp.data, taps[gi]!, pix, ow, g.sw, cols, ld);
        sgemmParallel({ m: coutG, n: ld, k: kdim, a: wd, aOffset: wOff, b: cols, c: prod });
      }
      for (let o = 0; o < coutG; o++) {
        const ch = gi * coutG + o, b = bd ? bd[ch]! : 0;
        for (let i = 0; i < nc; i++) {
          const src = o * ld + i * hw, dst = ((n0 + i) * cout + ch) * hw;
          if (relu) for (let t = 0; t < hw; t++) { const v = prod[src + t]! + b; yd[dst + t] = v > 0 ? v : 0; }
          else for (let t = 0; t < hw; t++) yd[dst + t] = prod[src + t]! + b;
        }
      }
    }
  }
}

export function addChannelBias(y: Float32Array, bias: Float32Array, n: number, c: number, hw: number): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const v = bias[ch]!;
      const off = (b * c + ch) * hw;
      for (let i = off; i < off + hw; i++) y[i] = y[i]! + v;
    }
  }
}

export interface Conv1dOptions {
  stride?: number;
  /** One pad for both ends, or [begin, end]. */
  pad?: number | readonly [number, number];
  dilation?: number;
  groups?: number;
}

/** Lift conv1d options onto conv2d with a unit H axis. */
export function conv1dAs2d(o: Conv1dOptions): Conv2dOptions {
  const p = o.pad === undefined ? [0, 0] : typeof o.pad === 'number' ? [o.pad, o.pad] : o.pad;
  return {
    stride: [1, o.stride ?? 1],
    dilation: [1, o.dilation ?? 1],
    pad: [0, p[0]!, 0, p[1]!],
    groups: o.groups,
  };
}

/** conv1d on [N, C, L] with weight [Cout, Cin/groups, k]. */
export function conv1d(x: Tensor, w: Tensor, bias: Tensor | undefined, opts: Conv1dOptions = {}): Tensor {
  expect('conv1d', x.shape.length === 3 && w.shape.length === 3,
    `expects input [N, C, L] and weight [Cout, Cin/groups, k], got [${x.shape.join(', ')}] and [${w.shape.join(', ')}]`);
  const [n, c, l] = x.shape as [number, number, number];
  const [o, ci, k] = w.shape as [number, number, number];
  const y = conv2d(reshape(x, [n, c, 1, l]), reshape(w, [o, ci, 1, k]), bias, conv1dAs2d(opts));
  return reshape(y, [n, o, y.shape[3]!]);
}

/**
 * conv2d forward (NCHW, weight [Cout, Cin/groups, kh, kw]) by im2col + packed GEMM, and conv1d as
 * conv2d with H = 1. Several small images share one column matrix so the GEMM stays wide enough
 * to reach the packed path even for late, low-resolution layers.
 */
import { type Tensor, zeros, reshape } from '../tensor.ts';
import { expect } from './check.ts';
import { type Conv2dOptions, type ConvGeometry, convGeometry, im2col, im2colPacker, isPointwise } from './conv-common.ts';
import { sgemmPackedB } from './gemm.ts';
import { gemmThreads, sgemmParallel } from './gemm-parallel.ts';

export type { Conv2dOptions } from './conv-common.ts';

/** Aim for at least this many output columns per GEMM when batching small images together. */
const MIN_GEMM_COLS = 1024;
/** Cap on the column buffer (floats) so huge inputs do not allocate unboundedly. */
const MAX_COL_FLOATS = 1 << 24;

/** How many images to put side by side in one column matrix. */
export function imagesPerChunk(g: ConvGeometry): number {
  const hw = g.oh * g.ow;
  const want = Math.max(1, Math.ceil(MIN_GEMM_COLS / hw));
  const cap = Math.max(1, Math.floor(MAX_COL_FLOATS / (g.kdim * hw)));
  return Math.min(g.n, want, cap);
}

function checkBias(g: ConvGeometry, bias: Tensor | undefined): void {
  if (bias) expect('conv2d', bias.data.length === g.cout, `bias must have ${g.cout} values (one per output channel), got ${bias.data.length}`);
}

export function conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, opts: Conv2dOptions = {}): Tensor {
  const g = convGeometry('conv2d', x.shape, w.shape, opts);
  checkBias(g, bias);
  const { n, cin, cout, coutG, kdim, groups, oh, ow } = g;
  const hw = oh * ow;
  const y = zeros([n, cout, oh, ow]);
  const xd = x.data, wd = w.data, yd = y.data;
  const chunk = imagesPerChunk(g);
  const pointwise = isPointwise(g);
  // One thread packs the columns straight from x into the GEMM's panels; threaded GEMMs need B as
  // a matrix to share, and groups of fewer than 4 output channels (depthwise) suit the unpacked GEMM.
  const fused = gemmThreads() === 1 && coutG >= 4;
  const cols = new Float32Array(fused || (pointwise && chunk === 1) ? 0 : kdim * hw * chunk);
  const tmp = chunk > 1 ? new Float32Array(coutG * hw * chunk) : new Float32Array(0);
  for (let n0 = 0; n0 < n; n0 += chunk) {
    const nc = Math.min(chunk, n - n0);
    const ld = nc * hw;
    const offsets = Array.from({ length: nc }, (_, i) => (n0 + i) * cin * g.h * g.w);
    for (let gi = 0; gi < groups; gi++) {
      const c0 = gi * g.cinG;
      const wOff = gi * coutG * kdim;
      const direct = nc === 1;
      const out = direct ? yd : tmp;
      const outOff = direct ? (n0 * cout + gi * coutG) * hw : 0;
      if (direct && pointwise) {
        sgemmParallel({ m: coutG, n: hw, k: kdim, a: wd, aOffset: wOff, b: xd, bOffset: offsets[0]! + c0 * hw, c: yd, cOffset: outOff });
      } else if (fused) {
        sgemmPackedB(coutG, ld, kdim, wd, wOff, kdim, im2colPacker(g, xd, offsets, c0), out, outOff, ld);
      } else {
        for (let i = 0; i < nc; i++) im2col(g, xd, offsets[i]!, c0, cols, i * hw, ld);
        sgemmParallel({ m: coutG, n: ld, k: kdim, a: wd, aOffset: wOff, b: cols, c: out, cOffset: outOff });
      }
      if (direct) continue;
      for (let o = 0; o < coutG; o++) {
        for (let i = 0; i < nc; i++) {
          const src = o * ld + i * hw;
          yd.set(tmp.subarray(src, src + hw), ((n0 + i) * cout + gi * coutG + o) * hw);
        }
      }
    }
  }
  if (bias) addChannelBias(yd, bias.data, n, cout, hw);
  return y;
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

/**
 * Convolution geometry shared by the forward and backward kernels, and im2col, which turns a
 * convolution into a GEMM: column matrix rows are (c, ki, kj) in weight order, columns are output
 * pixels (oh, ow), so `W[Cout, Cin·kh·kw] · cols` is the output plane. (The kernels themselves
 * gather the columns from a padded input, conv-gather.ts; lowered programs use im2col.)
 */
import { expect, kernelError } from './check.ts';

export type Pair = number | readonly [number, number];
/** A single pad for all sides, [h, w], or ONNX-style [top, left, bottom, right]. */
export type Pad4 = number | readonly [number, number] | readonly [number, number, number, number];

export interface Conv2dOptions {
  stride?: Pair;
  pad?: Pad4;
  dilation?: Pair;
  groups?: number;
}

export interface ConvGeometry {
  n: number; cin: number; h: number; w: number;
  cout: number; kh: number; kw: number;
  sh: number; sw: number;
  pt: number; pl: number; pb: number; pr: number;
  dh: number; dw: number;
  groups: number;
  oh: number; ow: number;
  /** Channels per group on each side, and the GEMM reduction length cinG·kh·kw. */
  cinG: number; coutG: number; kdim: number;
}

export function pair(kernel: string, what: string, v: Pair | undefined, dflt: number): [number, number] {
  const r: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  expect(kernel, r.every((x) => Number.isInteger(x) && x >= 1), `${what} must be positive integers, got [${r.join(', ')}]`);
  return r;
}

export function pad4(kernel: string, v: Pad4 | undefined): [number, number, number, number] {
  let r: [number, number, number, number];
  if (v === undefined) r = [0, 0, 0, 0];
  else if (typeof v === 'number') r = [v, v, v, v];
  else if (v.length === 2) r = [v[0], v[1], v[0], v[1]];
  else r = [v[0], v[1], v[2], v[3]];
  expect(kernel, r.every((x) => Number.isInteger(x) && x >= 0), `pads must be non-negative integers, got [${r.join(', ')}]`);
  return r;
}

/** Output extent of one spatial axis: floor((in + pads − dilated kernel) / stride) + 1. */
export function convOutSize(inSize: number, k: number, stride: number, padBegin: number, padEnd: number, dilation: number): number {
  return Math.floor((inSize + padBegin + padEnd - ((k - 1) * dilation + 1)) / stride) + 1;
}

export function convGeometry(kernel: string, xShape: readonly number[], wShape: readonly number[], o: Conv2dOptions): ConvGeometry {
  if (xShape.length !== 4 || wShape.length !== 4) {
    throw kernelError(kernel, `expects input [N, C, H, W] and weight [Cout, Cin/groups, kh, kw], got [${xShape.join(', ')}] and [${wShape.join(', ')}]`);
  }
  const [n, cin, h, w] = xShape as [number, number, number, number];
  const [cout, cinG, kh, kw] = wShape as [number, number, number, number];
  const groups = o.groups ?? 1;
  const [sh, sw] = pair(kernel, 'strides', o.stride, 1);
  const [dh, dw] = pair(kernel, 'dilations', o.dilation, 1);
  const [pt, pl, pb, pr] = pad4(kernel, o.pad);
  expect(kernel, Number.isInteger(groups) && groups >= 1 && cin % groups === 0 && cout % groups === 0,
    `groups (${groups}) must divide both input channels (${cin}) and output channels (${cout})`);
  expect(kernel, cinG === cin / groups, `weight has ${cinG} input channels per group, input has ${cin} channels in ${groups} group(s)`,
    'weight shape is [Cout, Cin/groups, kh, kw]');
  const oh = convOutSize(h, kh, sh, pt, pb, dh);
  const ow = convOutSize(w, kw, sw, pl, pr, dw);
  expect(kernel, oh >= 1 && ow >= 1, `the ${kh}×${kw} kernel (dilation ${dh}×${dw}) does not fit the padded ${h}×${w} input`);
  return { n, cin, h, w, cout, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, groups, oh, ow, cinG, coutG: cout / groups, kdim: cinG * kh * kw };
}

/**
 * Columns for channels [c0, c0 + cinG) of image x (at xOff), written at `cols` column offset
 * `colOff` with row length `ld` (so several images can sit side by side in one matrix).
 */
export function im2col(g: ConvGeometry, x: Float32Array, xOff: number, c0: number,
  cols: Float32Array, colOff: number, ld: number): void {
  const { h, w, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, cinG } = g;
  let row = 0;
  for (let c = 0; c < cinG; c++) {
    const plane = xOff + (c0 + c) * h * w;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, row++) {
        let o = colOff + row * ld;
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - pt + ki * dh;
          if (iy < 0 || iy >= h) {
            cols.fill(0, o, o + ow);
            o += ow;
            continue;
          }
          const src = plane + iy * w;
          let ix = kj * dw - pl;
          for (let xo = 0; xo < ow; xo++, ix += sw) cols[o++] = ix >= 0 && ix < w ? x[src + ix]! : 0;
        }
      }
    }
  }
}

/** Cap on the per-chunk buffers (floats), so huge inputs take several products. */
const MAX_CHUNK_FLOATS = 1 << 24;

/** Images per product, when each output pixel needs `perPixel` floats of scratch. */
export function imagesPerChunk(g: ConvGeometry, perPixel: number): number {
  return Math.max(1, Math.min(g.n, Math.floor(MAX_CHUNK_FLOATS / (perPixel * g.oh * g.ow))));
}

/**
 * Max and average pooling over 1, 2 or 3 spatial axes with ONNX semantics (MaxPool / AveragePool,
 * opset 22): kernel_shape, strides, pads [begins..., ends...], dilations, ceil_mode and
 * count_include_pad. Lower ranks are lifted to 3-D with unit axes, and each axis gets a table of
 * the input positions its windows touch, so the inner loops never test bounds.
 * A window that touches no input element (possible with dilation or in ceil mode) yields 0, not
 * the −∞ / NaN of an empty max / mean, so one odd window cannot poison a training run.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { expect, kernelError } from './check.ts';
import { useWasmKernels } from './wasm/instance.ts';
import { outputIndices, outputTensor } from './step-buffers.ts';
import { wasmMaxPool2x2, wasmMaxPool2x2Backward } from './wasm/maxpool.ts';

export interface PoolOptions {
  /** Window extent per spatial axis. */
  kernel: readonly number[];
  /** Per spatial axis; ONNX's default is 1 (not the kernel size as in PyTorch). */
  strides?: readonly number[];
  /** [begin per axis..., end per axis...], e.g. [top, left, bottom, right] in 2-D. */
  pads?: readonly number[];
  dilations?: readonly number[];
  ceilMode?: boolean;
  /** Average pooling only: divide by the window size including padding (not the ceil overhang). */
  countIncludePad?: boolean;
}

/**
 * Output extent of one axis. In ceil mode ONNX (and PyTorch) drop a last window that would start
 * beyond the input and its begin pad, so no window consists of end padding alone.
 */
export function poolOutSize(inSize: number, k: number, stride: number, padBegin: number, padEnd: number,
  dilation: number, ceilMode: boolean): number {
  const span = inSize + padBegin + padEnd - ((k - 1) * dilation + 1);
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= inSize + padBegin) out -= 1;
  return out;
}

interface AxisTaps {
  out: number;
  /** Input positions touched by window o are idx[start[o] .. start[o + 1]). */
  start: Int32Array;
  idx: Int32Array;
  /** Window taps inside the input, and inside input-plus-pads. */
  valid: Int32Array;
  padded: Int32Array;
}

function axisTaps(inSize: number, k: number, s: number, pb: number, pe: number, d: number, ceil: boolean): AxisTaps {
  const out = poolOutSize(inSize, k, s, pb, pe, d, ceil);
  const start = new Int32Array(out + 1);
  const idx: number[] = [];
  const valid = new Int32Array(out);
  const padded = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    start[o] = idx.length;
    for (let j = 0; j < k; j++) {
      const i = o * s - pb + j * d;
      if (i >= 0 && i < inSize) idx.push(i);
      if (i >= -pb && i < inSize + pe) padded[o] = padded[o]! + 1;
    }
    valid[o] = idx.length - start[o]!;
  }
  start[out] = idx.length;
  return { out, start, idx: Int32Array.from(idx), valid, padded };
}

interface PoolPlan {
  n: number;
  c: number;
  inDims: [number, number, number];
  outShape: number[];
  axes: [AxisTaps, AxisTaps, AxisTaps];
}

function plan(kernel: string, shape: readonly number[], o: PoolOptions): PoolPlan {
  const r = shape.length - 2;
  if (r < 1 || r > 3) throw kernelError(kernel, `expects [N, C, ...1 to 3 spatial axes], got [${shape.join(', ')}]`);
  const ks = o.kernel;
  const strides = o.strides ?? ks.map(() => 1);
  const dil = o.dilations ?? ks.map(() => 1);
  const pads = o.pads ?? [...ks.map(() => 0), ...ks.map(() => 0)];
  expect(kernel, ks.length === r && strides.length === r && dil.length === r && pads.length === 2 * r,
    `kernel, strides and dilations need ${r} values and pads ${2 * r} for a ${r}-D input`,
    'pads are [begin per axis..., end per axis...]');
  expect(kernel, [...ks, ...strides, ...dil].every((v) => Number.isInteger(v) && v >= 1) && pads.every((v) => Number.isInteger(v) && v >= 0),
    'kernel, strides and dilations must be positive integers and pads non-negative');
  const inDims: [number, number, number] = [1, 1, 1];
  const axes: AxisTaps[] = [];
  const lift = 3 - r;
  for (let a = 0; a < 3; a++) {
    if (a < lift) { axes.push(axisTaps(1, 1, 1, 0, 0, 1, false)); continue; }
    const i = a - lift;
    inDims[a] = shape[2 + i]!;
    const t = axisTaps(shape[2 + i]!, ks[i]!, strides[i]!, pads[i]!, pads[r + i]!, dil[i]!, o.ceilMode ?? false);
    expect(kernel, t.out >= 1, `the window does not fit spatial axis ${i} (size ${shape[2 + i]})`);
    axes.push(t);
  }
  const outShape = [shape[0]!, shape[1]!, ...axes.slice(lift).map((t) => t.out)];
  return { n: shape[0]!, c: shape[1]!, inDims, outShape, axes: axes as [AxisTaps, AxisTaps, AxisTaps] };
}

export function poolOutputShape(shape: readonly number[], o: PoolOptions): number[] {
  return plan('pool', shape, o).outShape;
}

export interface MaxPoolResult {
  y: Tensor;
  /** Flat index into x of each output's maximum (first one on ties), -1 for an all-padding window. */
  argmax: Int32Array;
}

/** Window o covers inputs 2o and 2o + 1 (stride 2, no padding, no dilation). */
const strideTwo = (t: AxisTaps) => t.idx.every((v, i) => v === i);

/** Every window of the axis covers exactly k input positions (no padding, no overhang). */
const full = (t: AxisTaps, k: number) => t.valid.every((v) => v === k);

/** 2×2 windows at stride 2 inside a 2-D input (the WebAssembly kernel's case). */
const stride2x2 = (p: PoolPlan): boolean => {
  const [A, B, C] = p.axes;
  return p.inDims[0] === 1 && A.out === 1 && A.valid[0] === 1 && full(B, 2) && full(C, 2) && strideTwo(B) && strideTwo(C);
};

/**
 * 2×2 windows that all lie inside the input (LeNet's, VGG's, U-Net's pools): four loads in the
 * same order and with the same tie rule as the general loop.
 */
function maxPool2x2(p: PoolPlan, xd: Float32Array, yd: Float32Array, argmax: Int32Array): void {
  const [, B, C] = p.axes;
  const [, H, W] = p.inDims;
  let q = 0;
  for (let plane = 0; plane < p.n * p.c; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < B.out; oh++) {
      const r0 = base + B.idx[B.start[oh]!]! * W, r1 = base + B.idx[B.start[oh]! + 1]! * W;
      for (let ow = 0; ow < C.out; ow++, q++) {
        const c0 = C.idx[C.start[ow]!]!, c1 = C.idx[C.start[ow]! + 1]!;
        let at = r0 + c0, best = xd[at]!;
        let v = xd[r0 + c1]!;
        if (v > best) { best = v; at = r0 + c1; }
        v = xd[r1 + c0]!;
        if (v > best) { best = v; at = r1 + c0; }
        v = xd[r1 + c1]!;
        if (v > best) { best = v; at = r1 + c1; }
        yd[q] = best;
        argmax[q] = at;
      }
    }
  }
}

export function maxPool(x: Tensor, o: PoolOptions): MaxPoolResult {
  const p = plan('maxpool', x.shape, o);
  const [A, B, C] = p.axes;
  const [, H, W] = p.inDims;
  // Every path below writes each output and its argmax.
  const y = outputTensor(p.outShape);
  const argmax = outputIndices(y.data.length);
  const xd = x.data;
  if (p.inDims[0] === 1 && A.out === 1 && A.valid[0] === 1 && full(B, 2) && full(C, 2)) {
    if (useWasmKernels() && xd.length >= 1024 && stride2x2(p)) wasmMaxPool2x2(xd, p.n * p.c, H, W, B.out, C.out, y.data, argmax);
    else maxPool2x2(p, xd, y.data, argmax);
    return { y, argmax };
  }
  let q = 0;
  for (let plane = 0; plane < p.n * p.c; plane++) {
    const base = plane * p.inDims[0] * H * W;
    for (let od = 0; od < A.out; od++) {
      for (let oh = 0; oh < B.out; oh++) {
        for (let ow = 0; ow < C.out; ow++, q++) {
          let best = -Infinity;
          let at = -1;
          for (let a = A.start[od]!; a < A.start[od + 1]!; a++) {
            for (let b = B.start[oh]!; b < B.start[oh + 1]!; b++) {
              const row = base + (A.idx[a]! * H + B.idx[b]!) * W;
              for (let c = C.start[ow]!; c < C.start[ow + 1]!; c++) {
                const v = xd[row + C.idx[c]!]!;
                if (v > best || at < 0) { best = v; at = row + C.idx[c]!; }
              }
            }
          }
          y.data[q] = at < 0 ? 0 : best;
          argmax[q] = at;
        }
      }
    }
  }
  return { y, argmax };
}

/**
 * With `reluOf` (the pool's output y), a window passes its gradient only where its maximum is above
 * 0: the backward of a relu feeding the pool, done in the same pass. With the pool's options, 2×2
 * windows that tile the input go to the WebAssembly kernel, which writes dx whole.
 */
export function maxPoolBackward(dy: Tensor, argmax: Int32Array, xShape: readonly number[], o?: PoolOptions, reluOf?: Float32Array): Tensor {
  expect('maxpool backward', dy.data.length === argmax.length, 'output gradient and argmax sizes differ');
  const p = o && useWasmKernels() && argmax.length >= 256 ? plan('maxpool backward', xShape, o) : undefined;
  if (p && stride2x2(p) && 2 * p.axes[1].out === p.inDims[1] && 2 * p.axes[2].out === p.inDims[2]) {
    return { shape: [...xShape], data: wasmMaxPool2x2Backward(dy.data, argmax, p.n * p.c, p.axes[1].out, p.axes[2].out, reluOf) };
  }
  const dx = zeros(xShape);
  const d = dx.data, g = dy.data;
  if (reluOf) {
    for (let i = 0; i < argmax.length; i++) {
      const at = argmax[i]!;
      if (at >= 0 && reluOf[i]! > 0) d[at] = d[at]! + g[i]!;
    }
    return dx;
  }
  for (let i = 0; i < argmax.length; i++) {
    const at = argmax[i]!;
    if (at >= 0) d[at] = d[at]! + g[i]!;
  }
  return dx;
}

/** Visit every (output index, input index, 1/divisor) triple of an average pool, for the backward pass. */
function forEachAvgTap(p: PoolPlan, includePad: boolean, visit: (out: number, inp: number, w: number) => void): void {
  const [A, B, C] = p.axes;
  const [, H, W] = p.inDims;
  let q = 0;
  for (let plane = 0; plane < p.n * p.c; plane++) {
    const base = plane * p.inDims[0] * H * W;
    for (let od = 0; od < A.out; od++) {
      for (let oh = 0; oh < B.out; oh++) {
        for (let ow = 0; ow < C.out; ow++, q++) {
          const count = includePad
            ? A.padded[od]! * B.padded[oh]! * C.padded[ow]!
            : A.valid[od]! * B.valid[oh]! * C.valid[ow]!;
          if (count === 0) continue;
          const wgt = 1 / count;
          for (let a = A.start[od]!; a < A.start[od + 1]!; a++) {
            for (let b = B.start[oh]!; b < B.start[oh + 1]!; b++) {
              const row = base + (A.idx[a]! * H + B.idx[b]!) * W;
              for (let c = C.start[ow]!; c < C.start[ow + 1]!; c++) visit(q, row + C.idx[c]!, wgt);
            }
          }
        }
      }
    }
  }
}

export function avgPool(x: Tensor, o: PoolOptions): Tensor {
  const p = plan('avgpool', x.shape, o);
  const [A, B, C] = p.axes;
  const [, H, W] = p.inDims;
  const includePad = o.countIncludePad ?? false;
  const y = zeros(p.outShape);
  const xd = x.data;
  let q = 0;
  for (let plane = 0; plane < p.n * p.c; plane++) {
    const base = plane * p.inDims[0] * H * W;
    for (let od = 0; od < A.out; od++) {
      for (let oh = 0; oh < B.out; oh++) {
        for (let ow = 0; ow < C.out; ow++, q++) {
          const count = includePad
            ? A.padded[od]! * B.padded[oh]! * C.padded[ow]!
            : A.valid[od]! * B.valid[oh]! * C.valid[ow]!;
          let s = 0;
          for (let a = A.start[od]!; a < A.start[od + 1]!; a++) {
            for (let b = B.start[oh]!; b < B.start[oh + 1]!; b++) {
              const row = base + (A.idx[a]! * H + B.idx[b]!) * W;
              for (let c = C.start[ow]!; c < C.start[ow + 1]!; c++) s += xd[row + C.idx[c]!]!;
            }
          }
          y.data[q] = count > 0 ? s / count : 0;
        }
      }
    }
  }
  return y;
}

export function avgPoolBackward(dy: Tensor, xShape: readonly number[], o: PoolOptions): Tensor {
  const p = plan('avgpool backward', xShape, o);
  expect('avgpool backward', dy.data.length === p.outShape.reduce((a, b) => a * b, 1),
    `output gradient has ${dy.data.length} values, the pool produces [${p.outShape.join(', ')}]`);
  const dx = zeros(xShape);
  const dd = dy.data;
  forEachAvgTap(p, o.countIncludePad ?? false, (q, i, w) => { dx.data[i] = dx.data[i]! + dd[q]! * w; });
  return dx;
}

/** Mean over all spatial axes: [N, C, ...] → [N, C, 1, ...]. */
export function globalAvgPool(x: Tensor): Tensor {
  expect('global avgpool', x.shape.length >= 3, `expects [N, C, ...spatial], got [${x.shape.join(', ')}]`);
  const [n, c] = x.shape as [number, number];
  const hw = x.data.length / (n * c);
  const y = zeros([n, c, ...x.shape.slice(2).map(() => 1)]);
  for (let i = 0; i < n * c; i++) {
    let s = 0;
    for (let j = i * hw; j < (i + 1) * hw; j++) s += x.data[j]!;
    y.data[i] = s / hw;
  }
  return y;
}

export function globalAvgPoolBackward(dy: Tensor, xShape: readonly number[]): Tensor {
  const dx = zeros(xShape);
  const planes = (xShape[0] ?? 1) * (xShape[1] ?? 1);
  const hw = dx.data.length / planes;
  for (let i = 0; i < planes; i++) dx.data.fill(dy.data[i]! / hw, i * hw, (i + 1) * hw);
  return dx;
}

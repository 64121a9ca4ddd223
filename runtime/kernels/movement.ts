/**
 * Data movement: concat and split along an axis (each the other's backward), nearest and bilinear
 * 2-D upsampling, and embedding lookup with its scatter-add backward.
 */
import { type Tensor, zeros, formatShape } from '../tensor.ts';
import { aroundAxis, expect, kernelError, normAxis } from './check.ts';

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  expect('concat', xs.length > 0, 'needs at least one tensor');
  const first = xs[0]!;
  const a = normAxis('concat', axis, first.shape.length);
  for (const t of xs) {
    const ok = t.shape.length === first.shape.length && t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) throw kernelError('concat', `${formatShape(t.shape)} does not match ${formatShape(first.shape)} outside axis ${a}`);
  }
  const total = xs.reduce((s, t) => s + t.shape[a]!, 0);
  const shape = [...first.shape];
  shape[a] = total;
  const y = zeros(shape);
  const { outer, inner } = aroundAxis(shape, a);
  let at = 0;
  for (const t of xs) {
    const chunk = t.shape[a]! * inner;
    for (let o = 0; o < outer; o++) y.data.set(t.data.subarray(o * chunk, (o + 1) * chunk), o * total * inner + at * inner);
    at += t.shape[a]!;
  }
  return y;
}

/** Split into pieces of the given lengths along axis (ONNX Split with a `split` input). */
export function split(x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  const a = normAxis('split', axis, x.shape.length);
  const sum = sizes.reduce((s, v) => s + v, 0);
  expect('split', sum === x.shape[a] && sizes.every((v) => Number.isInteger(v) && v >= 0),
    `pieces [${sizes.join(', ')}] must be non-negative and add up to axis length ${x.shape[a]}`);
  const { outer, len, inner } = aroundAxis(x.shape, a);
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    const shape = [...x.shape];
    shape[a] = s;
    const t = zeros(shape);
    for (let o = 0; o < outer; o++) t.data.set(x.data.subarray((o * len + at) * inner, (o * len + at + s) * inner), o * s * inner);
    out.push(t);
    at += s;
  }
  return out;
}

export const concatBackward = (dy: Tensor, axis: number, sizes: readonly number[]): Tensor[] => split(dy, axis, sizes);
export const splitBackward = (dys: readonly Tensor[], axis: number): Tensor => concat(dys, axis);

export type UpsampleMode = 'nearest' | 'bilinear';

export interface UpsampleOptions {
  mode: UpsampleMode;
  /** Integer or fractional scale per axis [h, w]; or give `size`. */
  scale?: readonly [number, number];
  size?: readonly [number, number];
}

interface Taps { i0: Int32Array; i1: Int32Array; w1: Float32Array }

/**
 * Source taps per output coordinate. nearest: floor(dst·in/out) (ONNX asymmetric + floor, PyTorch
 * 'nearest'); bilinear: half-pixel centres (dst + ½)·in/out − ½ clamped at 0, i.e.
 * align_corners = false as in PyTorch and ONNX Resize half_pixel.
 */
function taps(inSize: number, outSize: number, mode: UpsampleMode): Taps {
  const r = inSize / outSize;
  const t: Taps = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), w1: new Float32Array(outSize) };
  for (let o = 0; o < outSize; o++) {
    if (mode === 'nearest') {
      t.i0[o] = t.i1[o] = Math.min(inSize - 1, Math.floor(o * r));
      continue;
    }
    const src = Math.max(0, (o + 0.5) * r - 0.5);
    const lo = Math.min(inSize - 1, Math.floor(src));
    t.i0[o] = lo;
    t.i1[o] = Math.min(inSize - 1, lo + 1);
    t.w1[o] = src - lo;
  }
  return t;
}

function upsampleGeometry(shape: readonly number[], o: UpsampleOptions): { oh: number; ow: number } {
  expect('upsample2d', shape.length === 4, `expects [N, C, H, W], got ${formatShape(shape)}`);
  const [h, w] = [shape[2]!, shape[3]!];
  const oh = o.size ? o.size[0] : Math.floor(h * o.scale![0]);
  const ow = o.size ? o.size[1] : Math.floor(w * o.scale![1]);
  expect('upsample2d', (o.size !== undefined || o.scale !== undefined) && oh >= 1 && ow >= 1, 'give a positive `size` or `scale`');
  return { oh, ow };
}

export function upsample2d(x: Tensor, o: UpsampleOptions): Tensor {
  const { oh, ow } = upsampleGeometry(x.shape, o);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const ty = taps(h, oh, o.mode), tx = taps(w, ow, o.mode);
  const y = zeros([n, c, oh, ow]);
  for (let p = 0; p < n * c; p++) {
    const src = p * h * w, dst = p * oh * ow;
    for (let i = 0; i < oh; i++) {
      const r0 = src + ty.i0[i]! * w, r1 = src + ty.i1[i]! * w, wy = ty.w1[i]!;
      for (let j = 0; j < ow; j++) {
        const c0 = tx.i0[j]!, c1 = tx.i1[j]!, wx = tx.w1[j]!;
        const top = x.data[r0 + c0]! * (1 - wx) + x.data[r0 + c1]! * wx;
        const bot = x.data[r1 + c0]! * (1 - wx) + x.data[r1 + c1]! * wx;
        y.data[dst + i * ow + j] = top * (1 - wy) + bot * wy;
      }
    }
  }
  return y;
}

export function upsample2dBackward(dy: Tensor, xShape: readonly number[], o: UpsampleOptions): Tensor {
  const { oh, ow } = upsampleGeometry(xShape, o);
  const [n, c, h, w] = xShape as [number, number, number, number];
  expect('upsample2d backward', dy.data.length === n * c * oh * ow, `output gradient must be [${n}, ${c}, ${oh}, ${ow}]`);
  const ty = taps(h, oh, o.mode), tx = taps(w, ow, o.mode);
  const dx = zeros(xShape);
  const d = dx.data;
  for (let p = 0; p < n * c; p++) {
    const src = p * h * w, dst = p * oh * ow;
    for (let i = 0; i < oh; i++) {
      const r0 = src + ty.i0[i]! * w, r1 = src + ty.i1[i]! * w, wy = ty.w1[i]!;
      for (let j = 0; j < ow; j++) {
        const g = dy.data[dst + i * ow + j]!;
        const c0 = tx.i0[j]!, c1 = tx.i1[j]!, wx = tx.w1[j]!;
        d[r0 + c0] = d[r0 + c0]! + g * (1 - wy) * (1 - wx);
        d[r0 + c1] = d[r0 + c1]! + g * (1 - wy) * wx;
        d[r1 + c0] = d[r1 + c0]! + g * wy * (1 - wx);
        d[r1 + c1] = d[r1 + c1]! + g * wy * wx;
      }
    }
  }
  return dx;
}

/**
 * The table row of an id. Ids in [-V, 0) count from the end, as ONNX Gather's indices do (an
 * imported Gather of table rows runs as this op); anything else is an error, never a wrapped read.
 */
function rowOf(id: number, v: number, at: number, kernel: string): number {
  if (!Number.isInteger(id) || id < -v || id >= v) {
    throw kernelError(kernel, `id ${id} at position ${at} is outside the vocabulary [0, ${v}) (or [-${v}, 0) counted from the end)`, 'check the tokenizer or the vocabulary size');
  }
  return id < 0 ? id + v : id;
}

/** Rows of `table` [V, D] picked by integer ids of any shape → [...idsShape, D]. */
export function embedding(ids: ArrayLike<number>, idsShape: readonly number[], table: Tensor): Tensor {
  expect('embedding', table.shape.length === 2, `table must be [vocabulary, dim], got ${formatShape(table.shape)}`);
  const [v, d] = table.shape as [number, number];
  const y = zeros([...idsShape, d]);
  expect('embedding', ids.length * d === y.data.length, `ids shape ${formatShape(idsShape)} does not hold ${ids.length} ids`);
  for (let i = 0; i < ids.length; i++) {
    const row = rowOf(ids[i]!, v, i, 'embedding');
    y.data.set(table.data.subarray(row * d, (row + 1) * d), i * d);
  }
  return y;
}

/** Scatter-add: repeated ids accumulate their gradients. */
export function embeddingBackward(ids: ArrayLike<number>, dy: Tensor, tableShape: readonly number[]): Tensor {
  const d = tableShape[1]!;
  expect('embedding backward', dy.data.length === ids.length * d, 'gradient must be [...idsShape, dim]');
  const dt = zeros(tableShape);
  for (let i = 0; i < ids.length; i++) {
    const row = rowOf(ids[i]!, tableShape[0]!, i, 'embedding backward') * d;
    for (let j = 0; j < d; j++) dt.data[row + j] = dt.data[row + j]! + dy.data[i * d + j]!;
  }
  return dt;
}

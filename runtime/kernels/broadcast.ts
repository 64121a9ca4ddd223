/**
 * Elementwise binary ops with numpy broadcasting (align shapes at the right; a dimension of 1
 * stretches) and their backward passes, which sum the incoming gradient over every broadcast
 * dimension so each operand's gradient has that operand's shape.
 */
import { type Tensor, zeros, strides, size, formatShape } from '../tensor.ts';
import { kernelError } from './check.ts';

export function broadcastShapes(a: readonly number[], b: readonly number[], kernel = 'broadcast'): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw kernelError(kernel, `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (axis ${i}: ${da} vs ${db})`,
        'each aligned dimension must be equal or 1');
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` viewed inside `outShape`, with 0 along broadcast axes. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = strides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((d, i) => (i < off || shape[i - off] === 1 ? 0 : s[i - off]!));
}

/**
 * Visit output positions in row-major order with the matching flat offsets into a and b; the
 * innermost axis runs as a plain loop so the common cases stay tight.
 */
function forEachBroadcast(outShape: readonly number[], sa: number[], sb: number[],
  inner: (o: number, ia: number, ib: number, len: number, da: number, db: number) => void): void {
  const r = outShape.length;
  if (r === 0) { inner(0, 0, 0, 1, 0, 0); return; }
  const last = outShape[r - 1]!;
  const total = size(outShape);
  if (total === 0) return;
  const idx = new Array<number>(r).fill(0);
  let ia = 0, ib = 0;
  for (let o = 0; o < total; o += last) {
    inner(o, ia, ib, last, sa[r - 1]!, sb[r - 1]!);
    for (let a = r - 2; a >= 0; a--) {
      idx[a]!++;
      ia += sa[a]!;
      ib += sb[a]!;
      if (idx[a]! < outShape[a]!) break;
      ia -= sa[a]! * outShape[a]!;
      ib -= sb[a]! * outShape[a]!;
      idx[a] = 0;
    }
  }
}

export type BinaryFn = (x: number, y: number) => number;

export function broadcastBinary(a: Tensor, b: Tensor, f: BinaryFn, kernel = 'elementwise'): Tensor {
  const outShape = broadcastShapes(a.shape, b.shape, kernel);
  const y = zeros(outShape);
  const ad = a.data, bd = b.data, yd = y.data;
  if (ad.length === yd.length && bd.length === yd.length) {
    for (let i = 0; i < yd.length; i++) yd[i] = f(ad[i]!, bd[i]!);
    return y;
  }
  forEachBroadcast(outShape, broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape), (o, ia, ib, len, da, db) => {
    for (let j = 0; j < len; j++, ia += da, ib += db) yd[o + j] = f(ad[ia]!, bd[ib]!);
  });
  return y;
}

/** Sum `g` (of a broadcast result's shape) down to `shape`, the adjoint of broadcasting. */
export function reduceToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return { shape: [...shape], data: g.data.slice() };
  broadcastShapes(shape, g.shape, 'reduce to shape');
  const acc = new Float64Array(size(shape));
  const gd = g.data;
  const sr = broadcastStrides(shape, g.shape);
  forEachBroadcast(g.shape, sr, sr, (o, ir, _ib, len, dr) => {
    for (let j = 0; j < len; j++, ir += dr) acc[ir] = acc[ir]! + gd[o + j]!;
  });
  return { shape: [...shape], data: Float32Array.from(acc) };
}

export const add = (a: Tensor, b: Tensor): Tensor => broadcastBinary(a, b, (x, y) => x + y, 'add');
export const sub = (a: Tensor, b: Tensor): Tensor => broadcastBinary(a, b, (x, y) => x - y, 'sub');
export const mul = (a: Tensor, b: Tensor): Tensor => broadcastBinary(a, b, (x, y) => x * y, 'mul');
export const div = (a: Tensor, b: Tensor): Tensor => broadcastBinary(a, b, (x, y) => x / y, 'div');

export interface BinaryGrads {
  da: Tensor;
  db: Tensor;
}

export function addBackward(dy: Tensor, aShape: readonly number[], bShape: readonly number[]): BinaryGrads {
  return { da: reduceToShape(dy, aShape), db: reduceToShape(dy, bShape) };
}

export function subBackward(dy: Tensor, aShape: readonly number[], bShape: readonly number[]): BinaryGrads {
  const db = reduceToShape(dy, bShape);
  for (let i = 0; i < db.data.length; i++) db.data[i] = -db.data[i]!;
  return { da: reduceToShape(dy, aShape), db };
}

export function mulBackward(a: Tensor, b: Tensor, dy: Tensor): BinaryGrads {
  return {
    da: reduceToShape(broadcastBinary(dy, b, (g, y) => g * y), a.shape),
    db: reduceToShape(broadcastBinary(dy, a, (g, x) => g * x), b.shape),
  };
}

export function divBackward(a: Tensor, b: Tensor, dy: Tensor): BinaryGrads {
  const q = broadcastBinary(a, b, (x, y) => x / (y * y));
  return {
    da: reduceToShape(broadcastBinary(dy, b, (g, y) => g / y), a.shape),
    db: reduceToShape(broadcastBinary(dy, q, (g, v) => -g * v), b.shape),
  };
}

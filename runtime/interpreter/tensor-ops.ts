/**
 * Kernels the interpreter needs that runtime/kernels does not provide: axis permutation and
 * NumPy-style batched matmul (on the shared packed GEMM). Both are their own adjoints' building
 * blocks: transpose's backward is the inverse permutation, matmul's is two matmuls.
 */
import { type Tensor, size, strides, zeros } from '../tensor.ts';
import { broadcastShapes } from '../kernels/broadcast.ts';
import { expect } from '../kernels/check.ts';
import { sgemm } from '../kernels/gemm.ts';

/** y[i0, …] = x[i_perm…]: output axis a is input axis perm[a]. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const r = x.shape.length;
  expect('transpose', perm.length === r && [...perm].sort((p, q) => p - q).every((p, i) => p === i),
    `perm [${perm.join(', ')}] is not a permutation of ${r} axes`);
  const outShape = perm.map((p) => x.shape[p]!);
  const y = zeros(outShape);
  if (y.data.length === 0) return y;
  if (r <= 1 || perm.every((p, i) => p === i)) { y.data.set(x.data); return y; }
  const xs = strides(x.shape);
  const src = perm.map((p) => xs[p]!);
  const idx = new Array<number>(r).fill(0);
  const last = outShape[r - 1]!;
  const step = src[r - 1]!;
  const xd = x.data, yd = y.data;
  let base = 0;
  for (let o = 0; o < yd.length; o += last) {
    for (let j = 0, p = base; j < last; j++, p += step) yd[o + j] = xd[p]!;
    for (let a = r - 2; a >= 0; a--) {
      idx[a]!++;
      base += src[a]!;
      if (idx[a]! < outShape[a]!) break;
      base -= src[a]! * outShape[a]!;
      idx[a] = 0;
    }
  }
  return y;
}

export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return inv;
}

/**
 * NumPy matmul: operands of rank ≥ 2 are stacks of matrices whose batch axes broadcast; a 1-D
 * first operand is a row vector and a 1-D second operand a column vector, and the promoted axis is
 * dropped from the result.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expect('matmul', a.shape.length >= 1 && b.shape.length >= 1, 'operands need at least one axis');
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const m = as[as.length - 2]!, k = as[as.length - 1]!;
  const kb = bs[bs.length - 2]!, n = bs[bs.length - 1]!;
  expect('matmul', k === kb, `inner sizes differ: [${a.shape.join(', ')}] · [${b.shape.join(', ')}]`);
  const batchA = as.slice(0, -2), batchB = bs.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, 'matmul');
  const outShape = [...batch, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
  const y = zeros(outShape);
  const count = size(batch);
  // Offsets of each batch matrix, with stride 0 along broadcast axes.
  const strideOf = (bshape: number[], mat: number): number[] => {
    const s = strides(bshape).map((v) => v * mat);
    const off = batch.length - bshape.length;
    return batch.map((d, i) => (i < off || bshape[i - off] === 1 ? 0 : s[i - off]!));
  };
  const sa = strideOf(batchA, m * k), sb = strideOf(batchB, k * n);
  const idx = new Array<number>(batch.length).fill(0);
  for (let q = 0; q < count; q++) {
    let ao = 0, bo = 0;
    for (let i = 0; i < batch.length; i++) { ao += idx[i]! * sa[i]!; bo += idx[i]! * sb[i]!; }
    sgemm({ m, n, k, a: a.data, aOffset: ao, b: b.data, bOffset: bo, c: y.data, cOffset: q * m * n });
    for (let i = batch.length - 1; i >= 0; i--) {
      idx[i]!++;
      if (idx[i]! < batch[i]!) break;
      idx[i] = 0;
    }
  }
  return y;
}

/**
 * A dense layer whose input is mostly zeros — MNIST pixels (about 80 % background), spikes, ReLU
 * outputs of a sparse layer — costs nnz·out multiply-adds instead of rows·in·out if the zeros are
 * skipped. Forward y = x·Wᵀ + b walks each row's nonzeros and adds the matching row of Wᵀ; the
 * weight gradient dW = dyᵀ·x adds x[i, p]·dy[i, :] into row p of dWᵀ. Sums are kept in float64,
 * as the packed GEMM's are, so results differ from it only in summation order.
 */
import { type Tensor, zeros } from '../tensor.ts';

/** Below this fraction of nonzeros the sparse path beats the packed GEMM in plain JS. */
export const SPARSE_DENSITY = 0.3;

export function density(x: Float32Array): number {
  let nz = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) nz++;
  return x.length ? nz / x.length : 1;
}

/**
 * acc[0, n) += Σ_k v[k]·src[off[k] + (0, n)] for k in [s, e), four source rows per pass so each
 * load and store of acc serves four multiply-adds.
 */
function addScaledRows(acc: Float64Array, src: Float64Array, off: Int32Array, v: Float64Array, s: number, e: number, n: number): void {
  let k = s;
  for (; k + 4 <= e; k += 4) {
    const a0 = off[k]!, a1 = off[k + 1]!, a2 = off[k + 2]!, a3 = off[k + 3]!;
    const v0 = v[k]!, v1 = v[k + 1]!, v2 = v[k + 2]!, v3 = v[k + 3]!;
    for (let o = 0; o < n; o++) acc[o] = acc[o]! + v0 * src[a0 + o]! + v1 * src[a1 + o]! + v2 * src[a2 + o]! + v3 * src[a3 + o]!;
  }
  for (; k < e; k++) {
    const a0 = off[k]!, v0 = v[k]!;
    for (let o = 0; o < n; o++) acc[o] = acc[o]! + v0 * src[a0 + o]!;
  }
}

/** Nonzeros of a [major, minor] walk of x: for each major index, (offset, value) pairs. */
interface Lists { start: Int32Array; off: Int32Array; value: Float64Array }

/**
 * Nonzeros of x [rows, in] grouped by row (byRow) or by input feature; `off` is the nonzero's
 * other index times `stride`, ready to address a row of the matrix it multiplies.
 */
function nonzeros(x: Float32Array, rows: number, inF: number, byRow: boolean, stride: number): Lists {
  const majors = byRow ? rows : inF;
  const start = new Int32Array(majors + 1);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < inF; p++) if (x[i * inF + p] !== 0) start[(byRow ? i : p) + 1]!++;
  }
  for (let j = 0; j < majors; j++) start[j + 1]! += start[j]!;
  const fill = start.slice(0, majors);
  const off = new Int32Array(start[majors]!);
  const value = new Float64Array(start[majors]!);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < inF; p++) {
      const v = x[i * inF + p]!;
      if (v === 0) continue;
      const at = fill[byRow ? i : p]!++;
      off[at] = (byRow ? p : i) * stride;
      value[at] = v;
    }
  }
  return { start, off, value };
}

/** y = x·Wᵀ + b for W [out, in], skipping zero inputs. */
export function sparseDense(x: Tensor, w: Tensor, bias: Tensor | undefined): Tensor {
  const [outF, inF] = w.shape as [number, number];
  const rows = x.data.length / inF;
  const wt = new Float64Array(inF * outF);
  for (let o = 0; o < outF; o++) for (let p = 0; p < inF; p++) wt[p * outF + o] = w.data[o * inF + p]!;
  const nz = nonzeros(x.data, rows, inF, true, outF);
  const y = zeros([...x.shape.slice(0, -1), outF]);
  const acc = new Float64Array(outF);
  for (let i = 0; i < rows; i++) {
    if (bias) for (let o = 0; o < outF; o++) acc[o] = bias.data[o]!;
    else acc.fill(0);
    addScaledRows(acc, wt, nz.off, nz.value, nz.start[i]!, nz.start[i + 1]!, outF);
    y.data.set(acc, i * outF);
  }
  return y;
}

/** dW = dyᵀ·x [out, in], skipping zero inputs. */
export function sparseDenseWeightGrad(x: Tensor, dy: Tensor, outF: number, inF: number): Tensor {
  const rows = x.data.length / inF;
  const g = Float64Array.from(dy.data);
  const nz = nonzeros(x.data, rows, inF, false, outF);
  const dw = zeros([outF, inF]);
  const acc = new Float64Array(outF);
  for (let p = 0; p < inF; p++) {
    const s = nz.start[p]!, e = nz.start[p + 1]!;
    if (s === e) continue;
    acc.fill(0);
    addScaledRows(acc, g, nz.off, nz.value, s, e, outF);
    for (let o = 0; o < outF; o++) dw.data[o * inF + p] = acc[o]!;
  }
  return dw;
}

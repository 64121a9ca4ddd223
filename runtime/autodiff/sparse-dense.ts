/**
 * A dense layer whose input is mostly zeros — MNIST pixels (about 80 % background), spikes, ReLU
 * outputs of a sparse layer — costs nnz·out multiply-adds instead of rows·in·out if the zeros are
 * skipped. Forward y[i, o] = b[o] + Σ x[i, p]·W[o, p] over row i's nonzeros p; the weight gradient
 * dW[o, p] = Σ dy[i, o]·x[i, p] over the rows i where input p is nonzero. Both keep eight outputs
 * in registers while they walk a nonzero list, so each multiply-add costs one load, and read W
 * and dy where they lie (repacking W every step cost more than it saved). Sums are kept in
 * float64 as the packed GEMM's are: results differ from it only in summation order.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { dense } from '../kernels/dense.ts';
import { useWasmKernels } from '../kernels/wasm/instance.ts';

/** Below this fraction of nonzeros the sparse path beats the packed GEMM in plain JS. */
export const SPARSE_DENSITY = 0.3;
/**
 * The first WebAssembly GEMM was 5.7× the JS one on 1024³ (docs/benchmarks.md), so the scalar
 * sparse path paid only below about a sixth of the JS threshold. The GEMM is now about 11× the JS
 * one, so this threshold is generous; MNIST's inputs (19 % nonzeros) take the GEMM either way.
 */
export const SPARSE_DENSITY_WASM = 0.05;

/** Outputs per register block. */
const OB = 8;

/** Is the fraction of nonzeros below `limit`? Stops counting as soon as it cannot be (a dense input is decided early). */
export function densityBelow(x: Float32Array, limit: number): boolean {
  const most = limit * x.length;
  let nz = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== 0 && ++nz >= most) return false;
  return x.length > 0 && nz < most;
}

/**
 * Training's dense forward: the sparse path on a mostly-zero input, else the GEMM (so are small
 * products). The nonzero lists are saved as 'nonzeros' for the backward rule, which finds them
 * there instead of walking x again.
 */
export function trainingDense(x: Tensor, w: Tensor, bias: Tensor | undefined, save: (k: string, v: unknown) => void): Tensor {
  const inF = w.shape[1]!, limit = useWasmKernels() ? SPARSE_DENSITY_WASM : SPARSE_DENSITY;
  // rowNonzeros gives up on a dense input as soon as its count passes the limit (counting all of
  // it first was 7 % of the MNIST MLP's training loop, for an input the GEMM takes anyway).
  const nz = x.data.length * w.shape[0]! < 1 << 16 ? undefined : rowNonzeros(x.data, x.data.length / inF, inF, limit);
  if (!nz) return dense(x, w, bias);
  save('nonzeros', nz);
  return sparseDense(x, w, bias, nz);
}

/** Nonzeros of a matrix grouped by row: for row r, (index, value) pairs start[r] .. start[r + 1]. */
export interface Nonzeros { start: Int32Array; index: Int32Array; value: Float64Array }

/**
 * The nonzeros of x [rows, inF] row by row (index = input feature), or undefined once the count
 * shows that at least a fraction `maxDensity` of x is nonzero.
 */
export function rowNonzeros(x: Float32Array, rows: number, inF: number, maxDensity = Infinity): Nonzeros | undefined {
  const start = new Int32Array(rows + 1);
  const most = maxDensity * x.length;
  for (let i = 0; i < rows; i++) {
    let c = 0;
    for (let p = i * inF, e = p + inF; p < e; p++) if (x[p] !== 0) c++;
    start[i + 1] = start[i]! + c;
    // Counts only grow: once past the limit the whole input is too dense.
    if (x.length > 0 && start[i + 1]! >= most) return undefined;
  }
  const index = new Int32Array(start[rows]!);
  const value = new Float64Array(start[rows]!);
  let k = 0;
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < inF; p++) {
      const v = x[i * inF + p]!;
      if (v !== 0) { index[k] = p; value[k++] = v; }
    }
  }
  return { start, index, value };
}

/** The same nonzeros grouped by input feature (index = row): a counting sort of the row lists. */
function byFeature(nz: Nonzeros, rows: number, inF: number): Nonzeros {
  const start = new Int32Array(inF + 1);
  for (let k = 0; k < nz.index.length; k++) start[nz.index[k]! + 1]!++;
  for (let p = 0; p < inF; p++) start[p + 1]! += start[p]!;
  const fill = start.slice(0, inF);
  const index = new Int32Array(nz.index.length), value = new Float64Array(nz.index.length);
  for (let i = 0; i < rows; i++) {
    for (let k = nz.start[i]!; k < nz.start[i + 1]!; k++) {
      const at = fill[nz.index[k]!]!++;
      index[at] = i;
      value[at] = nz.value[k]!;
    }
  }
  return { start, index, value };
}

/** y = x·Wᵀ + b for W [out, in], skipping zero inputs (whose lists `nz` may already hold). */
export function sparseDense(x: Tensor, w: Tensor, bias: Tensor | undefined, nz?: Nonzeros): Tensor {
  const [outF, inF] = w.shape as [number, number];
  const rows = x.data.length / inF;
  nz ??= rowNonzeros(x.data, rows, inF)!;
  const y = zeros([...x.shape.slice(0, -1), outF]);
  const yd = y.data, wd = w.data, idx = nz.index, val = nz.value, st = nz.start;
  const b = (o: number) => (bias ? bias.data[o]! : 0);
  let o0 = 0;
  // Eight rows of W at a time (8·in floats, in L1 for MNIST's 784 inputs) against every row of x.
  for (; o0 + OB <= outF; o0 += OB) {
    const r0 = o0 * inF, r1 = r0 + inF, r2 = r1 + inF, r3 = r2 + inF, r4 = r3 + inF, r5 = r4 + inF, r6 = r5 + inF, r7 = r6 + inF;
    for (let i = 0; i < rows; i++) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (let k = st[i]!; k < st[i + 1]!; k++) {
        const v = val[k]!, p = idx[k]!;
        a0 += v * wd[r0 + p]!; a1 += v * wd[r1 + p]!; a2 += v * wd[r2 + p]!; a3 += v * wd[r3 + p]!;
        a4 += v * wd[r4 + p]!; a5 += v * wd[r5 + p]!; a6 += v * wd[r6 + p]!; a7 += v * wd[r7 + p]!;
      }
      const yo = i * outF + o0;
      yd[yo] = a0 + b(o0); yd[yo + 1] = a1 + b(o0 + 1); yd[yo + 2] = a2 + b(o0 + 2); yd[yo + 3] = a3 + b(o0 + 3);
      yd[yo + 4] = a4 + b(o0 + 4); yd[yo + 5] = a5 + b(o0 + 5); yd[yo + 6] = a6 + b(o0 + 6); yd[yo + 7] = a7 + b(o0 + 7);
    }
  }
  for (; o0 < outF; o0++) {
    for (let i = 0; i < rows; i++) {
      let a = 0;
      for (let k = st[i]!; k < st[i + 1]!; k++) a += val[k]! * wd[o0 * inF + idx[k]!]!;
      yd[i * outF + o0] = a + b(o0);
    }
  }
  return y;
}

/** dW = dyᵀ·x [out, in], skipping zero inputs (whose row lists `rowNz` may already hold). */
export function sparseDenseWeightGrad(x: Tensor, dy: Tensor, outF: number, inF: number, rowNz?: Nonzeros): Tensor {
  const rows = x.data.length / inF;
  const nz = byFeature(rowNz ?? rowNonzeros(x.data, rows, inF)!, rows, inF);
  const dw = zeros([outF, inF]);
  const dd = dw.data, g = dy.data, idx = nz.index, val = nz.value, st = nz.start;
  for (let p = 0; p < inF; p++) {
    const s = st[p]!, e = st[p + 1]!;
    if (s === e) continue;
    let o0 = 0;
    // Eight outputs of column p over the rows where input p is nonzero.
    for (; o0 + OB <= outF; o0 += OB) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (let k = s; k < e; k++) {
        const v = val[k]!, r = idx[k]! * outF + o0;
        a0 += v * g[r]!; a1 += v * g[r + 1]!; a2 += v * g[r + 2]!; a3 += v * g[r + 3]!;
        a4 += v * g[r + 4]!; a5 += v * g[r + 5]!; a6 += v * g[r + 6]!; a7 += v * g[r + 7]!;
      }
      let q = o0 * inF + p;
      dd[q] = a0; q += inF; dd[q] = a1; q += inF; dd[q] = a2; q += inF; dd[q] = a3; q += inF;
      dd[q] = a4; q += inF; dd[q] = a5; q += inF; dd[q] = a6; q += inF; dd[q] = a7;
    }
    for (; o0 < outF; o0++) {
      let a = 0;
      for (let k = s; k < e; k++) a += val[k]! * g[idx[k]! * outF + o0]!;
      dd[o0 * inF + p] = a;
    }
  }
  return dw;
}

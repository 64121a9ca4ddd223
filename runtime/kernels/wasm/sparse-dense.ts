/**
 * sparse-dense.wat on JavaScript arrays: a dense layer's forward product and weight gradient over
 * an input's nonzeros, with the bits of the fused-multiply-add GEMM (gemm-f32.wat with
 * gemm-f32-tile-fma.wat) that they replace, so a run gives the same losses whichever path a
 * layer takes. The MNIST MLP's first layer spent about 60 % of a training step in those two
 * GEMMs on inputs that are 81 % zeros.
 */
import { f32At, i32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './sparse-dense.wasm.ts';

interface SparseDenseExports {
  panels(src: number, rows: number, cols: number, dst: number): void;
  lists(start: number, index: number, value: number, lists: number, b: number, gs: number, rs: number, n: number, out: number, ldo: number, so: number, kb: number): void;
}

/** Nonzero lists: list l's (index, value) pairs are start[l] .. start[l + 1], indices ascending. */
export interface NonzeroLists { start: Int32Array; index: Int32Array; value: Float64Array }

/** Outputs the kernel takes at a time: a layer's output count must be a multiple. */
export const SPARSE_OUTPUT_GROUP = 16;

/** gemm-f32.wat's widest k block. */
const KC = 256;

/** The k block gemm-f32.wat uses for a product over k: k split into equal blocks of at most KC. */
export const gemmKBlock = (k: number): number => Math.ceil(k / Math.ceil(k / KC));

function kernel(): SparseDenseExports {
  return wasmExports<SparseDenseExports>('sparse-dense', wasmBase64);
}

/** The lists in the kernels' memory (the values as f32: they came from f32 inputs, so exactly). */
function listsIn(nz: NonzeroLists): [number, number, number] {
  const s = scratchAlloc(4 * nz.start.length), i = scratchAlloc(4 * nz.index.length), v = scratchAlloc(4 * nz.value.length);
  i32At(s, nz.start.length).set(nz.start);
  i32At(i, nz.index.length).set(nz.index);
  f32At(v, nz.value.length).set(nz.value);
  return [s, i, v];
}

/** y [rows, outF] = x·Wᵀ + bias, x given by its rows' nonzeros, W [outF, inF]. */
export function wasmSparseDense(nz: NonzeroLists, rows: number, w: Float32Array, outF: number, inF: number,
  bias: Float32Array | undefined, y: Float32Array): void {
  withScratch(() => {
    const [s, i, v] = listsIn(nz);
    const wAt = scratchAlloc(4 * w.length), wtAt = scratchAlloc(4 * w.length), yAt = scratchAlloc(4 * rows * outF);
    f32At(wAt, w.length).set(w);
    const yv = f32At(yAt, rows * outF);
    if (bias) for (let r = 0; r < rows; r++) yv.set(bias, r * outF);
    else yv.fill(0);
    const ex = kernel();
    ex.panels(wAt, outF, inF, wtAt);
    ex.lists(s, i, v, rows, wtAt, 16 * inF, 16, outF, yAt, outF, 1, gemmKBlock(inF));
    y.set(f32At(yAt, rows * outF));
  });
}

/** dW [outF, inF] = dyᵀ·x, x given by its features' nonzeros (index = row of x), dy [rows, outF]. */
export function wasmSparseWeightGrad(byFeature: NonzeroLists, rows: number, dy: Float32Array, outF: number, inF: number, dw: Float32Array): void {
  withScratch(() => {
    const [s, i, v] = listsIn(byFeature);
    const dyAt = scratchAlloc(4 * dy.length), dwAt = scratchAlloc(4 * outF * inF);
    f32At(dyAt, dy.length).set(dy);
    kernel().lists(s, i, v, inF, dyAt, 16, outF, outF, dwAt, 1, inF, gemmKBlock(rows));
    dw.set(f32At(dwAt, outF * inF));
  });
}

/**
 * Binary-weight products on grid inputs (every value q/d, whole 0 ≤ q < 2^bits, kernels/bitplane.ts
 * `inputLevels`) through the fp32 GEMM on the integers q themselves. Each product q·(±1) is a whole
 * number, and so is every partial sum; fp32 holds every whole number below 2^24 exactly, so when
 * k·(2^bits − 1) < 2^24 no partial sum, in whatever order or lane split the GEMM adds them (and with
 * or without fused multiply-adds), can round: the result is the exact integer sum, at fp32 GEMM speed.
 * Past that bound a sum may round, and the bit-planes (integer popcounts) are the exact path.
 */
import type { Tensor } from '../tensor.ts';
import { expect } from './check.ts';
import { sgemmParallel } from './gemm-parallel.ts';
import { gridInteger, type InputLevels } from './bitplane.ts';
import { outputArray } from './step-buffers.ts';
import { copyIn, copyRows, f32At, scratchAlloc, useWasmKernels, withScratch } from './wasm/instance.ts';
import { wasmGridIntegersAt } from './wasm/grid.ts';
import { compareOut, type ResidentBand } from './wasm/threshold.ts';

/** The largest whole number below which every integer is an fp32 value (24-bit significand). */
const FP32_EXACT_INTEGERS = 2 ** 24;

/** Can a sum of k products q·(±1), q < 2^bits, run in fp32 without rounding? */
export function fitsFp32Exactly(k: number, lv: InputLevels): boolean {
  return k * (2 ** lv.bits - 1) < FP32_EXACT_INTEGERS;
}

/** The rows' q as fp32 values, or undefined when a value is off the grid. */
export function gridIntegers(x: ArrayLike<number>, count: number, lv: InputLevels): Float32Array | undefined {
  const d = lv.denominator, limit = 2 ** lv.bits;
  const q = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = x[i]!;
    if (v === 0) continue;
    const t = gridInteger(v, d, limit);
    if (t < 0) return undefined;
    q[i] = t;
  }
  return q;
}

/**
 * s[i·n + j] = Σ_t q_it·w_jt exactly, for m rows of k integers q (gridIntegers) and ±1 weights
 * `signs` [n, k], into `into` (or a fresh array); refuses inputs whose sums could round. With the
 * WebAssembly kernels, operands that are views of their memory are read and written in place.
 */
export function gridGemm(q: Float32Array, m: number, k: number, signs: Tensor, lv: InputLevels, into?: Float32Array): Float32Array {
  expect('grid gemm', fitsFp32Exactly(k, lv),
    `${k} inputs below 2^${lv.bits} can sum past 2^24, where fp32 stops holding every integer`, 'sum such inputs by bit-planes (bitPlaneGemm)');
  expect('grid gemm', signs.shape.length === 2 && signs.shape[1] === k, `weights must be [n, ${k}], got [${signs.shape.join(', ')}]`);
  const n = signs.shape[0]!, c = into ?? outputArray(m * n);
  sgemmParallel({ m, n, k, a: q, b: signs.data, transB: true, c });
  return c;
}

/** A folded batch norm → sign for gridGemmOf to apply where the sums lie: 1 inside `band`, else `low`. */
export interface GridCompare { band: ResidentBand; low: number }

/**
 * gridGemm(gridIntegers(x)) for m rows of k values, or undefined when a value is off the grid. On
 * the WebAssembly kernels the integers are made in the kernels' memory (grid.wat), where the GEMM
 * reads them in place and writes its sums, which leave it once: as they are, or, given `compare`
 * (WebAssembly only), as the compare's 1 / low (threshold.wat in place). `signs` may hand a view
 * of the kernels' memory, which any allocation may detach: it is asked once before the
 * allocations (to make what it makes, which may grow the memory) and again after them for the view
 * the GEMM reads.
 */
export function gridGemmOf(x: Float32Array, m: number, k: number, signs: () => Tensor, lv: InputLevels, compare?: GridCompare): Float32Array | undefined {
  const wasm = useWasmKernels();
  expect('grid gemm', wasm || !compare, 'the compare in place needs the WebAssembly kernels', 'compare the sums with applyThresholds');
  if (!wasm) {
    const q = gridIntegers(x, m * k, lv);
    return q && gridGemm(q, m, k, signs(), lv);
  }
  const n = signs().shape[0]!;
  return withScratch(() => {
    const xAt = copyIn(x.subarray(0, m * k)), qAt = scratchAlloc(4 * m * k), cAt = scratchAlloc(4 * m * n);
    if (!wasmGridIntegersAt(m * k, xAt, lv.denominator, 2 ** lv.bits, qAt)) return undefined;
    gridGemm(f32At(qAt, m * k), m, k, signs(), lv, f32At(cAt, m * n));
    return compare ? compareOut(m, n, cAt, n, true, compare.band, compare.low) : copyRows(m, n, cAt, f32At, outputArray(m * n), n);
  });
}

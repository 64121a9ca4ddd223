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
import { dense } from './dense.ts';
import { gridInteger, type InputLevels } from './bitplane.ts';
import { copyIn, f32At, scratchAlloc, useWasmKernels, withScratch } from './wasm/instance.ts';
import { wasmGridIntegersAt } from './wasm/grid.ts';

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
 * `signs` [n, k]; refuses inputs whose sums could round.
 */
export function gridGemm(q: Float32Array, m: number, k: number, signs: Tensor, lv: InputLevels): Float32Array {
  expect('grid gemm', fitsFp32Exactly(k, lv),
    `${k} inputs below 2^${lv.bits} can sum past 2^24, where fp32 stops holding every integer`, 'sum such inputs by bit-planes (bitPlaneGemm)');
  return dense({ shape: [m, k], data: q }, signs).data;
}

/**
 * gridGemm(gridIntegers(x)) for m rows of k values, or undefined when a value is off the grid. On
 * the WebAssembly kernels the integers are made in the kernels' memory (grid.wat), where the GEMM
 * reads them in place. `signs` may hand a view of the kernels' memory, which any allocation may
 * detach: it is asked once before the allocations (to make what it makes, which may grow the
 * memory) and again after them for the view the GEMM reads.
 */
export function gridGemmOf(x: Float32Array, m: number, k: number, signs: () => Tensor, lv: InputLevels): Float32Array | undefined {
  if (!useWasmKernels()) {
    const q = gridIntegers(x, m * k, lv);
    return q && gridGemm(q, m, k, signs(), lv);
  }
  signs();
  return withScratch(() => {
    const xAt = copyIn(x.subarray(0, m * k)), qAt = scratchAlloc(4 * m * k);
    if (!wasmGridIntegersAt(m * k, xAt, lv.denominator, 2 ** lv.bits, qAt)) return undefined;
    const q = f32At(qAt, m * k);
    return gridGemm(q, m, k, signs(), lv);
  });
}

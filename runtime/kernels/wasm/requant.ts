/**
 * gemmlowp's fixed-point requantization of int32 accumulators to int8 (requant.wat), for the
 * lowered int8 layers' outputs, on sums already in the kernels' memory: the JavaScript reference
 * (fixed-multiplier.ts) needs two exact double steps for each 62-bit product, WebAssembly has a
 * 64-bit multiply, four lanes at a time.
 */
import { copyInInts, f64At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './requant.wasm.ts';

interface RequantExports {
  requant(rows: number, n: number, c: number, bias: number, m0: number, pl: number, pr: number, shl: number, s: number, y: number): number;
}

/**
 * Per-column multipliers m0·2^(left − right − 31): m0, the powers 2^left and 2^−right, and whether
 * any column shifts left (most do not, and the kernel then skips that step).
 */
export interface ColumnMultipliers { m0: Int32Array; leftPow: Float64Array; rightPow: Float64Array; shiftsLeft: boolean }

export function columnMultipliers(fs: readonly { m0: number; left: number; right: number }[]): ColumnMultipliers {
  return {
    m0: Int32Array.from(fs, (f) => f.m0), leftPow: Float64Array.from(fs, (f) => 2 ** f.left), rightPow: Float64Array.from(fs, (f) => 2 ** -f.right),
    shiftsLeft: fs.some((f) => f.left > 0),
  };
}

/**
 * y[i·n + j] = float32(q·s) with q the int8-saturated a·M(j), a = sat_int32(acc[i·n + j] + bias[j]),
 * for `rows` rows of n int32 sums at cAt; y at yAt, which may be cAt. Returns how many biased
 * sums ended at int32's bounds plus how many codes saturated.
 */
export function wasmRequantInt8At(rows: number, cAt: number, bias: Int32Array, f: ColumnMultipliers, s: number, yAt: number): number {
  const n = f.m0.length;
  return withScratch(() => {
    const bAt = copyInInts(bias, n), mAt = copyInInts(f.m0), lAt = scratchAlloc(8 * n), rAt = scratchAlloc(8 * n);
    f64At(lAt, n).set(f.leftPow);
    f64At(rAt, n).set(f.rightPow);
    return wasmExports<RequantExports>('requant', wasmBase64).requant(rows, n, cAt, bAt, mAt, lAt, rAt, f.shiftsLeft ? 1 : 0, s, yAt);
  });
}

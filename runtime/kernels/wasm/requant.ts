/**
 * gemmlowp's fixed-point requantization of int32 accumulators to int8 (requant.wat), for the
 * lowered int8 layers' outputs: the JavaScript reference (fixed-multiplier.ts) needs two exact
 * double steps for each 62-bit product, WebAssembly has a 64-bit multiply.
 */
import { i32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './requant.wasm.ts';

interface RequantExports {
  requant(len: number, n: number, acc: number, m0: number, left: number, right: number, out: number): number;
}

/** Per-column multipliers m0·2^(left − right − 31), as three int32 arrays. */
export interface ColumnMultipliers { m0: Int32Array; left: Int32Array; right: Int32Array }

/** q[i] = int8-saturated acc[i]·M(column i mod n) into out; returns how many saturated. */
export function wasmRequantInt8(acc: Int32Array, f: ColumnMultipliers, out: Int32Array): number {
  const n = f.m0.length, len = acc.length;
  return withScratch(() => {
    const accAt = scratchAlloc(4 * len), mAt = scratchAlloc(4 * n), lAt = scratchAlloc(4 * n), rAt = scratchAlloc(4 * n), outAt = scratchAlloc(4 * len);
    i32At(accAt, len).set(acc);
    i32At(mAt, n).set(f.m0);
    i32At(lAt, n).set(f.left);
    i32At(rAt, n).set(f.right);
    const saturated = wasmExports<RequantExports>('requant', wasmBase64).requant(len, n, accAt, mAt, lAt, rAt, outAt);
    out.set(i32At(outAt, len));
    return saturated;
  });
}

/**
 * The lowered integer layers' epilogue (int-epilogue.wat) on sums already in the kernels' memory:
 * bias with int32 saturation, alone or with the scaling to real values, one pass in place where
 * the GEMM left the sums. The per-column constants are copied into scratch per call (n values, a
 * few KiB against the m·n sums).
 */
import { countCall } from './calls.ts';
import { copyInInts, f64At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './int-epilogue.wasm.ts';

interface EpilogueExports {
  add_bias(rows: number, n: number, c: number, bias: number): number;
  scale(rows: number, n: number, c: number, bias: number, s: number, col: number, y: number): number;
}

const kernel = (): EpilogueExports => wasmExports<EpilogueExports>('int-epilogue', wasmBase64);

/** c[i·n + j] = sat_int32(c[i·n + j] + bias[j]) at byte address cAt; returns how many sums end at int32's bounds. */
export function addBiasAt(rows: number, n: number, cAt: number, bias: Int32Array): number {
  countCall('int-epilogue');
  return withScratch(() => kernel().add_bias(rows, n, cAt, copyInInts(bias, n)));
}

/**
 * y[i·n + j] = float32((a·s)·col[j]), a = sat_int32(c[i·n + j] + bias[j]), the int32 sums at cAt,
 * the floats at yAt (may be cAt); returns how many biased sums end at int32's bounds.
 */
export function scaleAt(rows: number, n: number, cAt: number, bias: Int32Array, s: number, col: Float64Array, yAt: number): number {
  countCall('int-epilogue');
  return withScratch(() => {
    const bAt = copyInInts(bias, n), colAt = scratchAlloc(8 * n);
    f64At(colAt, n).set(col);
    return kernel().scale(rows, n, cAt, bAt, s, colAt, yAt);
  });
}

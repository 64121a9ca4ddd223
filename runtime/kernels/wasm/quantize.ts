/**
 * Float32 inputs quantized to int8 / int16 in WebAssembly (quantize.wat) for the lowered integer
 * layers: the same integers and saturation count as the JS loop (quantizeInto), which was more of
 * an int8 layer's time than half its GEMM.
 */
import { f32At, i32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './quantize.wasm.ts';

interface QuantizeExports {
  quantize(len: number, x: number, s: number, lo: number, hi: number, out: number): number;
}

/** out[at + i − from] = round_half_even(x[i] / s) saturated to [lo, hi]; returns how many saturated. */
export function wasmQuantizeInto(x: Float32Array, from: number, to: number, s: number, lo: number, hi: number, out: Int8Array | Int16Array, at: number): number {
  const len = to - from;
  return withScratch(() => {
    const xAt = scratchAlloc(4 * len), qAt = scratchAlloc(4 * len);
    f32At(xAt, len).set(x.subarray(from, to));
    const saturated = wasmExports<QuantizeExports>('quantize', wasmBase64).quantize(len, xAt, s, lo, hi, qAt);
    out.set(i32At(qAt, len), at);
    return saturated;
  });
}

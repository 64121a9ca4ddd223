/**
 * Float32 inputs quantized to int8 / int16 in WebAssembly (quantize.wat) for the lowered integer
 * layers and int16 training: the same integers and saturation count as the JS loop (quantizeInto
 * in runtime/kernels/quantize.ts), which was more of an int8 layer's time than half
 * its GEMM.
 */
import { countCall } from './calls.ts';
import { f32At, i16At, i8At, scratchAlloc, useWasmKernels, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './quantize.wasm.ts';

interface QuantizeExports {
  quantize(len: number, x: number, s: number, lo: number, hi: number, out: number, eb: number): number;
}

/** Below this many values, the copies into the kernels' memory cost more than the JS loop. */
const WASM_MIN_VALUES = 256;
let minValues = WASM_MIN_VALUES;

/**
 * Does quantizing `len` values go to WebAssembly? The size rule for callers that copy the codes
 * back out (quantizeInto, toDfp16); a lowered layer whose GEMM runs in WebAssembly quantizes
 * there at any size, as its codes never leave the kernels' memory.
 */
export const quantizesInWasm = (len: number): boolean => len >= minValues && useWasmKernels();

/** Tests: move the size rule (to see every caller follow it), or back to the default (undefined). */
export function setQuantizeWasmMin(values: number | undefined): void {
  minValues = values ?? WASM_MIN_VALUES;
}

/**
 * x[from, to) quantized into new scratch as `eb`-byte integers (1: int8, 2: int16), left there for a
 * kernel to read in place: the caller's scratch mark releases it. Returns its address and how many
 * values saturated.
 */
export function wasmQuantizeToScratch(x: Float32Array, from: number, to: number, s: number, lo: number, hi: number, eb: 1 | 2): { at: number; saturated: number } {
  const len = to - from;
  countCall('quantize');
  const qAt = scratchAlloc(eb * len);
  // The floats' copy lies above the codes, so it is released here and the codes stay.
  return withScratch(() => {
    const xAt = scratchAlloc(4 * len);
    f32At(xAt, len).set(x.subarray(from, to));
    return { at: qAt, saturated: wasmExports<QuantizeExports>('quantize', wasmBase64).quantize(len, xAt, s, lo, hi, qAt, eb) };
  });
}

/** out[at + i − from] = round_half_even(x[i] / s) saturated to [lo, hi]; returns how many saturated. */
export function wasmQuantizeInto(x: Float32Array, from: number, to: number, s: number, lo: number, hi: number, out: Int8Array | Int16Array, at: number): number {
  const len = to - from;
  return withScratch(() => {
    const eb = out.BYTES_PER_ELEMENT as 1 | 2;
    const q = wasmQuantizeToScratch(x, from, to, s, lo, hi, eb);
    out.set(eb === 1 ? i8At(q.at, len) : i16At(q.at, len), at);
    return q.saturated;
  });
}

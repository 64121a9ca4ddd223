/**
 * The reference quantizer of the integer paths (lowered int8 / dfp16 layers, int16 training): the
 * JS loop wasm/quantize.wat is checked against, and the dispatch to it by quantizesInWasm's size
 * rule, so every caller gives the same integers and saturation count whichever path runs.
 */
import { quantizesInWasm, wasmQuantizeInto } from './wasm/quantize.ts';

/**
 * x[from, to) → integers q = round_half_even(x / s) saturated to [lo, hi], into out at `at`;
 * returns how many saturated.
 */
export function quantizeInto(x: ArrayLike<number>, from: number, to: number, s: number, lo: number, hi: number, out: Int8Array | Int16Array, at: number): number {
  if (x instanceof Float32Array && quantizesInWasm(to - from)) return wasmQuantizeInto(x, from, to, s, lo, hi, out, at);
  let saturated = 0;
  // roundHalfEven and saturate written out: this loop runs over every input of every lowered
  // layer, and inlined it took 2.5 times less time. `& 1` is the parity of any integer below 2^53.
  for (let i = from; i < to; i++) {
    const v = x[i]! / s;
    let r = Math.round(v);
    if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
    if (r > hi) { r = hi; saturated++; } else if (r < lo) { r = lo; saturated++; }
    out[at + i - from] = r;
  }
  return saturated;
}

/**
 * binarize.wat on JavaScript arrays, staged as relu.ts stages ReLU: the sign of latent binary
 * weights and of the `sign` op's input, and the sign op's clipped straight-through estimator.
 */
import { wasmExports } from './instance.ts';
import { wasmBase64 } from './binarize.wasm.ts';
import { staged } from './relu.ts';

interface BinarizeExports {
  binarize(x: number, y: number, n: number): number;
  sign_ste(x: number, dy: number, n: number, c: number): void;
}

const ex = (): BinarizeExports => wasmExports<BinarizeExports>('binarize', wasmBase64);

/** x ≥ 0 ? +1 : −1 into an output array, and whether every |x| ≤ 1. */
export function wasmBinarize(x: Float32Array): { y: Float32Array; inside: boolean } {
  let inside = false;
  const y = staged([x], ([a], n) => { inside = ex().binarize(a!, a!, n) === 1; return a!; });
  return { y, inside };
}

/** Binarize `n` floats (a multiple of 4) in place at byte address `at` of the kernels' memory; whether every |x| ≤ 1. */
export const wasmBinarizeAt = (at: number, n: number): boolean => ex().binarize(at, at, n) === 1;

/** dy·(|x| ≤ clip ? 1 : 0) into an output array. */
export const wasmSignSte = (x: Float32Array, dy: Float32Array, clip: number): Float32Array =>
  staged([x, dy], ([a, d], n) => { ex().sign_ste(a!, d!, n, clip); return d!; });

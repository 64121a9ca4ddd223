/**
 * relu.wat on JavaScript arrays: the operands copied into the kernels' memory (padded to whole
 * vectors), the result copied out into a fresh array. Same bits as the JS loops.
 */
import { f32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './relu.wasm.ts';
import { outputArray } from '../step-buffers.ts';

interface ReluExports {
  relu(x: number, y: number, n: number): void;
  relu_backward(x: number, dy: number, n: number): void;
}


const ex = (): ReluExports => wasmExports<ReluExports>('relu', wasmBase64);

/**
 * Copy `arrays` into the kernels' memory (padded with zeros to whole vectors), run, and copy the
 * array at the address `run` returns out into an output array.
 */
export function staged(arrays: Float32Array[], run: (at: number[], padded: number) => number): Float32Array {
  const n = arrays[0]!.length, padded = (n + 3) & ~3;
  return withScratch(() => {
    const at = arrays.map((a) => { const p = scratchAlloc(4 * padded); f32At(p, padded).fill(0, n).set(a); return p; });
    const out = outputArray(n);
    out.set(f32At(run(at, padded), n));
    return out;
  });
}

/** max(x, 0) as `x > 0 ? x : 0`, into a fresh array. */
export const wasmRelu = (x: Float32Array): Float32Array =>
  staged([x], ([a], n) => { ex().relu(a!, a!, n); return a!; });

/** x > 0 ? dy : 0, into a fresh array. */
export const wasmReluBackward = (x: Float32Array, dy: Float32Array): Float32Array =>
  staged([x, dy], ([a, d], n) => { ex().relu_backward(a!, d!, n); return d!; });

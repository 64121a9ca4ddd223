/**
 * The bit-plane AND-popcount GEMM of bitplane.wat. The planes arrive already in the kernel's layout
 * (bitplane.ts packs them with rows of whole 64-bit words); the weight rows are placed padded as
 * for xnor.wat, and the row count is padded to even with zero rows, which count nothing.
 */
import { copyRows, i32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { place } from './xnor.ts';
import { wasmBase64 } from './bitplane.wasm.ts';

interface BitPlaneExports {
  and_planes(mp: number, np: number, q: number, planes: number, a: number, b: number, c: number): void;
}

const kernel = (): BitPlaneExports => wasmExports<BitPlaneExports>('bitplane', wasmBase64);

/**
 * out[i·n + j] = Σ_p 2^p·popcount(plane p of row i AND w_j) for m rows of `planes` planes of
 * `stride` (even) 32-bit words each, and n weight rows of `words` words.
 */
export function wasmAndPlanes(m: number, n: number, planes: number, stride: number, a: Uint32Array, words: number, w: Uint32Array, out: Int32Array): void {
  withScratch(() => copyRows(m, n, andPlanesAt(m, n, planes, stride, a, words, w), i32At, out));
}

/**
 * The planes and weights placed in scratch and the kernel run, inside the caller's withScratch:
 * the counts' address, rows of (n + 1) & ~1.
 */
export function andPlanesAt(m: number, n: number, planes: number, stride: number, a: Uint32Array, words: number, w: Uint32Array): number {
  const mp = (m + 1) & ~1, np = (n + 1) & ~1;
  const aAt = scratchAlloc(mp * planes * stride * 4);
  const av = i32At(aAt, mp * planes * stride);
  av.set(new Int32Array(a.buffer, a.byteOffset, m * planes * stride));
  av.fill(0, m * planes * stride);
  const bAt = place(w, n, words, np, stride);
  const cAt = scratchAlloc(mp * np * 4);
  kernel().and_planes(mp, np, stride >> 1, planes, aAt, bAt, cAt);
  return cAt;
}

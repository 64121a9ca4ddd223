/**
 * Placing test operands in the kernels' WebAssembly memory: at its very end, so that the kernel's
 * next allocation grows the memory and detaches every view of it (the case a kernel must survive
 * when its output lies there), and a sentinel-filled stretch of free scratch that shows whether a
 * call wrote any byte past the live scratch.
 */
import { expect } from 'vitest';
import { i8At, scratchAlloc, scratchMark, scratchRelease, wasmMemoryBytes } from '../../../../runtime/kernels/wasm/instance.ts';

/**
 * Scratch of `bytes` (a multiple of 16) ending at the memory's last byte; the caller releases it
 * with its own scratch mark.
 */
export function atMemoryEnd(bytes: number): number {
  // Reaching to the memory's end, this steps over every resident block above the live scratch.
  const start = scratchAlloc(Math.max(bytes, wasmMemoryBytes() - scratchMark()));
  const at = wasmMemoryBytes() - bytes;
  scratchRelease(start);
  expect(scratchAlloc(at - start)).toBe(start);
  expect(scratchAlloc(bytes)).toBe(at);
  return at;
}

/** Run `body` and assert it wrote none of the 64 KiB of free scratch above the live scratch. */
export function writesNoScratch<T>(body: () => T): T {
  const bytes = 1 << 16, mark = scratchMark();
  const at = scratchAlloc(bytes);
  i8At(at, bytes).fill(-5);
  scratchRelease(mark);
  const result = body();
  // The first byte written, if any (-1: none).
  expect(i8At(at, bytes).findIndex((v) => v !== -5)).toBe(-1);
  return result;
}

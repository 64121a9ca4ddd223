/**
 * The int8 kernel's first call in a process runs its self-test (gemm-i8.ts, i8DotAvailable), whose
 * scratch can grow the kernels' memory and so detach an output that lies there before the kernel
 * has taken its address. A file of its own: vitest gives each file fresh modules, so this call is
 * the first.
 */
import { describe, expect, it } from 'vitest';
import { wasmGemmI8 } from '../../../runtime/kernels/wasm/gemm-i8.ts';
import { i32At, relaxedSimdAvailable, scratchMark, scratchRelease, wasmMemoryBytes } from '../../../runtime/kernels/wasm/instance.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { intGemmExact } from './helpers/naive.ts';
import { atMemoryEnd } from './helpers/wasm-memory.ts';

describe.runIf(relaxedSimdAvailable())('int8 GEMM, first call', () => {
  it('writes an output at the end of the kernels\' memory though the self-test grows the memory first', () => {
    const m = 8, n = 16, k = 40, rand = mulberry32(8);
    const a = Int8Array.from({ length: m * k }, () => Math.floor(rand() * 128));
    const b = Int8Array.from({ length: n * k }, () => Math.floor(rand() * 256) - 128);
    const mark = scratchMark();
    try {
      const at = atMemoryEnd(4 * m * n);
      const before = wasmMemoryBytes();
      expect(wasmGemmI8(m, a, { n, k, values: b, transB: true }, i32At(at, m * n))).toBe(true);
      expect(wasmMemoryBytes()).toBeGreaterThan(before);
      expect([...i32At(at, m * n)]).toEqual([...intGemmExact(m, n, k, a, b, true)]);
    } finally {
      scratchRelease(mark);
    }
  });
});

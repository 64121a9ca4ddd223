/**
 * The kernel tests run on the default backend (WebAssembly) in their own files; this file runs
 * those whose kernels multiply through the GEMM (the other kernels have one path only) again on
 * the plain JavaScript kernels (KILN_KERNELS=js), the reference, so both paths meet the same
 * contracts with the same tolerances. Tolerances are the ones each test states for
 * float32 arithmetic: the two backends differ only in summation order and in the JS GEMM's
 * float64 accumulation inside a k-block (wasm-kernels.test.ts bounds the difference).
 */
import { vi } from 'vitest';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';

// The JS reference kernels are several times slower than the default path; on a loaded machine
// the bit-level property tests of numerics.test.ts need more than the default minute.
vi.setConfig({ testTimeout: 240_000 });

// Set while the files below are collected, so every test in them runs with it.
setKernelBackend('js');

await import('./gemm.test.ts');
await import('./conv.test.ts');
await import('./layers.test.ts');
await import('./recurrent.test.ts');
await import('./numerics.test.ts');

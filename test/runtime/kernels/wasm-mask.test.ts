/**
 * dropout's batchwise mask applied in WebAssembly (mask.wat) gives the JS loop's bits, for rows
 * whose length is and is not a multiple of 4 (the kernel's scalar tail), with signed zeros and
 * infinities in the input; and that the WebAssembly path is the one that ran.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyMask, dropoutMask } from '../../../runtime/interpreter/dropout.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { scratchMark, setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { mulberry32, randomUniform } from '../../../runtime/tensor.ts';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('dropout mask in WebAssembly', () => {
  afterEach(() => { vi.unstubAllEnvs(); setKernelBackend(undefined); });

  for (const [rows, n] of [[100, 1024], [37, 43], [2000, 1]] as const) {
    it(`[${rows}, ${n}]: the JS loop's bits`, () => {
      const x = randomUniform([rows, n], mulberry32(rows + n), -2, 2);
      x.data[0] = -0;
      x.data[1] = Infinity;
      x.data[x.data.length - 1] = -Infinity;
      const mask = dropoutMask([rows, n], 'batchwise', 0.3, mulberry32(3));
      const out = (backend: 'js' | 'wasm') => { setKernelBackend(backend); return bits(applyMask(x, mask).data.slice()); };
      const mark = scratchMark(), calls = wasmCalls('mask');
      const js = out('js');
      expect(wasmCalls('mask')).toBe(calls);
      expect(out('wasm')).toEqual(js);
      expect(wasmCalls('mask')).toBe(calls + 1);
      expect(js.some((b, i) => b !== bits(x.data)[i])).toBe(true);
      expect(scratchMark()).toBe(mark);
    });
  }

  it('runs in WebAssembly by default and not under KILN_KERNELS=js', () => {
    const x = randomUniform([100, 1024], mulberry32(1), -2, 2), mask = dropoutMask([100, 1024], 'batchwise', 0.3, mulberry32(2));
    const calls = (kernels: string) => {
      vi.stubEnv('KILN_KERNELS', kernels);
      setKernelBackend(undefined);
      const before = wasmCalls('mask');
      applyMask(x, mask);
      return wasmCalls('mask') - before;
    };
    expect(calls('')).toBe(1);
    expect(calls('js')).toBe(0);
  });
});

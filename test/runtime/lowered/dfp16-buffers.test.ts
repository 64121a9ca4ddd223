/**
 * The lowered int16 layer's buffers. Its WebAssembly path leaves the refused rows' codes (and,
 * narrowed to int16, the safe rows' sums) in the kernels' memory for the JavaScript loop; a
 * rescaled row is quantized again, in WebAssembly from 256 inputs, which takes scratch and may grow
 * the memory, detaching every view of it. Today the GEMM has always grown the memory past what
 * that quantizing takes, so the growth is forced here: quantizeInto is wrapped to grow the memory
 * by a page before every call, and the layer must still give the JavaScript backend's outputs.
 * Its JavaScript path keeps the batch's codes between calls, which dispose() must drop.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lowerDfp16 } from '../../../runtime/lowered/precision/dfp16-layer.ts';
import { newCounts } from '../../../runtime/lowered/precision/types.ts';
import { setI16WasmMinMacs } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { setKernelBackend, wasmMemoryBytes } from '../../../runtime/kernels/wasm/instance.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';

const growth = vi.hoisted(() => ({ on: false, calls: 0 }));

vi.mock('../../../runtime/kernels/quantize.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../runtime/kernels/quantize.ts')>();
  const mem = await import('../../../runtime/kernels/wasm/instance.ts');
  return {
    ...real,
    quantizeInto: (...args: Parameters<typeof real.quantizeInto>) => {
      if (growth.on) {
        growth.calls++;
        // Scratch ending 16 bytes past the memory's end: one page more, every view detached.
        mem.withScratch(() => mem.scratchAlloc(mem.wasmMemoryBytes() - mem.scratchMark() + 16));
      }
      return real.quantizeInto(...args);
    },
  };
});

afterEach(() => { setKernelBackend(undefined); setI16WasmMinMacs(undefined); growth.on = false; });

const n = 8, k = 300;
const rng = mulberry32(11);
const rand = (len: number) => Float32Array.from({ length: len }, () => 2 * rng() - 1);
const weight = { shape: [n, k], data: rand(n * k) }, bias = { shape: [n], data: rand(n).map((v) => v * 1e-3) };
/** m rows; the `loud` ones at int16's ends (at 2^-15), whose sums pass int32 and are rescaled, the rest small. */
const batch = (m: number, loud: (i: number) => boolean) => Float32Array.from(rand(m * k), (v, j) => v * (loud(Math.floor(j / k)) ? 0.999 : 0.002));

function outputs(backend: 'js' | 'wasm', m: number, A: Float32Array, outScale?: number) {
  setKernelBackend(backend);
  setI16WasmMinMacs(0);
  const layer = lowerDfp16({ weight, bias, perChannel: false, actScale: 2 ** -15, outScale });
  const c = newCounts();
  growth.on = backend === 'wasm';
  try { return { y: Array.from(layer.gemm(m, A, c)), c }; } finally { growth.on = false; layer.dispose?.(); }
}

describe('the int16 layer\'s WebAssembly path when a rescale grows the kernels\' memory', () => {
  const cases = [
    { name: 'loud rows among quiet ones (safe rows in the kernel, refused rows in the loop)', m: 6, loud: (i: number) => i % 3 === 1 },
    { name: 'every row refused', m: 4, loud: () => true },
  ];
  for (const c of cases) {
    for (const outScale of [undefined, 2 ** -4]) {
      it(`${c.name}, ${outScale ? 'narrowed to int16' : 'real outputs'}: the JavaScript backend's outputs and counts`, () => {
        const A = batch(c.m, c.loud);
        const js = outputs('js', c.m, A, outScale);
        growth.calls = 0;
        const before = wasmMemoryBytes();
        const wasm = outputs('wasm', c.m, A, outScale);
        expect(js.c.rescales).toBeGreaterThan(0);
        // The rescales quantized in WebAssembly, and the memory grew under them.
        expect(growth.calls).toBeGreaterThanOrEqual(js.c.rescales);
        expect(wasmMemoryBytes()).toBeGreaterThan(before);
        expect(wasm).toEqual(js);
      });
    }
  }
});

describe('the int16 layer\'s JavaScript codes buffer', () => {
  it('grows to the largest batch, is dropped by dispose(), and a call after gives the same outputs', () => {
    setKernelBackend('js');
    const layer = lowerDfp16({ weight, bias, perChannel: false, actScale: 2 ** -15 });
    const A = batch(5, (i) => i === 2);
    const first = Array.from(layer.gemm(5, A, newCounts()));
    expect(layer.batchBytes!()).toBe(2 * 5 * k);
    layer.gemm(2, A.subarray(0, 2 * k), newCounts());
    expect(layer.batchBytes!()).toBe(2 * 5 * k);
    layer.dispose!();
    expect(layer.batchBytes!()).toBe(0);
    expect(Array.from(layer.gemm(5, A, newCounts()))).toEqual(first);
  });
});

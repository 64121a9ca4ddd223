/**
 * The lowered layers' input quantization in WebAssembly (quantize.wat) against the JS loop of
 * quantizeInto: the same integers and the same saturation count, ties, NaN, ±∞ and −0 included.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { quantizeInto } from '../../../runtime/kernels/quantize.ts';
import { toDfp16 } from '../../../runtime/kernels/fixed-point.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { setQuantizeWasmMin } from '../../../runtime/kernels/wasm/quantize.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { roundHalfEven, saturate } from '../../../runtime/kernels/quant-int8.ts';

afterEach(() => { setKernelBackend(undefined); setQuantizeWasmMin(undefined); });

const special = [NaN, Infinity, -Infinity, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 127.5, -128.5, 32767.5, -32768.5, 1e30, -1e30];

describe('input quantization (quantize.wat)', () => {
  it('gives the JS loop\'s integers and saturation count, for int8 and int16 ranges', () => {
    fc.assert(fc.property(fc.integer({ min: 256, max: 1200 }), fc.integer(), fc.boolean(), fc.integer({ min: 0, max: 7 }),
      (len, seed, int16, from) => {
        const rand = mulberry32(seed);
        const [lo, hi] = int16 ? [-32768, 32767] : [-128, 127];
        // Scales that are powers of two make x / s exact, so ties (…​.5) really occur.
        const s = rand() < 0.5 ? 2 ** -Math.floor(rand() * 8) : rand() * 0.1 + 1e-3;
        const x = Float32Array.from({ length: len + from }, () => {
          const r = rand();
          return r < 0.15 ? special[Math.floor(rand() * special.length)]! * s : (rand() * 2 - 1) * hi * 1.2 * s;
        });
        const make = () => (int16 ? new Int16Array(len + 3).fill(7) : new Int8Array(len + 3).fill(7));
        setKernelBackend('js');
        const js = make(), jsSat = quantizeInto(x, from, from + len, s, lo, hi, js, 2);
        setKernelBackend('wasm');
        const wasm = make(), wasmSat = quantizeInto(x, from, from + len, s, lo, hi, wasm, 2);
        expect(wasm).toEqual(js);
        expect(wasmSat).toBe(jsSat);
      }), { numRuns: 60 });
  });

  it('counts ±∞ and out-of-range values as saturated and NaN as 0, unsaturated', () => {
    const x = new Float32Array(260);
    x.set([Infinity, -Infinity, NaN, 200, -200, 126.5, 127.5, -128.5]);
    const out = new Int8Array(260);
    setKernelBackend('wasm');
    expect(quantizeInto(x, 0, 260, 1, -128, 127, out, 0)).toBe(5);
    expect([...out.subarray(0, 8)]).toEqual([127, -128, 0, 127, -128, 126, 127, -128]);
  });

  it('has one size rule: dfp16 training\'s toDfp16 and the lowered layers\' quantizeInto both follow quantizesInWasm', () => {
    setKernelBackend('wasm');
    setQuantizeWasmMin(8);
    const x = Float32Array.from({ length: 8 }, (_, i) => i - 3.5);
    const calls = () => wasmCalls('quantize');
    const before = calls();
    toDfp16({ shape: [8], data: x });
    quantizeInto(x, 0, 8, 0.5, -128, 127, new Int8Array(8), 0);
    expect(calls() - before).toBe(2);
    // One value short of the rule: both stay in JavaScript.
    toDfp16({ shape: [7], data: x.subarray(0, 7) });
    quantizeInto(x, 0, 7, 0.5, -128, 127, new Int8Array(7), 0);
    expect(calls() - before).toBe(2);
  });

  it('toDfp16 gives the integers of its former own loop (x·2^-e rounded half to even, saturated) on either path', () => {
    // The loop toDfp16 kept before it called quantizeInto, written as it read, as the reference.
    const former = (x: Float32Array, e: number) => Int16Array.from(x, (v) => saturate(roundHalfEven(v * 2 ** -e), -32768, 32767));
    fc.assert(fc.property(fc.integer({ min: 1, max: 700 }), fc.integer(), fc.oneof(fc.integer({ min: -12, max: 4 }), fc.constantFrom(-163, -149, -126, 100, 114)), (len, seed, e) => {
      const rand = mulberry32(seed);
      // Ties at .5 (exact multiples of 2^(e-1)) and values past ±32767·2^e that saturate.
      const x = Float32Array.from({ length: len }, () => {
        const r = rand();
        if (r < 0.3) return (Math.floor(rand() * 2000) - 1000 + 0.5) * 2 ** e;
        if (r < 0.4) return (rand() < 0.5 ? -1 : 1) * (32767.5 + rand() * 1000) * 2 ** e;
        if (r < 0.45) return special[Math.floor(rand() * special.length)]!;
        return (rand() * 2 - 1) * 40000 * 2 ** e;
      });
      const want = former(x, e);
      setKernelBackend('js');
      expect(toDfp16({ shape: [len], data: x }, e).values).toEqual(want);
      setKernelBackend('wasm');
      setQuantizeWasmMin(1);
      const ran = wasmCalls('quantize');
      expect(toDfp16({ shape: [len], data: x }, e).values).toEqual(want);
      // The WebAssembly half must really have run, or this would compare JS with JS.
      expect(wasmCalls('quantize')).toBe(ran + 1);
      // And quantizeInto counts the values whose rounding lies past [−32768, 32767] (±∞ included),
      // the same on both paths.
      const past = [...x].filter((v) => { const q = roundHalfEven(v * 2 ** -e); return q > 32767 || q < -32768; }).length;
      expect(quantizeInto(x, 0, len, 2 ** e, -32768, 32767, new Int16Array(len), 0)).toBe(past);
      setQuantizeWasmMin(undefined);
      setKernelBackend('js');
      expect(quantizeInto(x, 0, len, 2 ** e, -32768, 32767, new Int16Array(len), 0)).toBe(past);
    }), { numRuns: 60 });
  });
});

/**
 * The lowered int8 and int16 layers' WebAssembly path (input quantized in the kernels' memory, the
 * GEMM reading the codes there, bias, requantization or scaling in place: int-epilogue.wat,
 * requant.wat) against their JavaScript reference, bit for bit with the same counts, on shapes
 * whose rows and columns are not multiples of the kernels' tiles, post-ReLU and signed inputs,
 * biases that push sums to int32's bounds, and multipliers with left and right shifts.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lowerInt8 } from '../../../runtime/lowered/precision/int8-layer.ts';
import { lowerDfp16 } from '../../../runtime/lowered/precision/dfp16-layer.ts';
import { multiplyByFixed, quantizeMultiplier } from '../../../runtime/lowered/precision/fixed-multiplier.ts';
import { type IntegerLayer, newCounts } from '../../../runtime/lowered/precision/types.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { setI16WasmMinMacs } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { columnMultipliers, RequantColumns, wasmRequantInt8At } from '../../../runtime/kernels/wasm/requant.ts';
import { addBiasAt, epilogueColumns, scaleAt } from '../../../runtime/kernels/wasm/int-epilogue.ts';
import { INT32_MAX, INT32_MIN, saturate } from '../../../runtime/kernels/quant-int8.ts';
import * as instance from '../../../runtime/kernels/wasm/instance.ts';
import { f32At, i32At, scratchAlloc, setKernelBackend, withScratch } from '../../../runtime/kernels/wasm/instance.ts';
import { setI8DotOff } from '../../../runtime/kernels/wasm/gemm-i8.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';

afterEach(() => { setKernelBackend(undefined); setI16WasmMinMacs(undefined); });

/** Outputs as bits (so −0 and +0 differ) and the counts, on one backend. */
function outputs(layer: () => IntegerLayer, m: number, A: Float32Array, backend: 'js' | 'wasm') {
  setKernelBackend(backend);
  // Every product, however small, takes the WebAssembly path when that backend is on.
  setI16WasmMinMacs(0);
  const l = layer(), c = newCounts();
  const y = l.gemm(m, A, c);
  l.dispose?.();
  return { bits: Array.from(new Uint32Array(y.buffer, y.byteOffset, y.length)), c };
}

const shape = fc.record({ m: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 13 }), k: fc.integer({ min: 1, max: 40 }), seed: fc.integer() });

describe('lowered int8 layer: WebAssembly against the JS reference', () => {
  it('same outputs and counts, requantized or scaled, post-ReLU or signed input, saturating biases', () => {
    fc.assert(fc.property(shape, fc.boolean(), fc.boolean(), fc.boolean(), fc.constantFrom(0.05, 1e-6, 3, 1e-12),
      ({ m, n, k, seed }, relu, perChannel, requant, outScale) => {
        const rand = mulberry32(seed);
        const w = Float32Array.from({ length: n * k }, () => rand() * 2 - 1);
        // A bias of ±2e9 steps at s_x·s_w ≈ 1e-4 lands past int32: the sums saturate and are counted.
        const b = Float32Array.from({ length: n }, () => (rand() < 0.3 ? (rand() < 0.5 ? -1 : 1) * 2e9 * 1e-4 : rand() * 4 - 2));
        const A = Float32Array.from({ length: m * k }, () => { const v = (rand() * 2 - 1) * 1.5; return relu ? Math.max(0, v) : v; });
        const layer = () => lowerInt8({ weight: { shape: [n, k], data: w }, bias: { shape: [n], data: b }, perChannel, actScale: 0.01, outScale: requant ? outScale : undefined });
        expect(outputs(layer, m, A, 'wasm')).toEqual(outputs(layer, m, A, 'js'));
      }), { numRuns: 120 });
  });

  it('the test reaches int32 saturation and int8 saturation', () => {
    const n = 8, k = 16, m = 4;
    const w = { shape: [n, k], data: new Float32Array(n * k).fill(0.5) };
    const b = { shape: [n], data: new Float32Array(n).fill(1e9) };
    const A = new Float32Array(m * k).fill(1);
    const r = outputs(() => lowerInt8({ weight: w, bias: b, perChannel: false, actScale: 0.01, outScale: 0.05 }), m, A, 'wasm');
    // Every biased sum saturates to INT32_MAX (counted), then every code to 127 (counted again).
    expect(r.c.saturations).toBe(2 * m * n);
    expect(r).toEqual(outputs(() => lowerInt8({ weight: w, bias: b, perChannel: false, actScale: 0.01, outScale: 0.05 }), m, A, 'js'));
  });

  it('a bias near int32\'s bound but inside it: lanes that wrap saturate, their neighbours do not', () => {
    // Scales of 1 make the int32 bias the float itself: ±(2^31 − 128), the nearest float32 below
    // the bound. Sums of either sign then push some lanes past it (wrapped by the int32 add, then
    // saturated) and pull others back inside, in the four-lane loop and the tail (n = 13).
    const n = 13, k = 5, m = 5;
    const rand = mulberry32(11);
    const w = { shape: [n, k], data: Float32Array.from({ length: n * k }, () => Math.round(rand() * 254 - 127)) };
    const b = { shape: [n], data: Float32Array.from({ length: n }, (_, j) => (j % 2 ? -1 : 1) * (2 ** 31 - 128)) };
    expect(Math.abs(b.data[0]!)).toBe(2 ** 31 - 128);
    for (const relu of [false, true]) {
      const A = Float32Array.from({ length: m * k }, () => { const v = Math.round(rand() * 200 - 100); return relu ? Math.max(0, v) : v; });
      // The codes are the values themselves: the biased sums, and how many leave int32, by hand.
      let beyond = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let sum = b.data[j]!;
        for (let p = 0; p < k; p++) sum += A[i * k + p]! * w.data[j * k + p]!;
        if (sum >= 2 ** 31 - 1 || sum <= -(2 ** 31)) beyond++;
      }
      expect(beyond).toBeGreaterThan(0);
      expect(beyond).toBeLessThan(m * n);
      for (const outScale of [undefined, 2 ** 24]) {
        const layer = () => lowerInt8({ weight: w, bias: b, perChannel: false, weightScale: Float32Array.of(1), actScale: 1, outScale });
        const wasm = outputs(layer, m, A, 'wasm');
        // Scaled, a saturated sum is the one count; requantized, codes saturate too (at 2^-24, the
        // positive sums near 2^31 round to 128).
        if (outScale === undefined) expect(wasm.c.saturations).toBe(beyond);
        else expect(wasm.c.saturations).toBeGreaterThan(beyond);
        expect(wasm).toEqual(outputs(layer, m, A, 'js'));
      }
    }
  });
});

describe('requant.wat against gemmlowp\'s reference (multiplyByFixed)', () => {
  it('gives multiplyByFixed\'s codes, int32 extremes and shifts of 0 to 31 included', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (n, rows, seed) => {
      const rand = mulberry32(seed);
      const extremes = [2147483647, -2147483648, 0, 1, -1, 2147483646, -2147483647];
      const acc = Int32Array.from({ length: rows * n }, () => (rand() < 0.2 ? extremes[Math.floor(rand() * extremes.length)]! : Math.floor((rand() * 2 - 1) * 2 ** (rand() * 31))));
      const bias = Int32Array.from({ length: n }, () => (rand() < 0.2 ? extremes[Math.floor(rand() * extremes.length)]! : Math.floor((rand() * 2 - 1) * 1000)));
      const mult = Array.from({ length: n }, () => quantizeMultiplier(2 ** (rand() * 45 - 35)));
      const s = 0.25;
      let sat = 0;
      const want = Array.from(acc, (a, i) => {
        let x = a + bias[i % n]!;
        x = Math.min(2147483647, Math.max(-2147483648, x));
        if (x === 2147483647 || x === -2147483648) sat++;
        let q = multiplyByFixed(x, mult[i % n]!);
        if (q > 127 || q < -128) { sat++; q = Math.min(127, Math.max(-128, q)); }
        return Math.fround(q * s);
      });
      const cols = new RequantColumns(bias, columnMultipliers(mult));
      const got = withScratch(() => {
        const at = scratchAlloc(4 * acc.length);
        i32At(at, acc.length).set(acc);
        const saturated = wasmRequantInt8At(rows, at, cols, s, at);
        return { y: Array.from(f32At(at, acc.length)), saturated };
      });
      cols.free();
      expect(got).toEqual({ y: want, saturated: sat });
    }));
  });
});

describe('lowered int16 layer: WebAssembly against the JS reference', () => {
  it('same outputs and counts, rows inside and outside the int32 bound, narrowed to int16 or not', () => {
    // Runs in which the WebAssembly epilogue ran on safe rows, narrowed (add_bias, the sums handed
    // back) and not (scale): a bias past int32 at the bias scale lets no row in, so the comparison
    // alone would pass with the epilogue never reached.
    const reached = { narrow: 0, scaled: 0 };
    fc.assert(fc.property(shape, fc.boolean(), fc.boolean(), fc.constantFrom<'saturate' | 'rescale'>('saturate', 'rescale'), fc.constantFrom(1e-6, 0.5, 20),
      ({ m, n, k, seed }, perChannel, narrow, overflow, biasSize) => {
        const rand = mulberry32(seed);
        const w = Float32Array.from({ length: n * k }, () => rand() * 2 - 1);
        // The bias enters at 2^-(e_x + e_w) ≈ 2^29 (more per channel): 1e-6 is a few hundred steps,
        // 0.5 is near 2^28 (still inside int32 with a quiet row's sums), 20 lies past int32.
        const b = Float32Array.from({ length: n }, () => (rand() * 2 - 1) * biasSize);
        // Some rows loud (mantissas near int16's ends at 2^-15: past the bound), the rest quiet.
        const A = Float32Array.from({ length: m * k }, (_, i) => (rand() * 2 - 1) * (Math.floor(i / k) % 3 === 0 ? 0.999 : 0.002));
        const layer = () => lowerDfp16({ weight: { shape: [n, k], data: w }, bias: { shape: [n], data: b }, perChannel, actScale: 2 ** -15, outScale: narrow ? 2 ** -4 : undefined, overflow });
        const epilogues = wasmCalls('int-epilogue');
        const wasm = outputs(layer, m, A, 'wasm');
        if (wasmCalls('int-epilogue') > epilogues) reached[narrow ? 'narrow' : 'scaled']++;
        expect(wasm).toEqual(outputs(layer, m, A, 'js'));
      }), { numRuns: 80 });
    expect(reached.narrow).toBeGreaterThan(5);
    expect(reached.scaled).toBeGreaterThan(5);
  });

  it('a small bias lets the quiet rows into the kernel, which biases and scales them where they lie', () => {
    const n = 13, k = 24, m = 6;
    const rand = mulberry32(7);
    const w = { shape: [n, k], data: Float32Array.from({ length: n * k }, () => rand() * 2 - 1) };
    const b = { shape: [n], data: Float32Array.from({ length: n }, () => (rand() * 2 - 1) * 1e-5) };
    const A = Float32Array.from({ length: m * k }, (_, i) => (rand() * 2 - 1) * (Math.floor(i / k) % 3 === 0 ? 0.999 : 0.002));
    for (const outScale of [undefined, 2 ** -4]) {
      const layer = () => lowerDfp16({ weight: w, bias: b, perChannel: false, actScale: 2 ** -15, outScale, overflow: 'rescale' });
      const products = wasmCalls('gemm-i16'), epilogues = wasmCalls('int-epilogue');
      const wasm = outputs(layer, m, A, 'wasm');
      expect(wasmCalls('gemm-i16') - products).toBe(1);
      expect(wasmCalls('int-epilogue') - epilogues).toBe(1);
      // The loud rows (0 and 3) overflowed and were rescaled in JS: both paths met in one call.
      expect(wasm.c.rescales).toBeGreaterThan(0);
      expect(wasm).toEqual(outputs(layer, m, A, 'js'));
    }
  });
});

describe('lowered int8 and int16 layers: the GEMM reads the codes where quantize.wat left them', () => {
  it('copies no m·k codes into the kernels\' memory, signed int8 (widened kernel) and int16 alike', () => {
    const m = 6, n = 11, k = 40;
    const rand = mulberry32(5);
    const weight = { shape: [n, k], data: Float32Array.from({ length: n * k }, () => rand() * 2 - 1) };
    const bias = { shape: [n], data: Float32Array.from({ length: n }, () => (rand() * 2 - 1) * 1e-5) };
    // Signed inputs (the int8 layer then takes the widened int16 kernel) small enough that every
    // int16 row passes the int32 bound, so the int16 layer copies no row out either.
    const A = Float32Array.from({ length: m * k }, () => (rand() * 2 - 1) * 0.002);
    setKernelBackend('wasm');
    setI16WasmMinMacs(0);
    setI8DotOff(true);
    const layers = [
      lowerInt8({ weight, bias, perChannel: true, actScale: 2 ** -12, outScale: 0.01 }),
      lowerDfp16({ weight, bias, perChannel: false, actScale: 2 ** -15, overflow: 'rescale' }),
    ];
    try {
      for (const l of layers) {
        const first = l.gemm(m, A, newCounts());
        const copies = vi.spyOn(instance, 'copyInInts');
        try {
          const y = l.gemm(m, A, newCounts());
          expect(y).toEqual(first);
          // Nothing: A is read where quantize.wat left it, and the bias and multipliers are the
          // layer's, resident since the first call.
          expect(copies.mock.calls).toEqual([]);
        } finally {
          copies.mockRestore();
        }
      }
    } finally {
      setI8DotOff(false);
      for (const l of layers) l.dispose?.();
    }
  });
});

describe('the saturating int32 bias add, written three times (add_bias, scale, requant)', () => {
  it('gives the same saturated sums and the same count at ±2^31 in each, vector lanes and scalar tail', () => {
    // n = 11: two four-lane steps and a three-value tail in every row of every kernel.
    const rows = 5, n = 11, len = rows * n;
    const edges = [INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 2 ** 30, -(2 ** 30), 1, -1, 0];
    // Sums past each bound, in the lanes and in the tail: [lanes above, lanes below, tail above, tail below].
    const reached = [0, 0, 0, 0];
    fc.assert(fc.property(fc.integer(), (seed) => {
      const rand = mulberry32(seed);
      const pick = () => (rand() < 0.7 ? edges[Math.floor(rand() * edges.length)]! : Math.floor(rand() * 2 ** 32) - 2 ** 31);
      const c = Int32Array.from({ length: len }, pick), bias = Int32Array.from({ length: n }, pick);
      // The JS reference: the exact sum (a double holds it) clamped to int32; a sum at a bound counts.
      const want = Int32Array.from(c, (v, i) => saturate(v + bias[i % n]!, INT32_MIN, INT32_MAX));
      const wantCount = want.filter((a) => a === INT32_MAX || a === INT32_MIN).length;
      c.forEach((v, i) => {
        const x = v + bias[i % n]!, tail = i % n >= 8 ? 2 : 0;
        if (x > INT32_MAX) reached[tail]! += 1;
        if (x < INT32_MIN) reached[tail + 1]! += 1;
      });
      setKernelBackend('wasm');
      const run = <T>(body: (cAt: number, yAt: number) => T): T => withScratch(() => {
        const cAt = scratchAlloc(4 * len), yAt = scratchAlloc(4 * len);
        i32At(cAt, len).set(c);
        return body(cAt, yAt);
      });
      // add_bias writes the saturated sums themselves.
      const cols = epilogueColumns(bias, new Float64Array(n).fill(1)), f = quantizeMultiplier(2 ** -25), requantCols = new RequantColumns(bias, columnMultipliers(new Array(n).fill(f)));
      const added = run((cAt) => ({ count: addBiasAt(rows, n, cAt, cols), a: i32At(cAt, len).slice() }));
      // scale at s = 1, columns 1: y = float32(a), a's top 24 bits, where a wrapped sum would have
      // the other sign (a bias add that wrapped is 2^32 away).
      const scaled = run((cAt, yAt) => ({ count: scaleAt(rows, n, cAt, cols, 1, yAt), y: f32At(yAt, len).slice() }));
      // requant at M = 2^-25: q = a·2^-25 rounded lies in [−64, 64], so no int8 code saturates and
      // the count is the int32 one alone; y = q at s_y = 1, a's top 7 bits and sign.
      const requant = run((cAt, yAt) => ({ count: wasmRequantInt8At(rows, cAt, requantCols, 1, yAt), y: f32At(yAt, len).slice() }));
      cols.free();
      requantCols.free();
      expect(added.a).toEqual(want);
      expect(scaled.y).toEqual(Float32Array.from(want));
      expect(requant.y).toEqual(Float32Array.from(want, (a) => multiplyByFixed(a, f)));
      expect([added.count, scaled.count, requant.count]).toEqual([wantCount, wantCount, wantCount]);
    }), { numRuns: 200 });
    expect(reached.every((r) => r > 0), `sums past int32's bounds: ${reached}`).toBe(true);
  });
});

const W = { shape: [24, 40], data: Float32Array.from({ length: 24 * 40 }, (_, i) => Math.sin(i * 0.37)) };
const B = { shape: [24], data: Float32Array.from({ length: 24 }, (_, i) => Math.cos(i) * 0.5) };

describe('the epilogue\'s per-column constants', () => {
  it.each([
    ['int8, requantized', () => lowerInt8({ weight: W, bias: B, perChannel: true, actScale: 0.01, outScale: 0.05 })],
    ['int8, scaled', () => lowerInt8({ weight: W, bias: B, perChannel: true, actScale: 0.01 })],
    ['int16, narrowed', () => lowerDfp16({ weight: W, bias: B, perChannel: true, actScale: 0.01, outScale: 0.05 })],
    ['int16, scaled', () => lowerDfp16({ weight: W, bias: B, perChannel: true, actScale: 0.01 })],
  ])('%s: copied in at the first batch only, freed by dispose(), outputs the JS reference\'s bit for bit', (_name, make) => {
    const rand = mulberry32(21);
    const batches = [0, 1, 2].map(() => Float32Array.from({ length: 6 * 40 }, () => rand() * 2 - 1));
    const bits = (y: Float32Array) => Array.from(new Uint32Array(y.buffer, y.byteOffset, y.length));
    setKernelBackend('js');
    const js = make();
    const want = batches.map((A) => bits(js.gemm(6, A, newCounts())));
    setKernelBackend('wasm');
    setI16WasmMinMacs(0);
    const layer = make(), before = instance.residentBytes();
    const copies = wasmCalls('resident-arrays'), epilogues = wasmCalls('int-epilogue') + wasmCalls('requant');
    expect(bits(layer.gemm(6, batches[0]!, newCounts()))).toEqual(want[0]);
    expect(wasmCalls('resident-arrays') - copies).toBe(1);
    for (const [i, A] of batches.entries()) expect(bits(layer.gemm(6, A, newCounts()))).toEqual(want[i]);
    // Four batches ran the epilogue; the constants were copied in once.
    expect(wasmCalls('int-epilogue') + wasmCalls('requant') - epilogues).toBe(4);
    expect(wasmCalls('resident-arrays') - copies).toBe(1);
    layer.dispose!();
    expect(instance.residentBytes()).toBe(before);
    expect(bits(layer.gemm(6, batches[1]!, newCounts()))).toEqual(want[1]);
    expect(wasmCalls('resident-arrays') - copies).toBe(2);
    layer.dispose!();
  });
});

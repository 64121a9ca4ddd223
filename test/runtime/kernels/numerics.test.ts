import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { fromArray } from '../../../runtime/tensor.ts';
import {
  INT32_MAX, INT32_MIN, dequantizeInt8, dequantizeLinear, fakeQuantInt8, fakeQuantInt8Backward, gemmInt8, quantizeInt8,
  quantizeLinear, requantizeInt8, roundHalfEven,
} from '../../../runtime/kernels/quant-int8.ts';
import { chooseExponent, fromDfp16, gemmDfp16, requantizeDfp16, toDfp16 } from '../../../runtime/kernels/fixed-point.ts';
import { packSignBits, popcount32, unpackSignBits, xnorGemm } from '../../../runtime/kernels/binary.ts';
import { dequantizeTernary, ternarize, ternaryMatmul } from '../../../runtime/kernels/ternary.ts';
import { dense } from '../../../runtime/kernels/dense.ts';
import { setI16WasmMinMacs } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { type KernelBackend, kernelBackend, setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { expectClose, randomArray } from './helpers/gradcheck.ts';
import { loadOnnxCase, numAttr, onnxNodeDir } from './helpers/onnx-case.ts';

/**
 * The integer GEMM tests run on both backends; on wasm every product goes to WebAssembly, however
 * small. The backend in force before is restored after each (js-kernels.test.ts runs this file
 * with the JS kernels chosen for every other test).
 */
function onIntBackend(backend: 'js' | 'wasm'): void {
  let before: KernelBackend;
  beforeEach(() => { before = kernelBackend(); setKernelBackend(backend); setI16WasmMinMacs(backend === 'wasm' ? 0 : undefined); });
  afterEach(() => { setKernelBackend(before); setI16WasmMinMacs(undefined); });
}

describe('rounding and saturation', () => {
  it('rounds half to even', () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001, -2.6].map(roundHalfEven)).toEqual([-2, -2, -0, 0, 2, 2, 4, 2, 3, -3]);
  });

  it('int8 quantization saturates to [-128, 127] (or ±127 in narrow range) and rounds ties to even', () => {
    const x = fromArray([6], [-1000, -128.5, 2.5, 3.5, 126.5, 1000]);
    expect([...quantizeInt8(x, { scale: 1 }).values]).toEqual([-128, -128, 2, 4, 126, 127]);
    expect([...quantizeInt8(x, { scale: 1, narrowRange: true }).values]).toEqual([-127, -127, 2, 4, 126, 127]);
  });

  it('symmetric per-tensor and per-channel quantization round-trips within half a step', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer(), (c, n, seed) => {
      const x = fromArray([c, n], randomArray(c * n, seed, 3).map((v, i) => v * (1 + (i % c))));
      for (const axis of [undefined, 0]) {
        const q = quantizeInt8(x, { axis });
        expect(q.scale.length).toBe(axis === undefined ? 1 : c);
        const back = dequantizeInt8(q);
        for (let i = 0; i < x.data.length; i++) {
          const s = q.scale[axis === undefined ? 0 : Math.floor(i / n)]!;
          expect(Math.abs(back.data[i]! - x.data[i]!)).toBeLessThanOrEqual(s / 2 + 1e-6);
          expect(Math.abs(q.values[i]!)).toBeLessThanOrEqual(127);
        }
      }
      // The largest magnitude maps exactly to ±127.
      const q = quantizeInt8(x);
      expect(Math.max(...[...q.values].map(Math.abs))).toBe(127);
    }), { numRuns: 100 });
  });

  it('fake quantization passes gradients only inside the representable range', () => {
    const x = fromArray([4], [-3, -0.5, 0.5, 3]);
    const { y, q } = fakeQuantInt8(x, { scale: 0.01 });
    expect([...y.data].map((v) => Math.round(v * 100))).toEqual([-128, -50, 50, 127]);
    expect([...fakeQuantInt8Backward(x, fromArray([4], [1, 1, 1, 1]), q).data]).toEqual([0, 1, 1, 0]);
  });
});

describe.each(['js', 'wasm'] as const)('int8 × int8 → int32 GEMM (%s kernels)', (backend) => {
  onIntBackend(backend);

  it('equals the exact integer product, both weight layouts', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (m, n, k, seed) => {
      const a = Int8Array.from(randomArray(m * k, seed), (v) => Math.round(v * 127));
      const b = Int8Array.from(randomArray(k * n, seed + 1), (v) => Math.round(v * 128) | 0);
      const c = new Int32Array(m * n);
      gemmInt8(m, n, k, a, b, c);
      const bt = new Int8Array(n * k);
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bt[j * k + p] = b[p * n + j]!;
      const c2 = new Int32Array(m * n);
      gemmInt8(m, n, k, a, bt, c2, { transB: true });
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
        expect(c[i * n + j]).toBe(s);
        expect(c2[i * n + j]).toBe(s);
      }
    }), { numRuns: 100 });
  });

  it('saturates at the int32 limits instead of wrapping', () => {
    const k = 140000; // 140000 · 127 · 127 > 2^31
    const a = new Int8Array(k).fill(127), b = new Int8Array(k).fill(127), bn = new Int8Array(k).fill(-128);
    const c = new Int32Array(1);
    gemmInt8(1, 1, k, a, b, c);
    expect(c[0]).toBe(INT32_MAX);
    gemmInt8(1, 1, k, a, bn, c, { transB: true });
    expect(c[0]).toBe(INT32_MIN);
    const acc = Int32Array.of(INT32_MAX - 5);
    gemmInt8(1, 1, 1, Int8Array.of(100), Int8Array.of(100), acc, { accumulate: true });
    expect(acc[0]).toBe(INT32_MAX);
  });

  it('a quantized dense layer approximates the float one (requantize with s_x·s_w / s_y)', () => {
    const x = fromArray([4, 32], randomArray(128, 1));
    const w = fromArray([8, 32], randomArray(256, 2, 0.3));
    const ref = dense(x, w);
    const qx = quantizeInt8(x), qw = quantizeInt8(w, { axis: 0 });
    const acc = new Int32Array(4 * 8);
    gemmInt8(4, 8, 32, qx.values, qw.values, acc, { transB: true });
    let maxY = 0;
    for (const v of ref.data) maxY = Math.max(maxY, Math.abs(v));
    const sy = maxY / 127;
    const mult = Float32Array.from(qw.scale, (s) => (qx.scale[0]! * s) / sy);
    const qy = requantizeInt8(acc, 8, mult);
    for (let i = 0; i < ref.data.length; i++) expect(Math.abs(qy[i]! * sy - ref.data[i]!)).toBeLessThan(0.05 * maxY);
    expect(requantizeInt8(Int32Array.of(5, 7, 1000), 3, 0.5)).toEqual(Int8Array.of(2, 4, 127));
  });
});

describe.each(['js', 'wasm'] as const)('int16 dynamic fixed point (%s kernels)', (backend) => {
  onIntBackend(backend);

  it('chooses the smallest exponent that fits max|x| into int16', () => {
    expect(chooseExponent(32767)).toBe(0);
    expect(chooseExponent(32768)).toBe(1);
    // 1 · 2^15 = 32768 does not fit, so 1 needs exponent −14; 0.99 fits at −15.
    expect(chooseExponent(1)).toBe(-14);
    expect(chooseExponent(0.99)).toBe(-15);
    expect(chooseExponent(1.0001)).toBe(-14);
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (m) => {
      const e = chooseExponent(m);
      expect(m / 2 ** e).toBeLessThanOrEqual(32767);
      expect(m / 2 ** (e - 1)).toBeGreaterThan(32767);
    }));
  });

  it('the int32 accumulator saturates rather than wraps when full-range mantissas pile up', () => {
    const k = 4;
    const a = toDfp16(fromArray([1, k], Array(k).fill(0.99)));
    const b = toDfp16(fromArray([k, 1], Array(k).fill(-0.99)));
    expect(a.values[0]).toBe(Math.round(0.99 * 32768));
    // |Σ| = 4 · 32440² ≈ 4.2e9 > 2^31: clamp to INT32_MIN instead of wrapping to a positive number.
    expect(k * a.values[0]! * b.values[0]!).toBeLessThan(INT32_MIN);
    expect(gemmDfp16(1, 1, k, a, b).values[0]).toBe(INT32_MIN);
  });

  it('round-trips within half an ulp 2^e and saturates under a forced exponent', () => {
    const x = fromArray([5], [-3.3, 0.001, 1.5, 2.75, -0.4]);
    const q = toDfp16(x);
    const back = fromDfp16(q);
    for (let i = 0; i < 5; i++) expect(Math.abs(back.data[i]! - x.data[i]!)).toBeLessThanOrEqual(2 ** q.exponent / 2);
    expect([...toDfp16(fromArray([3], [1e9, -1e9, 1.5]), 0).values]).toEqual([32767, -32768, 2]);
    // An exponent whose power of two is not an exact double would turn ±∞ into 0 silently.
    for (const e of [1024, -1024, 0.5]) expect(() => toDfp16(fromArray([1], [Infinity]), e)).toThrow(/internal: toDfp16's exponent/);
    expect([...toDfp16(fromArray([2], [Infinity, -Infinity]), 1023).values]).toEqual([32767, -32768]);
  });

  it('int16 × int16 GEMM accumulates exactly in int32 with exponent e_a + e_b, then narrows back', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), fc.integer(), (m, n, k, seed) => {
      // Five bits of headroom per operand keep k ≤ 30 products of ≤ 2^20 far from int32 overflow.
      const xa = fromArray([m, k], randomArray(m * k, seed, 2));
      const xb = fromArray([k, n], randomArray(k * n, seed + 1, 0.5));
      const a = toDfp16(xa, chooseExponent(2) + 5);
      const b = toDfp16(xb, chooseExponent(0.5) + 5);
      const acc = gemmDfp16(m, n, k, a, b);
      expect(acc.exponent).toBe(a.exponent + b.exponent);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.values[i * k + p]! * b.values[p * n + j]!;
        expect(acc.values[i * n + j]).toBe(Math.max(INT32_MIN, Math.min(INT32_MAX, s)));
      }
      const y = requantizeDfp16(acc, [m, n]);
      const yf = fromDfp16(y);
      const fa = fromDfp16(a), fb = fromDfp16(b);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += fa.data[i * k + p]! * fb.data[p * n + j]!;
        expect(Math.abs(yf.data[i * n + j]! - s)).toBeLessThanOrEqual(2 ** y.exponent / 2 + 1e-9);
      }
      expect(y.values.every((v) => v >= -32768 && v <= 32767)).toBe(true);
    }), { numRuns: 60 });
  });
});

describe('binary XNOR-popcount GEMM', () => {
  it('popcount32 counts bits', () => {
    expect([0, 1, 0xffffffff, 0x80000000, 0x55555555, 0x12345678].map(popcount32)).toEqual([0, 1, 32, 1, 16, 13]);
  });

  it('equals the ±1 dot product for any k, including partial words', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 1100 }), fc.integer(), (m, n, k, seed) => {
      const a = randomArray(m * k, seed), b = randomArray(n * k, seed + 1);
      const pa = packSignBits(a, m, k), pb = packSignBits(b, n, k);
      const sa = unpackSignBits(pa), sb = unpackSignBits(pb);
      for (let i = 0; i < m * k; i++) expect(sa[i]).toBe(a[i]! >= 0 ? 1 : -1);
      const out = xnorGemm(pa, pb);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += sa[i * k + p]! * sb[j * k + p]!;
        expect(out[i * n + j]).toBe(s);
      }
    }), { numRuns: 120 });
  });
});

describe('ternary weights (TWN)', () => {
  it('thresholds at 0.7·mean|w| and scales by the mean kept magnitude', () => {
    const w = fromArray([2, 4], [1, -0.1, 0.5, -2, 0.05, 0.04, -0.06, 0.3]);
    const t = ternarize(w);
    const delta = 0.7 * (4.05 / 8);
    expect([...t.values]).toEqual([1, 0, 1, -1, 0, 0, 0, 0].map((v, i) => (Math.abs(w.data[i]!) > delta ? v : 0)));
    expect(t.scale[0]).toBeCloseTo((1 + 0.5 + 2) / 3, 6);
    const pc = ternarize(w, { axis: 0 });
    expect(pc.scale.length).toBe(2);
    // Row 2: Δ = 0.7 · 0.1125 = 0.07875, so only 0.3 survives.
    expect([...pc.values.subarray(4)]).toEqual([0, 0, 0, 1]);
    expect(pc.scale[1]).toBeCloseTo(0.3, 6);
  });

  it('ternary matmul (adds only) equals dense with the dequantized weights', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.boolean(), fc.integer(), (m, o, i, perChannel, seed) => {
      const w = fromArray([o, i], randomArray(o * i, seed));
      const x = fromArray([m, i], randomArray(m * i, seed + 1));
      const t = ternarize(w, perChannel ? { axis: 0 } : {});
      expectClose(ternaryMatmul(x, t).data, dense(x, dequantizeTernary(t)).data, 1e-5, 1e-5);
    }), { numRuns: 80 });
  });
});

describe('ONNX QuantizeLinear / DequantizeLinear node tests (onnx v1.22.0)', () => {
  const ranges: Record<number, [number, number]> = { 2: [0, 255], 3: [-128, 127], 4: [0, 65535], 5: [-32768, 32767] };
  const names = readdirSync(onnxNodeDir).filter((d) =>
    /^test_(quantizelinear|dequantizelinear)(_axis|_int16|_uint16)?$/.test(d));
  it('found the cases', () => expect(names.length).toBeGreaterThanOrEqual(6));
  for (const name of names) {
    it(name, () => {
      const kase = loadOnnxCase(name);
      const node = kase.nodes[0]!;
      const [x, s, zp] = kase.inputs;
      const axis = s!.values.length > 1 ? numAttr(node, 'axis') ?? 1 : undefined;
      const p = { scale: Float32Array.from(s!.values), zeroPoint: zp ? Int32Array.from(zp.values) : undefined, axis };
      const want = kase.outputs[0]!;
      if (node.opType === 'QuantizeLinear') {
        const [lo, hi] = ranges[zp?.dataType ?? 2]!;
        expect([...quantizeLinear(fromArray(x!.dims, x!.values), p, lo, hi)]).toEqual(want.values);
      } else {
        expectClose(dequantizeLinear(x!.values, x!.dims, p).data, want.values, 1e-6, 1e-6, name);
      }
    });
  }
});

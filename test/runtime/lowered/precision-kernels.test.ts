/**
 * The integer paths of the precision lowering, bit-exact against naive references written here as
 * straightforward loops (BigInt for the 64-bit steps of gemmlowp's fixed-point multiply), and the
 * rule that one sample's output never depends on its batch-mates.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32, type Tensor } from '../../../runtime/tensor.ts';
import { multiplyByFixed, quantizeMultiplier, srdhm, roundingDivideByPOT } from '../../../runtime/lowered/precision/fixed-multiplier.ts';
import { lowerInt8 } from '../../../runtime/lowered/precision/int8-layer.ts';
import { lowerDfp16 } from '../../../runtime/lowered/precision/dfp16-layer.ts';
import { applyThresholds, binaryThresholds, lowerBinary } from '../../../runtime/lowered/precision/binary-layer.ts';
import { lowerTernary, ternaryCode } from '../../../runtime/lowered/precision/ternary-layer.ts';
import { newCounts } from '../../../runtime/lowered/precision/types.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { setI16WasmMinMacs } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { integerExecution } from '../../../runtime/lowered/precision/execute.ts';
import { dequantizeTernary, ternarize } from '../../../runtime/kernels/ternary.ts';
import { dense } from '../../../runtime/kernels/dense.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import { loadData } from '../../../runtime/data/index.ts';
import { prepare } from '../../../runtime/train/setup.ts';
import { examplesDir } from '../../helpers/paths.ts';

const rng = mulberry32(7);
const rand = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
const t = (shape: number[], data: Float32Array): Tensor => ({ shape, data });

// gemmlowp fixedpoint.h, transcribed with 64-bit integers.
function srdhmRef(a: number, b: number): number {
  if (a === -2147483648 && b === -2147483648) return 2147483647;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates, as C++'s does
}
function rdbpotRef(x: number, e: number): number {
  const mask = (1 << e) - 1 >>> 0, rem = (x & mask) >>> 0, thr = (mask >>> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > thr ? 1 : 0);
}
const evenRound = (v: number) => { const r = Math.round(v); return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r; };
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

describe('fixed-point requantization (gemmlowp)', () => {
  it('the doubling high multiply and the rounding shift match 64-bit references', () => {
    const edge = [0, 1, -1, 2147483647, -2147483648, 1073741824, -1073741824, 123456789, -987654321];
    const vals = [...edge, ...Array.from({ length: 400 }, () => Math.floor((rng() * 2 - 1) * 2 ** 31))];
    for (const a of vals) for (const b of edge.concat(vals.slice(0, 20))) expect(srdhm(a, b)).toBe(srdhmRef(a, b));
    for (const x of vals) for (const e of [1, 3, 8, 17, 30]) expect(roundingDivideByPOT(x, e)).toBe(rdbpotRef(x, e));
  });

  it('a quantized multiplier approximates the real one within 2^-31 relative', () => {
    for (const real of [0.5, 0.001234, 0.75, 3.5e-5, 1.9, 7.25]) {
      const f = quantizeMultiplier(real);
      expect(Math.abs(f.m0 * 2 ** (f.left - f.right - 31) / real - 1)).toBeLessThan(2 ** -30);
      const acc = 123456;
      expect(Math.abs(multiplyByFixed(acc, f) - acc * real)).toBeLessThanOrEqual(1);
    }
  });
});

describe('integer layers against naive loops', () => {
  it('int8: per-channel weights, int32 bias and accumulation, fixed-point requantization', () => {
    const n = 5, k = 37, m = 6, sx = 0.02, sy = 0.05;
    const w = t([n, k], rand(n * k)), b = t([n], rand(n));
    const A = rand(m * k, -2, 2);
    const y = lowerInt8({ weight: w, bias: b, perChannel: true, actScale: sx, outScale: sy }).gemm(m, A, newCounts());
    for (let c = 0; c < n; c++) {
      let mx = 0;
      for (let p = 0; p < k; p++) mx = Math.max(mx, Math.abs(w.data[c * k + p]!));
      const sw = Math.fround(mx / 127);
      const qw = Array.from({ length: k }, (_, p) => clamp(evenRound(w.data[c * k + p]! / sw), -127, 127));
      const f = quantizeMultiplier((sx * sw) / sy);
      for (let i = 0; i < m; i++) {
        let acc = evenRound(b.data[c]! / (sx * sw));
        for (let p = 0; p < k; p++) acc += clamp(evenRound(A[i * k + p]! / sx), -128, 127) * qw[p]!;
        const q = rdbpotRef(srdhmRef(acc * 2 ** f.left, f.m0), f.right);
        expect(y[i * n + c]).toBe(Math.fround(clamp(q, -128, 127) * sy));
      }
    }
  });

  it('int16 dynamic fixed point: saturating accumulators counted, rescaled rows recomputed', () => {
    const n = 3, k = 64, m = 2;
    const w = t([n, k], Float32Array.from({ length: n * k }, () => 1));
    const A = Float32Array.from({ length: m * k }, (_, i) => (i < k ? 1 : 0.001));
    // Row 0 sums 64 products of 32767·32767-ish mantissas: far past int32. Row 1 is small.
    const sat = lowerDfp16({ weight: w, perChannel: false, actScale: 2 ** -15, overflow: 'saturate' });
    const cs = newCounts();
    const ys = sat.gemm(m, A, cs);
    // Naively: row 0's inputs (1 at 2^-15 is 32768) clamp to 32767, weights 1 at 2^-14 are 16384,
    // and every addition past 2^31 − 1 clamps.
    let clamps = k, s = 0;
    for (let p = 0; p < k; p++) { s += 32767 * 16384; if (s > 2147483647) { s = 2147483647; clamps++; } }
    expect(cs.saturations).toBe(k + n * (clamps - k));
    expect(ys[0]).toBeCloseTo(2147483647 * 2 ** (-15 - 14), 6);
    const res = lowerDfp16({ weight: w, perChannel: false, actScale: 2 ** -15 });
    const cr = newCounts();
    const yr = res.gemm(m, A, cr);
    expect(cr.rescales).toBeGreaterThan(0);
    for (let c = 0; c < n; c++) { expect(yr[c]).toBeCloseTo(64, 2); expect(yr[n + c]).toBeCloseTo(0.064, 3); }
    expect(yr[n]).toBe(ys[n]); // the small row never overflowed: its result is untouched by row 0's rescale
  });

  it('int8 and int16 layers give the same outputs and counts on the WebAssembly and JS kernels (GEMM and requantization), saturating rows included', () => {
    const n = 24, k = 150, m = 9;
    const w = t([n, k], rand(n * k)), b = t([n], rand(n, -40, 40));
    // Rows 0 and 1 are loud: at 2^-15 their mantissas are near int16's ends and their sums pass int32.
    const A = Float32Array.from(rand(m * k), (v, i) => (i < 2 * k ? v * 0.999 : v * 0.01));
    const layers = () => [
      lowerInt8({ weight: w, bias: b, perChannel: true, actScale: 0.01, outScale: 0.05 }),
      // A multiplier above 1 (a left shift) and int8 saturation on requantization.
      lowerInt8({ weight: w, bias: b, perChannel: false, actScale: 0.01, outScale: 1e-6 }),
      lowerDfp16({ weight: w, bias: b, perChannel: false, actScale: 2 ** -15, overflow: 'saturate' }),
      lowerDfp16({ weight: w, bias: b, perChannel: true, actScale: 2 ** -15 }),
    ];
    const run = (backend: 'js' | 'wasm') => {
      setKernelBackend(backend);
      try { return layers().map((l) => { const c = newCounts(); return { y: Array.from(l.gemm(m, A, c)), c }; }); } finally { setKernelBackend(undefined); }
    };
    const js = run('js'), wasm = run('wasm');
    expect(wasm).toEqual(js);
    expect(js[1]!.c.saturations).toBeGreaterThan(0);
    expect(js[2]!.c.saturations).toBeGreaterThan(0);
    expect(js[3]!.c.rescales).toBeGreaterThan(0);
  });

  it('an int16 layer kept across calls (its codes and accumulators reused) gives every batch what a fresh layer gives, on both backends', () => {
    const n = 12, k = 80;
    const w = t([n, k], rand(n * k)), b = t([n], rand(n, -1e-3, 1e-3));
    // Every third row loud (rescaled in place, or saturated), the rest quiet; the second batch is smaller.
    const batch = (m: number, loud: number) => Float32Array.from(rand(m * k), (v, i) => v * (Math.floor(i / k) % 3 === 0 ? loud : 0.002));
    const batches: [number, Float32Array][] = [[9, batch(9, 0.999)], [4, batch(4, 0.5)], [9, batch(9, 0.999)], [1, batch(1, 0.002)]];
    for (const backend of ['js', 'wasm'] as const) {
      for (const outScale of [undefined, 2 ** -4]) {
        setKernelBackend(backend);
        setI16WasmMinMacs(backend === 'wasm' ? 0 : undefined);
        try {
          const spec = { weight: w, bias: b, perChannel: false, actScale: 2 ** -15, outScale };
          const kept = lowerDfp16(spec);
          let rescales = 0;
          for (const [m, A] of batches) {
            const c = newCounts(), fresh = newCounts();
            expect(Array.from(kept.gemm(m, A, c)), `${backend} m=${m}`).toEqual(Array.from(lowerDfp16(spec).gemm(m, A, fresh)));
            expect(c).toEqual(fresh);
            rescales += c.rescales;
          }
          expect(rescales).toBeGreaterThan(0);
        } finally {
          setKernelBackend(undefined);
          setI16WasmMinMacs(undefined);
        }
      }
    }
  });

  it('binary: XNOR-popcount sums and folded thresholds equal ±1 dot products and batchnorm → sign', () => {
    const n = 9, k = 70, m = 5;
    const w = t([n, k], rand(n * k));
    const A = Float32Array.from(rand(m * k), (v) => (v >= 0 ? 1 : -1));
    const layer = lowerBinary(w, undefined, true);
    const acc = layer.accumulate(m, A, newCounts()).values;
    const gamma = t([n], rand(n)), beta = t([n], rand(n)), mean = t([n], rand(n, -5, 5)), variance = t([n], rand(n, 0.5, 4));
    const out = applyThresholds(acc, binaryThresholds({ gamma, beta, mean, variance, eps: 1e-5 }, undefined));
    for (let i = 0; i < m; i++) {
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p]! * (w.data[c * k + p]! >= 0 ? 1 : -1);
        expect(acc[i * n + c]).toBe(s);
        const bn = (gamma.data[c]! * (s - mean.data[c]!)) / Math.sqrt(variance.data[c]! + 1e-5) + beta.data[c]!;
        expect(out[i * n + c]).toBe(bn >= 0 ? 1 : -1);
      }
    }
    expect(layer.weightBytes).toBe(n * Math.ceil(k / 32) * 4);
  });

  it('ternary: 2-bit codes hold the TWN values; the GEMM is the interpreter\'s fp32 product on α·t, near α·(Σ₊ − Σ₋) + bias', () => {
    const n = 4, k = 45, m = 3;
    const w = t([n, k], rand(n * k)), b = t([n], rand(n));
    const A = rand(m * k);
    const layer = lowerTernary(w, b, true);
    const ref = ternarize(w, { axis: 0 });
    for (let c = 0; c < n; c++) for (let p = 0; p < k; p++) expect(ternaryCode(layer.codes, c, p)).toBe(ref.values[c * k + p]);
    const y = layer.gemm(m, A, newCounts());
    // The same product the emulated network computes, bit for bit …
    expect(Array.from(y)).toEqual(Array.from(dense(t([m, k], A), dequantizeTernary(ref), b).data));
    // … and within fp32 summation's bound of the exact adds and subtracts.
    for (let i = 0; i < m; i++) for (let c = 0; c < n; c++) {
      let s = 0, mag = 0;
      for (let p = 0; p < k; p++) { s += A[i * k + p]! * ref.values[c * k + p]!; mag += Math.abs(A[i * k + p]!); }
      expect(Math.abs(y[i * n + c]! - (s * ref.scale[c]! + b.data[c]!))).toBeLessThanOrEqual((k + 2) * 2 ** -23 * (mag * ref.scale[c]! + Math.abs(b.data[c]!)));
    }
  });

  it('binary on a real input: the interpreter\'s fp32 product with the ±1 weights', () => {
    const n = 6, k = 300, m = 7;
    const w = t([n, k], rand(n * k)), b = t([n], rand(n));
    const A = rand(m * k, 0, 1);
    const layer = lowerBinary(w, b, false);
    expect(layer.xnor).toBe(false);
    const signs = t([n, k], Float32Array.from(w.data, (v) => (v >= 0 ? 1 : -1)));
    expect(Array.from(layer.gemm(m, A, newCounts()))).toEqual(Array.from(dense(t([m, k], A), signs, b).data));
  });
});

describe('static scales', () => {
  it("a sample's integer output does not depend on its batch-mates", () => {
    const { module } = prepare(path.join(examplesDir, 'lenet5_i8.kiln'));
    const weights = initParams(module, 3);
    const data = loadData('mnist', { train: 300, test: 40 });
    const exec = integerExecution(module, weights, new Map(), () => data.train);
    const per = 784;
    const batch = (idx: number[]) => ({ x: { shape: [idx.length, 1, 28, 28], data: Float32Array.from(idx.flatMap((i) => Array.from(data.test.x.subarray(i * per, (i + 1) * per)))) } });
    const a = exec.run(batch([0, 1, 2, 3]));
    const b = exec.run(batch([0, 30, 31, 32, 33, 34]));
    // A batch-mate with a much larger range would change a per-batch scale; a static one ignores it.
    const loud = batch([0, 5]);
    loud.x.data.fill(40, per);
    const c = exec.run(loud);
    expect(Array.from(b.data.subarray(0, 10))).toEqual(Array.from(a.data.subarray(0, 10)));
    expect(Array.from(c.data.subarray(0, 10))).toEqual(Array.from(a.data.subarray(0, 10)));
  });
});

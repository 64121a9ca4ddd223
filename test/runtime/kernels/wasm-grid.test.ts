/**
 * grid.wat against gridIntegers (kernels/grid-gemm.ts), the JS reference: the same values accepted
 * with the same integers, the same batches refused, on values on a grid, exactly half-way between
 * its points (float32 ties, where JS rounds half up and WebAssembly to even), one float32 step off it, at and past
 * its top, negative, ±0, ±∞ and NaN; and gridGemmOf, which runs it, against the JS path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { gridGemmOf, gridIntegers } from '../../../runtime/kernels/grid-gemm.ts';
import { wasmGridIntegersAt } from '../../../runtime/kernels/wasm/grid.ts';
import { copyIn, f32At, scratchAlloc, setKernelBackend, withScratch } from '../../../runtime/kernels/wasm/instance.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { ResidentBand } from '../../../runtime/kernels/wasm/threshold.ts';
import { applyThresholds, compareBand } from '../../../runtime/lowered/precision/binary-layer.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';

afterEach(() => setKernelBackend(undefined));

function wasmIntegers(x: Float32Array, d: number, bits: number): Float32Array | undefined {
  return withScratch(() => {
    const xAt = copyIn(x), qAt = scratchAlloc(4 * x.length);
    return wasmGridIntegersAt(x.length, xAt, d, 2 ** bits, qAt) ? f32At(qAt, x.length).slice() : undefined;
  });
}

const next = (v: number, dir: 1 | -1): number => {
  const b = new Float32Array([v]), i = new Int32Array(b.buffer);
  i[0]! += v >= 0 ? dir : -dir;
  return b[0]!;
};

/**
 * Float32 values v with v·d = q + ½ exactly, q < limit: the ties where JS rounds up and
 * WebAssembly to even. With d = o·2^e (o odd), v = (2q + 1)/(2d) is a float32 only when o divides
 * 2q + 1 = o·j, so v = j/2^(e+1) for odd j with v·d < limit; up to 32 of them, at random.
 */
function exactTies(d: number, limit: number, r: () => number): number[] {
  let e = 0;
  while (d % 2 ** (e + 1) === 0) e++;
  const all: number[] = [];
  for (let j = 1; (j * d) / 2 ** (e + 1) < limit; j += 2) all.push(j / 2 ** (e + 1));
  return Array.from({ length: Math.min(32, all.length) }, () => all[Math.floor(r() * all.length)]!);
}

/** m rows of k values on the grid q/1000, q < 2^10 (about a third zeros), and ±1 weights [n, k]. */
function gridCase(m: number, n: number, k: number, r: () => number) {
  const x = Float32Array.from({ length: m * k }, () => (r() < 0.3 ? 0 : Math.floor(r() * 1024) / 1000));
  const signs = { shape: [n, k], data: Float32Array.from({ length: n * k }, () => (r() < 0.5 ? -1 : 1)) };
  return { x, signs, lv: { denominator: 1000, bits: 10 } };
}

describe('grid.wat', () => {
  it.each([[1, 4], [255, 8], [1000, 10], [10000, 14], [256, 16]])('denominator %i, %i bits: accepts and refuses as gridIntegers, with the same integers', (d, bits) => {
    const limit = 2 ** bits, r = mulberry32(d + bits);
    const on = Array.from({ length: 64 }, () => Math.fround(Math.floor(r() * limit) / d));
    const ties = exactTies(d, limit, r);
    expect(ties.length).toBeGreaterThan(0);
    for (const v of ties) {
      expect(Math.fround(v), `${v} is a float32`).toBe(v);
      expect((v * d) % 1, `${v}·${d} is a tie`).toBe(0.5);
      expect(v * d, `${v}·${d} is below the grid's top`).toBeLessThan(limit);
    }
    const candidates = [
      ...on, 0, -0, Math.fround((limit - 1) / d), Math.fround(limit / d), Math.fround((limit + 5) / d),
      ...on.map((v) => next(v, 1)), ...on.map((v) => next(v, -1)),
      ...ties,
      ...on.map((v) => -v).filter((v) => v !== 0), Infinity, -Infinity, NaN, 1e30, -1e-30, 1e-30,
    ];
    let accepted = 0, refused = 0;
    for (const v of candidates) {
      // Alone, and after a run of values on the grid (the refusal must come from the odd one).
      for (const x of [Float32Array.of(v), Float32Array.from([...on.slice(0, 9), v])]) {
        const js = gridIntegers(x, x.length, { denominator: d, bits });
        const wasm = wasmIntegers(x, d, bits);
        expect(wasm === undefined, `v = ${v}`).toBe(js === undefined);
        if (js && wasm) expect(Array.from(wasm), `v = ${v}`).toEqual(Array.from(js));
        if (js) accepted++; else refused++;
      }
    }
    expect(accepted).toBeGreaterThan(64);
    expect(refused).toBeGreaterThan(64);
  });

  it('gridGemmOf: the same exact sums on both backends, the integers made in WebAssembly; undefined off the grid on both', () => {
    const m = 10, n = 40, k = 130, { x, signs, lv } = gridCase(m, n, k, mulberry32(5));
    setKernelBackend('js');
    const js = gridGemmOf(x, m, k, () => signs, lv)!;
    setKernelBackend('wasm');
    const calls = wasmCalls('grid');
    expect(Array.from(gridGemmOf(x, m, k, () => signs, lv)!)).toEqual(Array.from(js));
    expect(wasmCalls('grid')).toBe(calls + 1);
    const off = x.map((v, i) => (i === 77 ? v + 1e-4 : v));
    expect(gridGemmOf(off, m, k, () => signs, lv)).toBeUndefined();
    setKernelBackend('js');
    expect(gridGemmOf(off, m, k, () => signs, lv)).toBeUndefined();
  });

  it('gridGemmOf with a compare: the band\'s 1 / low over the sums it left in the kernels\' memory, as applyThresholds on the js sums; refused on the js kernels', () => {
    const m = 30, n = 72, k = 130, r = mulberry32(6), { x, signs, lv } = gridCase(m, n, k, r);
    setKernelBackend('js');
    const sums = gridGemmOf(x, m, k, () => signs, lv)!;
    // Each channel's bound on one of its own sums (a tie), half the compares flipped.
    const tau = Float64Array.from({ length: n }, (_, j) => sums[Math.floor(r() * m) * n + j]!);
    const dir = Int8Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1));
    const th = { tau, t: tau, dir, band: compareBand(tau, dir) };
    expect(() => gridGemmOf(x, m, k, () => signs, lv, { band: undefined as never, low: -1 })).toThrow(/needs the WebAssembly kernels/);
    setKernelBackend('wasm');
    const band = new ResidentBand(th.band);
    for (const low of [-1, 0] as const) {
      const calls = wasmCalls('threshold');
      expect(Array.from(gridGemmOf(x, m, k, () => signs, lv, { band, low })!)).toEqual(Array.from(applyThresholds(sums, th, low)));
      expect(wasmCalls('threshold')).toBe(calls + 1);
    }
    expect(gridGemmOf(x.map((v, i) => (i === 7 ? v + 1e-4 : v)), m, k, () => signs, lv, { band, low: -1 })).toBeUndefined();
    band.free();
  });
});

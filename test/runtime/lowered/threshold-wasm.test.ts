/**
 * A binary layer's folded batch norm → sign in WebAssembly (threshold.wat, and its use after the
 * XNOR kernel and the first layer's products) against applyThresholds, the JS reference that
 * KILN_KERNELS=js keeps: bit for bit, on shapes off the kernels' 4-lane and 2×2 tiles, negative γ
 * (the flipped compare), γ = 0, thresholds exactly at sums (ties), `low` −1 and 0, bounds past
 * int32 or NaN, and the first layer's two grid paths (bit-planes, integer fp32 GEMM).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32, type Tensor } from '../../../runtime/tensor.ts';
import { applyThresholds, binaryThresholds, compareBand, lowerBinary, type Thresholds } from '../../../runtime/lowered/precision/binary-layer.ts';
import { newCounts } from '../../../runtime/lowered/precision/types.ts';
import { copyInInts, residentBytes, setKernelBackend, wasmMemoryBytes, withScratch } from '../../../runtime/kernels/wasm/instance.ts';
import { wasmCalls } from '../../../runtime/kernels/wasm/calls.ts';
import { compareOut, ResidentBand, wasmThreshold } from '../../../runtime/kernels/wasm/threshold.ts';
import type { InputLevels } from '../../../runtime/kernels/bitplane.ts';

afterEach(() => setKernelBackend(undefined));

const t = (shape: number[], data: Float32Array): Tensor => ({ shape, data });

/**
 * A fold of random batch-norm statistics over n channels (γ negative on about half, 0 on one),
 * with every third channel's threshold then moved onto a sum of `sums` (a tie).
 */
function foldOn(sums: ArrayLike<number>, n: number, seed: number, unit = 1, bias?: Tensor): Thresholds {
  const r = mulberry32(seed), rows = sums.length / n;
  const gamma = new Float32Array(n), beta = new Float32Array(n), mean = new Float32Array(n), variance = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    gamma[c] = c === 1 ? 0 : (r() < 0.5 ? -1 : 1) * (0.25 + r());
    beta[c] = r() * 2 - 1;
    mean[c] = sums[Math.floor(r() * rows) * n + c]! / unit + r() * 6 - 3;
    variance[c] = 0.5 + r() * 3;
  }
  const th = binaryThresholds({ gamma: t([n], gamma), beta: t([n], beta), mean: t([n], mean), variance: t([n], variance), eps: 1e-5 }, bias, unit);
  for (let c = 0; c < n; c += 3) if (th.dir[c] !== 0) th.tau[c] = th.t[c] = sums[Math.floor(r() * rows) * n + c]!;
  return { ...th, band: compareBand(th.tau, th.dir) };
}

/** The layer's compare under one backend, and the wasm threshold kernel's calls it made. */
function compareOn(backend: 'wasm' | 'js', run: () => Float32Array): { y: Float32Array; calls: number } {
  setKernelBackend(backend);
  const before = wasmCalls('threshold');
  const y = run();
  return { y, calls: wasmCalls('threshold') - before };
}

/** The first index where two outputs differ (bits, length included), −1 when none: deep equality on 100,000 floats is slow. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Int32Array(a.buffer, a.byteOffset, a.length), y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

const ties = (sums: ArrayLike<number>, th: Thresholds, n: number): number => {
  let c = 0;
  for (let i = 0; i < sums.length; i++) if (th.dir[i % n] !== 0 && sums[i] === th.tau[i % n]) c++;
  return c;
};

describe('compareBand', () => {
  it('holds for exactly the whole sums the JS compares hold for, bounds past int32, ±∞ and NaN included', () => {
    const tau = Float64Array.from([5, 5, -3, 1, -1, 2 ** 40, -(2 ** 40), Infinity, -Infinity, NaN, NaN, 2 ** 31, -(2 ** 31) - 1]);
    const dir = Int8Array.from([1, -1, 1, 0, 0, 1, -1, -1, 1, 1, -1, 1, -1]);
    const th: Thresholds = { tau, t: tau, dir, band: compareBand(tau, dir) };
    const probes = [-(2 ** 31), -(2 ** 31) + 1, -4, -3, -2, 0, 4, 5, 6, 2 ** 31 - 2, 2 ** 31 - 1];
    for (const low of [-1, 0] as const) {
      const sums = new Int32Array(probes.length * tau.length);
      probes.forEach((v, i) => sums.fill(v, i * tau.length, (i + 1) * tau.length));
      const js = applyThresholds(sums, th, low);
      for (let i = 0; i < sums.length; i++) {
        const ch = i % tau.length, inBand = th.band.lo[ch]! <= sums[i]! && sums[i]! <= th.band.hi[ch]!;
        expect(inBand ? 1 : low, `channel ${ch}, sum ${sums[i]}`).toBe(js[i]);
      }
    }
  });
});

describe('threshold.wat on sums in JS arrays', () => {
  it.each([[1, 1023 + 2], [3, 1030], [7, 515], [100, 1024]])('%i rows × %i channels, int32 and whole float32 sums, low −1 and 0: the JS reference bit for bit', (m, n) => {
    const r = mulberry32(m * 1000 + n);
    const sums = Int32Array.from({ length: m * n }, () => Math.floor(r() * 401) - 200);
    const th = foldOn(sums, n, n);
    expect(ties(sums, th, n)).toBeGreaterThan(0);
    const band = new ResidentBand(th.band);
    for (const low of [-1, 0] as const) {
      const want = applyThresholds(sums, th, low);
      expect(firstDiff(wasmThreshold(sums, m, n, band, low), want)).toBe(-1);
      expect(firstDiff(wasmThreshold(Float32Array.from(sums), m, n, band, low), want)).toBe(-1);
    }
    // The kernel reads n bounds a side: a band for fewer channels is refused, not read past.
    expect(() => wasmThreshold(sums, m, n + 1, band, -1)).toThrow(/band holds \d+ channels, the sums \d+/);
    band.free();
  });
});

describe('a lowered binary layer\'s compare', () => {
  it.each([[8, 45, 100], [9, 1025, 64], [13, 130, 200], [100, 1024, 1024]])('XNOR on ±1 inputs, %i rows × %i outputs × k %i: WebAssembly in the kernel\'s memory equals applyThresholds on the JS sums', (m, n, k) => {
    const r = mulberry32(m + n + k);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const bias = t([n], Float32Array.from({ length: n }, () => Math.round(r() * 8 - 4)));
    const A = Float32Array.from({ length: m * k }, () => (r() < 0.5 ? -1 : 1));
    const layer = lowerBinary(w, bias, true);
    setKernelBackend('js');
    const sums = Int32Array.from(layer.accumulate(m, A, newCounts()).values);
    const th = foldOn(sums, n, k, 1, bias);
    expect(ties(sums, th, n)).toBeGreaterThan(0);
    for (const low of [-1, 0] as const) {
      const js = compareOn('js', () => layer.compare(m, A, newCounts(), th, low));
      expect(firstDiff(js.y, applyThresholds(sums, th, low))).toBe(-1);
      expect(js.calls).toBe(0);
      const counts = newCounts();
      const wasm = compareOn('wasm', () => layer.compare(m, A, counts, th, low));
      expect(firstDiff(wasm.y, js.y)).toBe(-1);
      expect(wasm.calls).toBe(1);
      expect(counts.macs).toBe(m * n * k);
    }
    layer.dispose!();
  });

  it.each([
    ['bit-planes', { denominator: 255, bits: 3 }],
    ['integer fp32 GEMM', { denominator: 1000, bits: 10 }],
  ] as const)('the first layer on grid inputs (%s): thresholds in units of 1/denominator, bit for bit; a batch off the grid keeps the unrounded compare', (path, levels: InputLevels) => {
    const m = 11, n = 301, k = 200, r = mulberry32(levels.bits);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const A = Float32Array.from({ length: m * k }, () => (r() < 0.4 ? 0 : Math.floor(r() * 2 ** levels.bits)) / levels.denominator);
    const layer = lowerBinary(w, undefined, false, levels);
    expect(layer.path).toBe(path);
    setKernelBackend('js');
    const sums = Array.from(layer.accumulate(m, A, newCounts()).values);
    const th = foldOn(sums, n, 5, levels.denominator);
    expect(ties(sums, th, n)).toBeGreaterThan(0);
    for (const low of [-1, 0] as const) {
      const js = compareOn('js', () => layer.compare(m, A, newCounts(), th, low));
      expect(js.y).toEqual(applyThresholds(sums, th, low));
      const wasm = compareOn('wasm', () => layer.compare(m, A, newCounts(), th, low));
      expect(wasm.y).toEqual(js.y);
      expect(wasm.calls).toBe(1);
    }
    // Off the grid the sums are the fp32 GEMM's (whose rounding may differ between backends), and
    // the compare is the JS one with the unrounded t.
    const off = A.map((v, i) => (i === 3 ? v + 1e-4 : v));
    setKernelBackend('wasm');
    const real = layer.accumulate(m, off, newCounts());
    expect(real.whole).toBe(false);
    const offWasm = compareOn('wasm', () => layer.compare(m, off, newCounts(), th, -1));
    expect(firstDiff(offWasm.y, applyThresholds(real.values, th, -1, false))).toBe(-1);
    expect(offWasm.calls).toBe(0);
  });

  it('reuses its sums from call to call, yet every call\'s compare is its own batch\'s', () => {
    const m = 16, n = 64, k = 96, r = mulberry32(3);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const layer = lowerBinary(w, undefined, true);
    const batch = () => Float32Array.from({ length: m * k }, () => (r() < 0.5 ? -1 : 1));
    const A1 = batch(), A2 = batch();
    setKernelBackend('js');
    const th = foldOn(layer.accumulate(m, A1, newCounts()).values, n, 1);
    const first = layer.compare(m, A1, newCounts(), th, -1), second = layer.compare(m, A2, newCounts(), th, -1);
    expect(first).toEqual(applyThresholds(Int32Array.from(layer.accumulate(m, A1, newCounts()).values), th));
    expect(second).toEqual(applyThresholds(Int32Array.from(layer.accumulate(m, A2, newCounts()).values), th));
    expect(first).not.toEqual(second);
  });
});

describe('a lowered binary layer\'s compare on WebAssembly, batch after batch', () => {
  it('the first layer (integer fp32 GEMM): a batch that grows the kernels\' memory, then a small one and one off the grid, each the js backend\'s outputs', () => {
    const n = 64, k = 784, levels = { denominator: 1000, bits: 10 }, r = mulberry32(21);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const batch = (m: number) => Float32Array.from({ length: m * k }, () => (r() < 0.3 ? 0 : Math.floor(r() * 1024) / 1000));
    // Its pixels and their integers alone (8 bytes a value) outgrow the memory as it stands.
    const big = Math.ceil(wasmMemoryBytes() / (8 * k)) + 1;
    const batches = [batch(big), batch(16), batch(16).map((v, i) => (i === 5 ? v + 1e-4 : v))];
    setKernelBackend('js');
    const th = foldOn(lowerBinary(w, undefined, false, levels).accumulate(16, batches[1]!, newCounts()).values, n, 2, levels.denominator);
    setKernelBackend('wasm');
    const layer = lowerBinary(w, undefined, false, levels);
    expect(layer.path).toBe('integer fp32 GEMM');
    const grown = wasmMemoryBytes();
    const compares: number[] = [];
    const outs = batches.map((A) => {
      const before = wasmCalls('threshold');
      const y = layer.compare(A.length / k, A, newCounts(), th, -1);
      compares.push(wasmCalls('threshold') - before);
      return y;
    });
    expect(wasmMemoryBytes()).toBeGreaterThan(grown);
    // The two batches on the grid are compared in WebAssembly; the one off it takes the JS reference.
    expect(compares).toEqual([1, 1, 0]);
    // Off the grid the fp32 sums are the backend's own (the tiles add in other orders), so that
    // batch is checked against the reference compare on this backend's sums.
    const off = batches[2]!;
    expect(firstDiff(outs[2]!, applyThresholds(layer.accumulate(off.length / k, off, newCounts()).values, th, -1, false))).toBe(-1);
    setKernelBackend('js');
    const jsLayer = lowerBinary(w, undefined, false, levels);
    batches.slice(0, 2).forEach((A, i) => expect(firstDiff(outs[i]!, jsLayer.compare(A.length / k, A, newCounts(), th, -1)), `batch ${i}`).toBe(-1));
    expect(new Set(outs[0])).toEqual(new Set([1, -1]));
    layer.dispose!();
  });

  it('a band of the wrong length is refused with a located error, and the layer compares as before afterwards', () => {
    const n = 64, k = 784, levels = { denominator: 1000, bits: 10 }, r = mulberry32(22);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const A = Float32Array.from({ length: 16 * k }, () => Math.floor(r() * 1024) / 1000);
    setKernelBackend('wasm');
    const layer = lowerBinary(w, undefined, false, levels);
    const th = foldOn(layer.accumulate(16, A, newCounts()).values, n, 2, levels.denominator);
    const good = layer.compare(16, A, newCounts(), th, -1);
    const bad: Thresholds = { ...th, band: { lo: th.band.lo, hi: th.band.hi.subarray(1) } };
    expect(() => layer.compare(16, A, newCounts(), bad, -1)).toThrow(/band 64 \/ 63/);
    expect(firstDiff(layer.compare(16, A, newCounts(), th, -1), good)).toBe(-1);
    layer.dispose!();
  });
});

describe('the first layer\'s ±1 weights for the integer fp32 GEMM', () => {
  it('are made at lowering, resident in the kernels\' memory (no per-batch copy), given back by dispose(), and made again after it, the outputs unchanged', () => {
    const m = 12, n = 96, k = 150, levels = { denominator: 1000, bits: 10 }, r = mulberry32(11);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const A = Float32Array.from({ length: m * k }, () => Math.floor(r() * 1024) / 1000);
    setKernelBackend('js');
    const want = lowerBinary(w, undefined, false, levels).gemm(m, A, newCounts());
    setKernelBackend('wasm');
    const before = residentBytes();
    const layer = lowerBinary(w, undefined, false, levels);
    expect(layer.path).toBe('integer fp32 GEMM');
    expect(residentBytes()).toBeGreaterThanOrEqual(before + 4 * n * k);
    const held = residentBytes();
    expect(firstDiff(layer.gemm(m, A, newCounts()), want)).toBe(-1);
    expect(residentBytes()).toBe(held);
    layer.dispose!();
    expect(residentBytes()).toBe(before);
    expect(firstDiff(layer.gemm(m, A, newCounts()), want)).toBe(-1);
    expect(residentBytes()).toBe(held);
    layer.dispose!();
    expect(residentBytes()).toBe(before);
  });

  it.each([
    ['XNOR', true, undefined],
    ['integer fp32 GEMM', false, { denominator: 1000, bits: 10 }],
    ['bit-planes', false, { denominator: 255, bits: 3 }],
  ] as const)('%s: a compare holds its band resident beside the weights; dispose() gives both back, and a compare after it works as before', (path, sign, levels) => {
    const m = 12, n = 96, k = 150, r = mulberry32(12);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const A = Float32Array.from({ length: m * k }, () => (levels ? Math.floor(r() * 2 ** levels.bits) / levels.denominator : r() < 0.5 ? -1 : 1));
    setKernelBackend('js');
    const js = lowerBinary(w, undefined, sign, levels);
    const th = foldOn(js.accumulate(m, A, newCounts()).values, n, 4, levels?.denominator ?? 1);
    const want = js.compare(m, A, newCounts(), th, -1);
    setKernelBackend('wasm');
    const before = residentBytes();
    const layer = lowerBinary(w, undefined, sign, levels);
    expect(layer.path).toBe(sign ? undefined : path);
    const lowered = residentBytes();
    expect(firstDiff(layer.compare(m, A, newCounts(), th, -1), want)).toBe(-1);
    const held = residentBytes();
    expect(held).toBeGreaterThanOrEqual(lowered + 8 * n);
    expect(firstDiff(layer.compare(m, A, newCounts(), th, -1), want)).toBe(-1);
    expect(residentBytes()).toBe(held);
    layer.dispose!();
    expect(residentBytes()).toBe(before);
    expect(firstDiff(layer.compare(m, A, newCounts(), th, -1), want)).toBe(-1);
    expect(residentBytes()).toBe(held);
    layer.dispose!();
    expect(residentBytes()).toBe(before);
  });

  it('XNOR too small for the kernel (its sums compared in JS): no band is made resident; one that runs the kernel makes it once', () => {
    // 4 rows × 24 channels × 64 bits: under the XNOR kernel's 8 rows, and m·n = 96 under the
    // compare kernel's minimum, so JS sums and compares them and the band would go unread.
    const n = 24, k = 64, r = mulberry32(14);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const signs = (m: number) => Float32Array.from({ length: m * k }, () => (r() < 0.5 ? -1 : 1));
    const small = signs(4), large = signs(64);
    setKernelBackend('js');
    const js = lowerBinary(w, undefined, true);
    const th = foldOn(js.accumulate(64, large, newCounts()).values, n, 6);
    const want = [js.compare(4, small, newCounts(), th, 0), js.compare(64, large, newCounts(), th, 0)];
    setKernelBackend('wasm');
    const before = residentBytes();
    const layer = lowerBinary(w, undefined, true);
    const got = compareOn('wasm', () => layer.compare(4, small, newCounts(), th, 0));
    expect(firstDiff(got.y, want[0]!)).toBe(-1);
    expect(got.calls).toBe(0);
    expect(residentBytes()).toBe(before);
    // 64 rows take the kernel, which reads the band: placed then, and kept.
    expect(firstDiff(layer.compare(64, large, newCounts(), th, 0), want[1]!)).toBe(-1);
    const held = residentBytes();
    // The band is one block of n lower then n upper int32 bounds, rounded to 16 bytes: made once.
    expect(held).toBe(before + Math.ceil((8 * n) / 16) * 16);
    expect(firstDiff(layer.compare(4, small, newCounts(), th, 0), want[0]!)).toBe(-1);
    expect(residentBytes()).toBe(held);
    layer.dispose!();
    expect(residentBytes()).toBe(before);
  });

  it('bit-plane counts made signed inside the compare (2c − row sum): exact where 2c passes int32, lanes and tail, every row its own sum', () => {
    // 2 rows × 7 channels (a quad and a tail of 3): counts near 2^30 whose doubles wrap int32,
    // against row sums near 2^31, so only wrapping arithmetic that cancels gives the signed sums.
    const n = 7, rows = 2, rowSums = Int32Array.of(2 ** 31 - 1, 2 ** 31 - 3);
    const counts = Int32Array.from({ length: rows * n }, (_, i) => 2 ** 30 + ((i * 5) % 11) - 5);
    const signed = Array.from(counts, (c, i) => 2 * c - rowSums[Math.floor(i / n)]!);
    const th = { tau: Float64Array.from({ length: n }, (_, j) => j - 3), t: new Float64Array(n), dir: Int8Array.from({ length: n }, (_, j) => (j % 2 ? -1 : 1)) };
    const band = compareBand(th.tau, th.dir);
    const want = applyThresholds(signed, { ...th, t: th.tau, band }, -1);
    expect(new Set(want).size).toBe(2); // both outcomes occur
    setKernelBackend('wasm');
    const resident = new ResidentBand(band);
    try {
      const got = withScratch(() => compareOut(rows, n, copyInInts(counts), n, false, resident, -1, copyInInts(rowSums)));
      expect(firstDiff(got, want)).toBe(-1);
    } finally {
      resident.free();
    }
  });

  it('refuses thresholds folded for another channel count, on both backends', () => {
    const n = 40, k = 64, r = mulberry32(13);
    const w = t([n, k], Float32Array.from({ length: n * k }, () => r() * 2 - 1));
    const A = Float32Array.from({ length: 16 * k }, () => (r() < 0.5 ? -1 : 1));
    const layer = lowerBinary(w, undefined, true);
    setKernelBackend('js');
    const th = foldOn(Int32Array.from({ length: 16 * (n - 1) }, (_, i) => i % 7), n - 1, 5);
    for (const backend of ['js', 'wasm'] as const) {
      setKernelBackend(backend);
      expect(() => layer.compare(16, A, newCounts(), th, -1), backend).toThrow(/folded thresholds hold 39 channels \(band 39 \/ 39\), the layer has 40 outputs/);
    }
    layer.dispose!();
  });
});

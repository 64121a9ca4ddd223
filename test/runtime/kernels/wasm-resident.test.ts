/**
 * Resident blocks of the kernels' memory (instance.ts residentAlloc, resident.ts) and the int16
 * GEMM's resident packed B: a packed B survives other kernels' calls, scratch and memory growth in
 * between with results bit-identical to the JavaScript reference, scratch never lands on a block,
 * and freeing and re-packing reuse the same memory.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { conv2d } from '../../../runtime/kernels/conv2d.ts';
import { type Dfp16, gemmDfp16 } from '../../../runtime/kernels/fixed-point.ts';
import { sgemm } from '../../../runtime/kernels/gemm.ts';
import { packI16B, residentC, setI16WasmMinMacs, wasmGemmI16Packed, wasmGemmI16Resident } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import { residentAlloc, residentBytes, residentFree, scratchAlloc, setKernelBackend, u8At, wasmMemoryBytes, withScratch } from '../../../runtime/kernels/wasm/instance.ts';
import { Resident } from '../../../runtime/kernels/wasm/resident.ts';
import { fromArray, mulberry32 } from '../../../runtime/tensor.ts';

afterEach(() => { setKernelBackend(undefined); setI16WasmMinMacs(undefined); });

const rand = mulberry32(15);
const int16s = (len: number, range: number) => Int16Array.from({ length: len }, () => Math.floor((rand() * 2 - 1) * range));
const floats = (len: number) => Float32Array.from({ length: len }, () => rand() * 2 - 1);
const dfp = (values: Int16Array): Dfp16 => ({ shape: [values.length], values, exponent: 0 });

/** The JavaScript reference's product (saturating, exact) of a [m, k] and B as [n, k] (transB). */
function reference(m: number, n: number, k: number, a: Int16Array, b: Int16Array): Int32Array {
  setKernelBackend('js');
  try { return gemmDfp16(m, n, k, dfp(a), dfp(b), true).values; } finally { setKernelBackend(undefined); }
}

describe('resident packed B', () => {
  it('survives fp32 GEMMs, convolutions, scratch and memory growth in between, bit for bit', () => {
    setKernelBackend('wasm');
    setI16WasmMinMacs(0);
    const m = 9, n = 37, k = 301;
    // Full int16 range: some rows fail the int32 bound and take the recovery paths as well.
    const a = int16s(m * k, 32768), b = int16s(n * k, 32768), aSmall = int16s(m * k, 100);
    const packed = packI16B(n, k, b, true);
    const before = packed.panels.slice();
    for (let round = 0; round < 3; round++) {
      sgemm({ m: 64, n: 48, k: 80, a: floats(64 * 80), b: floats(80 * 48), c: new Float32Array(64 * 48) });
      conv2d(fromArray([2, 3, 12, 12], floats(2 * 3 * 144)), fromArray([8, 3, 3, 3], floats(8 * 27)), undefined, { pad: [1, 1, 1, 1] });
      // Scratch past the memory's end: the memory grows, detaching every view of it.
      const grown = wasmMemoryBytes();
      withScratch(() => { const at = scratchAlloc(grown); u8At(at, grown).fill(0xa5); });
      expect(wasmMemoryBytes()).toBeGreaterThan(grown);
      expect(packed.panels).toEqual(before);
      expect(gemmDfp16(m, n, k, dfp(a), dfp(b), true, packed).values).toEqual(reference(m, n, k, a, b));
      const out = new Int32Array(m * n);
      wasmGemmI16Packed(m, aSmall, packed, out);
      expect(out).toEqual(reference(m, n, k, aSmall, b));
    }
    packed.free();
  });

  it('writes C into a resident block read in place, rows padded to 8 columns, the bound as wasmGemmI16Guarded', () => {
    for (const [m, n, k] of [[5, 13, 40], [8, 16, 64]] as const) {
      const a = int16s(m * k, 100), b = int16s(n * k, 100), packed = packI16B(n, k, b, true), c = residentC(m, n);
      const want = reference(m, n, k, a, b), stride = (n + 7) & ~7;
      expect(wasmGemmI16Resident(m, a, packed, c, 7)).toEqual(new Uint8Array(m).fill(1));
      sgemm({ m: 40, n: 40, k: 40, a: floats(1600), b: floats(1600), c: new Float32Array(1600) });
      const got = c.i32();
      for (let i = 0; i < m; i++) expect(got.subarray(i * stride, i * stride + n)).toEqual(want.subarray(i * n, (i + 1) * n));
      // A row whose Σ|a|·max|B| passes int32 is refused, and no row at all means nothing ran.
      const big = int16s(m * k, 32768).fill(32767, 0, k);
      const full = packI16B(n, k, int16s(n * k, 32768).fill(32767), true);
      expect(wasmGemmI16Resident(m, big, full, c, 0)?.[0]).toBeFalsy();
      full.free();
      expect(() => wasmGemmI16Resident(m + 4, a, packed, c)).toThrow(/too few/);
      packed.free();
      c.free();
    }
  });

  it('is never handed to scratch, also when packed while scratch is live', () => {
    withScratch(() => {
      scratchAlloc(1000);
      const r = new Resident(4096);
      r.i16().fill(-7);
      withScratch(() => {
        // A stack of scratch that would run over the block were the block not skipped.
        for (let at = 0; at < r.at + r.bytes; ) u8At((at = scratchAlloc(1500)), 1500).fill(0xff);
      });
      expect(r.i16().every((x) => x === -7)).toBe(true);
      r.free();
    });
  });

  it('reuses freed memory: packing and freeing 40 times holds at most the largest block', () => {
    const start = residentBytes(), sizes = [[64, 512], [128, 256], [32, 1024], [96, 300]] as const;
    let memory = 0;
    for (let i = 0; i < 40; i++) {
      const [n, k] = sizes[i % sizes.length]!;
      const packed = packI16B(n, k, int16s(n * k, 1000), true);
      // The largest panels: 128 columns × 128 k pairs × 4 bytes (every size here packs to at most that).
      expect(residentBytes() - start).toBeLessThanOrEqual(4 * 128 * 128);
      packed.free();
      expect(residentBytes()).toBe(start);
      if (i === sizes.length) memory = wasmMemoryBytes();
      if (i > sizes.length) expect(wasmMemoryBytes()).toBe(memory);
    }
  });

  it('fills a freed block first, splitting and merging free neighbours', () => {
    const start = residentBytes();
    const x = residentAlloc(100), y = residentAlloc(200), z = residentAlloc(16);
    expect(y).toBe(x + 112);
    residentFree(x);
    residentFree(y);
    // x and y merged into one free block of 112 + 208 bytes, which a 300-byte block fits.
    expect(residentAlloc(300)).toBe(x);
    expect(residentAlloc(16)).toBe(x + 304);
    expect(() => residentFree(x + 8)).toThrow(/no live resident block/);
    residentFree(x);
    residentFree(x + 304);
    residentFree(z);
    expect(residentBytes()).toBe(start);
  });

  it('drops every free block at the end, also blocks that a gap of scratch kept apart', () => {
    const start = residentBytes();
    const x = residentAlloc(4096);
    // Placed above live scratch: a gap between x and y, so freeing x cannot merge it into y.
    const y = withScratch(() => { scratchAlloc(1000); return residentAlloc(4096); });
    expect(y).toBeGreaterThan(x + 4096);
    residentFree(x);
    expect(residentBytes() - start).toBe(8192);
    residentFree(y);
    expect(residentBytes()).toBe(start);
  });

  it('returns the block of a dropped handle through the FinalizationRegistry', async () => {
    // V8 exposes gc() to contexts made after the flag is set.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collect = async () => {
      // Finalizers run as tasks after a collection: collect, then yield, a few times.
      for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
    };
    await collect();
    const start = residentBytes();
    (() => { new Resident(1 << 16).i16().fill(1); })();
    expect(residentBytes()).toBeGreaterThan(start);
    for (let i = 0; i < 4 && residentBytes() > start; i++) await collect();
    expect(residentBytes()).toBe(start);
  });

  it('refuses use after free; a second free does nothing', () => {
    const packed = packI16B(8, 8, int16s(64, 10), false);
    packed.free();
    packed.free();
    expect(packed.region.freed).toBe(true);
    expect(() => wasmGemmI16Packed(1, int16s(8, 10), packed, new Int32Array(8))).toThrow(/used after free/);
  });
});

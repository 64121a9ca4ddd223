/**
 * The int16 GEMM's A operand at the edges of the kernels' memory (gemm-i16.ts aAddress): an A
 * already in that memory is read in place only while its memory is live (a resident block, or
 * scratch below the mark; the live-scratch case is wasm-int-gemm.test.ts's "reads an A that lies
 * in the kernels' memory"); an A in released scratch or a freed block is copied, since the call's
 * own scratch lands on it (before the fix, 120 of 128 sums came out wrong with no error); a view
 * detached by growth and an A shorter than m·k are refused as the Kiln bugs they are. And an int8
 * A's row sums for the int32 bound are taken over int8 values (the packing's sums; the row_l1
 * pass before it read int8 bytes two at a time as int16).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { int32SafeRows } from '../../../runtime/kernels/fixed-point.ts';
import { type PackedI16B, packI16B, residentC, wasmGemmI16Guarded, wasmGemmI16Packed, wasmGemmI16Resident } from '../../../runtime/kernels/wasm/gemm-i16.ts';
import * as instance from '../../../runtime/kernels/wasm/instance.ts';
import { i16At, scratchAlloc, scratchMark, scratchRelease, setKernelBackend, wasmMemoryBytes } from '../../../runtime/kernels/wasm/instance.ts';
import { Resident } from '../../../runtime/kernels/wasm/resident.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import { intGemmExact } from './helpers/naive.ts';

afterEach(() => { setKernelBackend(undefined); });

const rand = mulberry32(41);
const int16s = (len: number, range: number) => Int16Array.from({ length: len }, () => Math.floor((rand() * 2 - 1) * range));
const m = 16, n = 8, k = 40;

/** The three entry points that take A as it is, each giving the m × n sums as a plain array. */
const entries: Record<string, (a: Int16Array, pb: PackedI16B) => number[]> = {
  guarded: (a, pb) => { const out = new Int32Array(m * n); wasmGemmI16Guarded(m, a, pb, out); return [...out]; },
  packed: (a, pb) => { const out = new Int32Array(m * n); wasmGemmI16Packed(m, a, pb, out); return [...out]; },
  resident: (a, pb) => {
    const c = residentC(m, n);
    try { wasmGemmI16Resident(m, a, pb, c); return [...c.i32(m * n)]; } finally { c.free(); }
  },
};

describe('int16 GEMM: where A is read from', () => {
  it('reads an A in a live resident block in place, and copies an A whose scratch or block was given back', () => {
    setKernelBackend('wasm');
    const aJs = int16s(m * k, 2000), b = int16s(n * k, 2000), pb = packI16B(n, k, b, true);
    const want = Array.from(intGemmExact(m, n, k, aJs, b, true));
    const copies = vi.spyOn(instance, 'copyInInts');
    try {
      for (const [name, run] of Object.entries(entries)) {
        const block = new Resident(2 * m * k);
        block.i16().set(aJs);
        copies.mockClear();
        expect([name, run(block.i16(), pb)]).toEqual([name, want]);
        expect(copies).not.toHaveBeenCalled();
        // A freed block at the end is dropped: the call's scratch is then free to land on it.
        const freedView = block.i16();
        block.free();
        expect([name, run(freedView, pb)]).toEqual([name, want]);
        expect(copies).toHaveBeenCalledWith(freedView, m * k);

        const mark = scratchMark();
        const released = i16At(scratchAlloc(2 * m * k), m * k);
        released.set(aJs);
        scratchRelease(mark);
        copies.mockClear();
        expect([name, run(released, pb)]).toEqual([name, want]);
        expect(copies).toHaveBeenCalledWith(released, m * k);
      }
    } finally {
      copies.mockRestore();
      pb.free();
    }
  });

  it('sums an int8 A\'s rows as int8 values for the bound of wasmGemmI16Resident, as int32SafeRows does on the same values', () => {
    setKernelBackend('wasm');
    // max|B| = 32767 and k = 60,000: a row of ones has Σ|a|·max|B| = 1.97·10^9, inside int32;
    // read as int16, each pair of int8 ones would be 257 (Σ 7.7·10^6, far outside), and rows would
    // start at the wrong bytes. Rows of −128 and 127 are outside either way, and a row of ±1 inside.
    const k = 60000, rows = 4, cols = 8, start = 7;
    const a8 = new Int8Array(rows * k).fill(1);
    a8.fill(-128, k, 2 * k);
    for (let p = 2 * k; p < 3 * k; p++) a8[p] = rand() < 0.5 ? -1 : 1;
    a8.fill(127, 3 * k);
    const b = int16s(cols * k, 32767);
    b[5] = 32767;
    const pb = packI16B(cols, k, b, true), c = residentC(rows, cols);
    try {
      const a16 = Int16Array.from(a8);
      const safe = wasmGemmI16Resident(rows, a8, pb, c, start);
      expect(safe && [...safe]).toEqual([1, 0, 1, 0]);
      expect(safe).toEqual(int32SafeRows(rows, k, a16, b, start));
      const got = c.i32(rows * cols), want = intGemmExact(rows, cols, k, a16, b, true);
      for (const i of [0, 2]) expect([...got.subarray(i * cols, i * cols + cols)]).toEqual([...want.subarray(i * cols, i * cols + cols)]);
    } finally {
      c.free();
      pb.free();
    }
  });

  it('refuses an A detached by the memory\'s growth, and an A shorter than m·k, with an internal error', () => {
    setKernelBackend('wasm');
    const pb = packI16B(n, k, int16s(n * k, 2000), true);
    try {
      for (const [name, run] of Object.entries(entries)) {
        const mark = scratchMark();
        try {
          const a = i16At(scratchAlloc(2 * m * k), m * k);
          a.set(int16s(m * k, 2000));
          // Scratch past the memory's end grows it, which detaches every view taken before.
          scratchAlloc(wasmMemoryBytes());
          expect(a.length).toBe(0);
          expect(() => run(a, pb), name).toThrow(/int16 GEMM: A is a view of the kernels' memory that its growth detached/);
        } finally {
          scratchRelease(mark);
        }
        expect(() => run(int16s(m * k - 1, 2000), pb), name).toThrow(/A holds 639 values, fewer than m·k = 16·40/);
      }
      // A raw B is checked too: the copy would otherwise leave the missing values to old scratch.
      expect(() => wasmGemmI16Guarded(m, int16s(m * k, 9), { n, k, values: int16s(n * k - 2, 9), transB: true }, new Int32Array(m * n)))
        .toThrow(/B holds 318 values, fewer than n·k = 8·40/);
    } finally {
      pb.free();
    }
  });
});

/**
 * The int16 GEMM of gemm-i16.wat on JavaScript arrays, for int16 and int8 operands alike. Operands
 * are copied into the kernels' memory as they are (int8 at one byte a value) and widened to int16
 * by gemm-i16.wat's `pack` on their way into panels, so no O(mk + kn) pass runs in JS. Returns the
 * wrapped (mod 2^32) int32 sums; the callers decide which sums can be trusted, and
 * wasmGemmI16Guarded computes the int32 bound for them in WebAssembly too.
 *
 * A caller with a constant B (a lowered layer's weights, the bench's "B pre-packed" row) packs it
 * once with packI16B and hands the PackedI16B to every call: its panels stay resident in the
 * kernels' memory (resident.ts), so a call copies only A in and C out.
 *
 * An A that is already a view of the kernels' memory is read where it lies, not copied, when it
 * lies in memory its caller holds: scratch below the current mark, or a live resident block. Such
 * an A must stay live for the whole call (its scratch not released, its block not freed, until the
 * call returns), and its view must be fresh (taken after the last allocation: a view detached by
 * the memory's growth is refused). An A in released scratch or a freed block is copied first, as
 * the call's own allocations would land on it.
 */
import { countCall } from './calls.ts';
import { copyInInts, f64At, inWasmMemory, liveRegion, refuseDetached, scratchAlloc, useWasmKernels, wasmExports, withScratch } from './instance.ts';
import { emptyProduct, type IntOperand, outAddress, productInto } from './int-gemm.ts';
import { wasmBase64 } from './gemm-i16.wasm.ts';
import { Resident } from './resident.ts';

interface GemmI16Exports {
  pack(rows: number, k: number, src: number, rs: number, cs: number, i8: number, R: number, dst: number, l1: number): void;
  max_abs(len: number, src: number): number;
  gemm(mp: number, np: number, kq: number, a: number, b: number, c: number): void;
}

const kernel = (): GemmI16Exports => wasmExports<GemmI16Exports>('gemm-i16', wasmBase64);

/**
 * op(B) [k × n] as the kernel reads it, resident in the kernels' memory: per 8 columns, per k pair,
 * 8 × (b[2q][j], b[2q+1][j]); maxAbs = max |b|, for the int32 bound, found once at pack time.
 * free() gives the memory back (or the garbage collector does, when the handle is dropped).
 */
export class PackedI16B {
  /**
   * B's n·k values as floats, kept here once int16-window.ts has made them (B is constant, so its fp32
   * product need not convert B every call), and let go with the panels by free().
   */
  floats: Float32Array | undefined;

  constructor(readonly n: number, readonly k: number, readonly maxAbs: number, readonly region: Resident) {}

  /** A fresh view of the panels, valid until the next allocation or kernel call. */
  get panels(): Int16Array { return this.region.i16(panelLength(this.n, this.k)); }

  free(): void {
    this.region.free();
    this.floats = undefined;
  }
}

const INT32_MAX = 2147483647;

const MIN_MACS = 4096;
let minMacs = MIN_MACS;

/**
 * Does an m·n·k-multiply-add product go to WebAssembly? Only when that backend is in use and the
 * product is large enough: below 4,096 multiply-adds, the copies and the call cost more than the
 * JS loop.
 */
export const i16WasmFor = (macs: number): boolean => useWasmKernels() && macs >= minMacs;

/** Tests: send products of every size to WebAssembly (0), or back to the default (undefined). */
export function setI16WasmMinMacs(macs: number | undefined): void {
  minMacs = macs ?? MIN_MACS;
}

/**
 * Pack rows × k values at `at` (row-major, k per row, when !transposed) into R-row panels at `dst`
 * (new scratch by default); with `l1At` ≠ 0, each row's Σ|x| (f64) goes there in the same pass.
 */
function packAt(ex: GemmI16Exports, rows: number, k: number, at: number, i8: boolean, colsAreRows: boolean, R: number,
  dst = scratchAlloc(Math.ceil(rows / R) * R * ((k + 1) >> 1) * 4), l1At = 0): number {
  const eb = i8 ? 1 : 2;
  // Rows along the source's rows (A, Bᵀ), or along its columns (B as k × `rows`).
  if (colsAreRows) ex.pack(rows, k, at, eb, rows * eb, i8 ? 1 : 0, R, dst, l1At);
  else ex.pack(rows, k, at, k * eb, eb, i8 ? 1 : 0, R, dst, l1At);
  return dst;
}

/**
 * op(B) not yet packed: B is k×n, or n×k when transB (a dense layer's [out, in] weights); int16, or
 * int8 (widened to int16 while packing, so the product and the guard's max|B| are the same as for
 * the same values in an Int16Array).
 */
export interface RawI16B { n: number; k: number; values: IntOperand; transB: boolean }

const panelLength = (n: number, k: number): number => ((n + 7) & ~7) * ((k + 1) >> 1) * 2;

/**
 * Pack op(B) into resident panels (padding zero) and find max|B|, once, for a B used by many
 * products. The block is taken before the raw copy's scratch, so the scratch lands past it.
 */
export function packI16B(n: number, k: number, b: IntOperand, transB: boolean): PackedI16B {
  const len = panelLength(n, k);
  const region = new Resident(2 * len);
  try {
    return withScratch(() => {
      const ex = kernel();
      packAt(ex, n, k, copyInInts(b, n * k), b instanceof Int8Array, !transB, 8, region.at);
      return new PackedI16B(n, k, ex.max_abs(len, region.at), region);
    });
  } catch (e) {
    region.free();
    throw e;
  }
}

/** max|x| over int16 values: the B side of the int32 bound. */
export function maxAbsInt16(x: Int16Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) { const v = x[i]!; if (v > m) m = v; else if (-v > m) m = -v; }
  return m;
}

/** Σ_p |a_ip| of each of A's m rows (k values a row, row-major): the A side of the int32 bound. */
export function rowL1(m: number, k: number, a: Int16Array): Float64Array {
  const l1 = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let p = i * k, end = p + k; p < end; p++) s += Math.abs(a[p]!);
    l1[i] = s;
  }
  return l1;
}

/**
 * Which rows may go to wrapping int32 lanes: Σ_p |a_ip| · max|B| + start ≤ INT32_MAX bounds every
 * partial sum of the row, so none can leave int32. Undefined when no row qualifies.
 */
export function rowsWithinInt32(l1: ArrayLike<number>, maxB: number, start: number): Uint8Array | undefined {
  const safe = new Uint8Array(l1.length);
  let any = false;
  for (let i = 0; i < l1.length; i++) if (l1[i]! * maxB + start <= INT32_MAX) { safe[i] = 1; any = true; }
  return any ? safe : undefined;
}

/**
 * Where the kernel reads A in place: its address when it is a view of live memory in the kernels'
 * memory (liveRegion), else undefined (it is copied in). Taken, like `out`'s, before anything is
 * allocated, as growing the memory detaches the view. A short or detached A is a caller's bug.
 */
function aAddress(m: number, k: number, a: IntOperand): number | undefined {
  refuseDetached(a, 'int16 GEMM: A');
  if (a.length < m * k) throw new Error(`int16 GEMM: A holds ${a.length} values, fewer than m·k = ${m}·${k}`);
  return inWasmMemory(a) && liveRegion(a.byteOffset, m * k * a.BYTES_PER_ELEMENT) ? a.byteOffset : undefined;
}

/**
 * out[i·n + j] = Σ_p a[i·k + p]·op(B)[p, j] (mod 2^32) for m rows of A (row-major, k per row).
 * With `guardStart` defined, the rows' int32 bound (rowsWithinInt32, sums starting from at most
 * |guardStart|) is computed first: the product runs only when some row passes, and the rows that
 * pass are returned (the others' sums in `out` are wrapped and must be recomputed by the caller).
 * A raw B is packed here, in scratch, rather than by packI16B, which would copy its panels out to
 * JS and back in; it is packed before the bound is checked, as max|B| is read from its panels.
 */
function run(m: number, a: IntOperand, b: PackedI16B | RawI16B, out: Int32Array | Resident, guardStart?: number, sums?: GuardSums): Uint8Array | undefined {
  const { n, k } = b;
  const mp = (m + 3) & ~3, np = (n + 7) & ~7, kq = (k + 1) >> 1;
  const outAt = out instanceof Resident ? undefined : outAddress(out);
  const aIn = aAddress(m, k, a);
  if (!(b instanceof PackedI16B) && b.values.length < n * k) {
    throw new Error(`int16 GEMM: B holds ${b.values.length} values, fewer than n·k = ${n}·${k}`);
  }
  // Every row of an empty product is exact (its sums are 0).
  if (emptyProduct(m, n, k, out, outAt)) return new Uint8Array(m).fill(1);
  return withScratch(() => {
    const ex = kernel();
    let bAt: number, maxB = 0;
    if (b instanceof PackedI16B) {
      bAt = b.region.at;
      maxB = b.maxAbs;
    } else {
      bAt = packAt(ex, n, k, copyInInts(b.values, n * k), b.values instanceof Int8Array, !b.transB, 8);
      // max|B| from the panels, which hold int16 whichever type B came in: max_abs on the raw
      // values would read an int8 B two values at a time (the zero padding changes no maximum).
      if (guardStart !== undefined) maxB = ex.max_abs(panelLength(n, k), bAt);
    }
    const aAt = aIn ?? copyInInts(a, m * k);
    let safe: Uint8Array | undefined;
    // The bound's row sums come out of packing A, one pass over A rather than two (no faster as
    // measured: the sums cost instructions, not memory traffic), so A is packed even when no row
    // passes: a few per cent of a product that then does not run, rare outside full-range dfp16,
    // whose wrapAll usually asks for it to run.
    const l1At = guardStart === undefined ? 0 : scratchAlloc(8 * m);
    const apAt = packAt(ex, m, k, aAt, a instanceof Int8Array, false, 4, undefined, l1At);
    if (guardStart !== undefined) {
      const l1 = f64At(l1At, m);
      if (sums) { sums.l1 = l1.slice(); sums.maxB = maxB; }
      safe = rowsWithinInt32(l1, maxB, guardStart);
      if (!safe && !sums?.wrapAll?.(sums.l1!, maxB)) return undefined;
      if (sums) sums.ran = true;
    }
    countCall('gemm-i16');
    if (out instanceof Resident) {
      ex.gemm(mp, np, kq, apAt, bAt, out.at);
      return safe;
    }
    productInto(m, n, out, outAt, (cAt) => ex.gemm(mp, np, kq, apAt, bAt, cAt));
    return safe;
  });
}

/**
 * C resident for a caller that reads it in place (no copy out): `c` holds ⌈m/4⌉·4 rows of
 * ⌈n/8⌉·8 int32 (residentC makes one), row i's sums at c.i32()[i·⌈n/8⌉·8 + j]. With `guardStart`
 * as wasmGemmI16Guarded: only the returned rows' sums are exact, and undefined means nothing ran
 * (it takes no `GuardSums`, so never `wrapAll`).
 */
export function wasmGemmI16Resident(m: number, a: IntOperand, b: PackedI16B, c: Resident, guardStart?: number): Uint8Array | undefined {
  const rowStride = (b.n + 7) & ~7;
  if (c.bytes < ((m + 3) & ~3) * rowStride * 4) throw new Error(`wasmGemmI16Resident: C holds ${c.bytes} bytes, too few for ${m} × ${b.n}`);
  return run(m, a, b, c, guardStart) ?? (guardStart === undefined ? new Uint8Array(m).fill(1) : undefined);
}

/** A resident C for wasmGemmI16Resident: m × n sums with rows padded to 8 and m to 4. */
export const residentC = (m: number, n: number): Resident => new Resident(((m + 3) & ~3) * ((n + 7) & ~7) * 4);

/** out[i·n + j] = Σ_p a[i·k + p]·op(B)[p, j] mod 2^32, for m rows of A (row-major, k per row). */
export function wasmGemmI16Packed(m: number, a: IntOperand, b: PackedI16B, out: Int32Array): void {
  run(m, a, b, out);
}

/**
 * What the int32 bound was computed from: the rows' Σ_p |a_ip| and max|B|, and whether the product
 * ran (`ran`). `wrapAll`, set by the caller, is asked with those sums when the bound refuses every
 * row, and runs the product anyway when it answers true: for a caller that recovers refused rows
 * from their wrapped sums (int16-window.ts), which would otherwise copy A in and pack B a second
 * time to get them. Asked then rather than decided before, as only the sums tell whether the
 * recovery will take any row (full-range operands past k ≈ 2,900 leave it none, and a product run
 * for them would be thrown away).
 */
export interface GuardSums {
  l1?: Float64Array;
  maxB?: number;
  wrapAll?: (l1: Float64Array, maxB: number) => boolean;
  ran?: boolean;
}

/**
 * The product of the rows whose every partial sum provably stays in int32 (sums starting from a
 * value of magnitude at most `start`, e.g. a bias): returns those rows, or undefined when there are
 * none (and then nothing ran, unless `sums.wrapAll` said to). Other rows' entries of `out` hold wrapped
 * sums. `sums`, when given, receives the bound's row sums and max|B| (int16-window.ts needs them
 * for the rows refused).
 */
export function wasmGemmI16Guarded(m: number, a: Int16Array, b: PackedI16B | RawI16B, out: Int32Array, start = 0, sums?: GuardSums): Uint8Array | undefined {
  return run(m, a, b, out, start, sums);
}

/** out[i·n + j] = Σ_p a[i·k + p]·op(B)[p, j] mod 2^32; B is k×n, or n×k when transB. */
export function wasmGemmI16(m: number, n: number, k: number, a: IntOperand, b: IntOperand, transB: boolean, out: Int32Array): void {
  run(m, a, { n, k, values: b, transB }, out);
}

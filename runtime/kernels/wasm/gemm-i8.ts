/**
 * The int8 GEMM of gemm-i8.wat (relaxed SIMD's 16-lane int8 dot product) on JavaScript arrays, for
 * an A with no negative value: post-ReLU activations, which symmetric int8 quantization puts in
 * [0, 127], the one range where the instruction is defined the same on every engine. wasmGemmI8
 * scans A in WebAssembly first and declines (false: nothing written) when a value is negative or
 * the engine has no relaxed SIMD; the caller then takes gemm-i16.wat's widened product, which is
 * exact for any int8. Both give the exact sum modulo 2^32 (exact itself for k < 2^17).
 *
 * A constant B (a lowered int8 layer's weights) is held by Int8Weights, which packs it for either
 * kernel on first use and keeps the panels resident, as packI16B does for the int16 kernel.
 */
import { countCall } from './calls.ts';
import { copyInInts, relaxedSimdAvailable, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './gemm-i8.wasm.ts';
import { packI16B, type PackedI16B } from './gemm-i16.ts';
import { emptyProduct, outAddress, productInto } from './int-gemm.ts';
import { Resident } from './resident.ts';

interface GemmI8Exports {
  any_negative(len: number, src: number): number;
  pack(rows: number, k: number, src: number, rs: number, cs: number, R: number, dst: number): void;
  gemm(mp: number, np: number, kq: number, a: number, b: number, c: number): void;
}

let dot: boolean | undefined;
let dotOff = false;

/**
 * Does the int8 dot-product kernel run here? Where relaxed SIMD runs (instance.ts turns it on in
 * Node 20) and this module validates: an engine may have relaxed SIMD without this instruction.
 */
export function i8DotAvailable(): boolean {
  dot ??= relaxedSimdAvailable() && WebAssembly.validate(Uint8Array.from(atob(wasmBase64), (ch) => ch.charCodeAt(0))) && rightHere();
  return dot && !dotOff;
}

/**
 * Does the kernel give exact sums on this engine? One 4×8×8 product against the JS sums, int8's
 * extremes included: an engine whose compiler gets a relaxed instruction wrong (Node 20's
 * baseline compiler does for the one-instruction add_s form) keeps the int16 kernel instead of
 * giving wrong integers.
 */
function rightHere(): boolean {
  const m = 4, n = 8, k = 8;
  const a = Int8Array.from({ length: m * k }, (_, i) => (i * 37) % 128);
  const b = Int8Array.from({ length: n * k }, (_, i) => (i % 5 === 0 ? -128 : ((i * 91) % 256) - 128));
  const out = new Int32Array(m * n);
  multiply(m, a, { n, k, values: b, transB: true }, out, undefined);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
    if (out[i * n + j] !== s) return false;
  }
  return true;
}

/** Tests: true sends every int8 product to the widened int16 kernel, false back to this one. */
export function setI8DotOff(off: boolean): void {
  dotOff = off;
}

const kernel = (): GemmI8Exports => wasmExports<GemmI8Exports>('gemm-i8', wasmBase64);

const panelBytes = (rows: number, k: number, R: number): number => Math.ceil(rows / R) * R * ((k + 3) >> 2) * 4;

/** op(B) [k × n] packed for gemm-i8.wat, resident: per 8 columns, per k quad, 8 × 4 int8. */
export class PackedI8B {
  constructor(readonly n: number, readonly k: number, readonly region: Resident) {}

  free(): void { this.region.free(); }
}

/** op(B) not yet packed: B is k×n, or n×k when transB (a dense layer's [out, in] weights). */
export interface RawI8B { n: number; k: number; values: Int8Array; transB: boolean }

/**
 * Pack rows × k int8 at `at` (row-major, k per row, when !colsAreRows; else `rows` columns of a
 * k × rows matrix) into R-row panels at `dst`.
 */
function packAt(ex: GemmI8Exports, rows: number, k: number, at: number, colsAreRows: boolean, R: number, dst: number): void {
  if (colsAreRows) ex.pack(rows, k, at, 1, rows, R, dst);
  else ex.pack(rows, k, at, k, 1, R, dst);
}

export function packI8B(n: number, k: number, b: Int8Array, transB: boolean): PackedI8B {
  const region = new Resident(panelBytes(n, k, 8));
  try {
    return withScratch(() => {
      packAt(kernel(), n, k, copyInInts(b, n * k), !transB, 8, region.at);
      return new PackedI8B(n, k, region);
    });
  } catch (e) {
    region.free();
    throw e;
  }
}

/**
 * out[i·n + j] = Σ_p a[i·k + p]·op(B)[p, j] mod 2^32 for m rows of A (row-major, k per row), when
 * this kernel runs here and no value of A is negative; returns whether it ran (false: `out` is
 * untouched). An `out` in the kernels' memory is written in place where the tile allows. B may
 * be Int8Weights (declared below: a class is initialised before any call can run).
 */
export function wasmGemmI8(m: number, a: Int8Array, b: PackedI8B | RawI8B | Int8Weights, out: Int32Array): boolean {
  // Taken before the first call's self-test, whose scratch may grow the memory and detach `out`.
  const outAt = outAddress(out);
  return i8DotAvailable() && multiply(m, a, b, out, outAt);
}

function multiply(m: number, a: Int8Array, b: PackedI8B | RawI8B | Int8Weights, out: Int32Array, outAt: number | undefined): boolean {
  const { n, k } = b;
  // Signed activations almost always show a negative value among their first few: declined
  // before A is copied in, which the int16 kernel then does again.
  for (let i = 0, end = Math.min(64, m * k); i < end; i++) if (a[i]! < 0) return false;
  if (emptyProduct(m, n, k, out, outAt)) return true;
  return withScratch(() => productAt(m, copyInInts(a, m * k), b, out, outAt));
}

/** The product of an A already at aAt in the kernels' memory, unless A has a negative value (false). */
function productAt(m: number, aAt: number, b: PackedI8B | RawI8B | Int8Weights, out: Int32Array, outAt: number | undefined): boolean {
  const { n, k } = b;
  const ex = kernel();
  if (ex.any_negative(m * k, aAt)) return false;
  let bAt: number;
  // Weights are packed for this kernel only once an operand it can take has come.
  if (b instanceof Int8Weights) bAt = b.quads.region.at;
  else if (b instanceof PackedI8B) bAt = b.region.at;
  else packAt(ex, n, k, copyInInts(b.values, n * k), !b.transB, 8, (bAt = scratchAlloc(panelBytes(n, k, 8))));
  const apAt = scratchAlloc(panelBytes(m, k, 4));
  packAt(ex, m, k, aAt, false, 4, apAt);
  // Counted once A has passed the scan: a declined call ran the scan, not the product.
  countCall('gemm-i8');
  productInto(m, n, out, outAt, (cAt) => ex.gemm((m + 3) & ~3, (n + 7) & ~7, (k + 3) >> 2, apAt, bAt, cAt));
  return true;
}

/**
 * As wasmGemmI8, for an A that already lies in the kernels' memory (m·k int8 at aAt, e.g. codes
 * quantize.wat left there) and an `out` that is a view of it: nothing is copied in or out. A
 * lowered layer's whole epilogue then runs on `out` where it lies.
 */
export function wasmGemmI8At(m: number, aAt: number, b: PackedI8B | Int8Weights, out: Int32Array): boolean {
  const outAt = outAddress(out);
  if (outAt === undefined) throw new Error('wasmGemmI8At: out must be a view of the kernels\' memory');
  if (!i8DotAvailable()) return false;
  if (emptyProduct(m, b.n, b.k, out, outAt)) return true;
  return withScratch(() => productAt(m, aAt, b, out, outAt));
}

/**
 * A constant int8 op(B) for gemmInt8 (a lowered layer's weights): packed for gemm-i8.wat when an
 * activation operand with no negative value meets it where that kernel runs, and for the widened
 * int16 kernel when one with a negative value does; each packing once, on first use.
 */
export class Int8Weights {
  #quads: PackedI8B | undefined;
  #pairs: PackedI16B | undefined;

  constructor(readonly n: number, readonly k: number, readonly values: Int8Array, readonly transB: boolean) {}

  get quads(): PackedI8B { return (this.#quads ??= packI8B(this.n, this.k, this.values, this.transB)); }

  get pairs(): PackedI16B { return (this.#pairs ??= packI16B(this.n, this.k, this.values, this.transB)); }

  free(): void {
    this.#quads?.free();
    this.#pairs?.free();
    this.#quads = this.#pairs = undefined;
  }
}

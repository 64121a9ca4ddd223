/**
 * threshold.wat: a binary layer's folded batch norm → sign over its whole sums, as the band
 * lo[j] ≤ sum ≤ hi[j] per channel (binary-layer.ts turns the fold's τ and γ's sign into the band
 * once, at lowering, and its layer keeps the band resident: ResidentBand). The XNOR, bit-plane and
 * integer fp32 GEMM kernels' sums are compared where the kernels left them (xnor.ts, bitplane.ts,
 * grid-gemm.ts); sums that arrive as JS arrays (a product too small for those paths) are copied in.
 */
import { countCall } from './calls.ts';
import { copyIn, copyInInts, copyRows, f32At, wasmExports, withScratch } from './instance.ts';
import { Resident } from './resident.ts';
import { expect } from '../check.ts';
import { outputArray } from '../step-buffers.ts';
import { wasmBase64 } from './threshold.wasm.ts';

/**
 * Per channel, the whole sums that compare true: lo[j] ≤ sum ≤ hi[j] (lo > hi: none). Fixed once
 * folded: layers keep a resident copy keyed by the band's identity.
 */
export interface CompareBand { readonly lo: Int32Array; readonly hi: Int32Array }

/**
 * A band copied into a resident block of the kernels' memory (lo, then hi): it is fixed at
 * lowering, so the layer comparing every batch against it keeps it there instead of copying it in
 * per batch, and frees it when it is disposed.
 */
export class ResidentBand {
  readonly n: number;
  readonly #block: Resident;

  constructor(readonly band: CompareBand) {
    const n = band.lo.length;
    expect('threshold', band.hi.length === n, `the band has ${n} lower and ${band.hi.length} upper bounds`);
    this.n = n;
    this.#block = new Resident(8 * n);
    const v = this.#block.i32(2 * n);
    v.set(band.lo);
    v.set(band.hi, n);
  }

  get loAt(): number { return this.#block.at; }
  get hiAt(): number { return this.#block.at + 4 * this.n; }

  free(): void { this.#block.free(); }
}

interface ThresholdExports {
  threshold(rows: number, n: number, src: number, sn: number, float: number, lo: number, hi: number, low: number, dst: number, dn: number, rs: number): void;
}

const kernel = (): ThresholdExports => wasmExports<ThresholdExports>('threshold', wasmBase64);

/**
 * rows × n sums at byte address srcAt (row stride sn values; float32 holding whole numbers when
 * `float`, else int32) compared into float32 1 / `low` at dstAt (row stride dn; may be srcAt).
 * rowSumsAt (one int32 a row): the sums are bit-plane counts c, and 2c − rowSum is compared.
 */
export function thresholdAt(rows: number, n: number, srcAt: number, sn: number, float: boolean, band: ResidentBand, low: number, dstAt: number, dn: number, rowSumsAt = 0): void {
  // The kernel reads n bounds a side: a band for other channels would compare against its neighbour's.
  expect('threshold', band.n === n, `the band holds ${band.n} channels, the sums ${n}`);
  countCall('threshold');
  kernel().threshold(rows, n, srcAt, sn, float ? 1 : 0, band.loAt, band.hiAt, low, dstAt, dn, rowSumsAt);
}

/** The compare over rows × n whole sums in a JS array, into a fresh float array. */
export function wasmThreshold(sums: Int32Array | Float32Array, rows: number, n: number, band: ResidentBand, low: number): Float32Array {
  return withScratch(() => {
    const at = sums instanceof Int32Array ? copyInInts(sums, rows * n) : copyIn(sums.subarray(0, rows * n));
    return compareOut(rows, n, at, n, sums instanceof Float32Array, band, low);
  });
}

/** The compare in place over m rows of n sums `ld` apart (rowSumsAt: as thresholdAt's), the outputs copied once into a fresh array. */
export function compareOut(m: number, n: number, at: number, ld: number, float: boolean, band: ResidentBand, low: number, rowSumsAt = 0): Float32Array {
  thresholdAt(m, n, at, ld, float, band, low, at, ld, rowSumsAt);
  return copyRows(m, n, at, f32At, outputArray(m * n), ld);
}

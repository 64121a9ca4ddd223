/**
 * A handle on a resident block of the kernels' memory (instance.ts, residentAlloc): an operand that
 * stays in WebAssembly memory across kernel calls, so a call does not copy it in again.
 *
 * Lifetime: the block is the handle's until free(); after that, `at` throws rather than hand out
 * an address another operand may own by then. A handle dropped without free() is returned by a
 * FinalizationRegistry when the garbage collector reclaims it; that is a fallback, as a collector
 * may run late or never, so an owner that knows when it is done (a retrained layer re-packing its
 * weights) frees explicitly. Views are not kept: memory growth detaches them, so `i16` and `i32`
 * make fresh ones, valid until the next allocation or kernel call.
 */
import { countCall } from './calls.ts';
import { f64At, i16At, i32At, residentAlloc, residentFree } from './instance.ts';

// The held value is the address alone: holding the handle would keep it reachable forever.
const reclaim = new FinalizationRegistry<number>((at) => residentFree(at));

export class Resident {
  #at: number;

  constructor(readonly bytes: number) {
    this.#at = residentAlloc(bytes);
    reclaim.register(this, this.#at, this);
  }

  /** The block's byte address. */
  get at(): number {
    if (this.#at === 0) throw new Error('a resident WebAssembly block was used after free()');
    return this.#at;
  }

  get freed(): boolean { return this.#at === 0; }

  /** Give the block back (once; later calls do nothing). */
  free(): void {
    if (this.#at === 0) return;
    reclaim.unregister(this);
    residentFree(this.#at);
    this.#at = 0;
  }

  /** A fresh view of the block as `length` int16 (default: all of it). */
  i16(length = this.bytes >> 1): Int16Array { return i16At(this.at, length); }

  /** A fresh view of the block as `length` int32 (default: all of it). */
  i32(length = this.bytes >> 2): Int32Array { return i32At(this.at, length); }
}

/**
 * Named constant arrays (a layer's per-column bias, scales, multipliers) copied once into one
 * resident block, each at a 16-byte boundary for the kernels' v128 loads: the epilogue that reads
 * them every batch then copies none in. Each copy-in is counted (wasmCalls('resident-arrays')),
 * so a test can tell a batch that copied from one that did not.
 */
export class ResidentArrays<K extends string> {
  readonly #block: Resident;
  readonly #offsets = new Map<K, { at: number; length: number }>();

  constructor(arrays: Readonly<Record<K, Int32Array | Float64Array>>) {
    let bytes = 0;
    for (const [name, a] of Object.entries(arrays) as [K, Int32Array | Float64Array][]) {
      this.#offsets.set(name, { at: bytes, length: a.length });
      bytes += (a.byteLength + 15) & ~15;
    }
    this.#block = new Resident(bytes);
    for (const [name, a] of Object.entries(arrays) as [K, Int32Array | Float64Array][]) {
      const at = this.at(name);
      if (a instanceof Int32Array) i32At(at, a.length).set(a);
      else f64At(at, a.length).set(a);
    }
    countCall('resident-arrays');
  }

  /** The byte address of one array. */
  at(name: K): number { return this.#block.at + this.#offsets.get(name)!.at; }

  /** How many values one array holds. */
  length(name: K): number { return this.#offsets.get(name)!.length; }

  free(): void { this.#block.free(); }
}

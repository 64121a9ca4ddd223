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
import { i16At, i32At, residentAlloc, residentFree } from './instance.ts';

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

/**
 * Output arrays recycled from one training step to the next. The steps of a training run ask for
 * large activations and gradients of much the same sizes, but not always the same: a layer cut by
 * a batchwise dropout mask changes length every step. Allocating them afresh cost a zero-filled
 * allocation each and, at LeNet-5's ~2.4 MB a step, a garbage collection for external memory
 * pressure every few hundred milliseconds (docs/benchmarks.md, "LeNet-5's epoch against PyTorch").
 * So arrays are pooled by capacity class (pooledCapacity), and a request shorter than its class
 * gets the front of a larger array (a subarray): callers must use `.length`, never the buffer's.
 *
 * A training loop owns a StepBuffers and runs each step inside `withStepBuffers`: that step's
 * kernels take their outputs from it, and the next call hands the same arrays out again, by which
 * time nothing may still hold them (the step's tape, gradients and outputs are dropped once the
 * optimizer has run). Outside such a step, `outputArray` is a plain new array, so inference, tests
 * and anything else that keeps results are untouched. Only kernels that overwrite their output
 * whole take one: the contents are stale.
 */
import { type Tensor, size } from '../tensor.ts';

/** Below this many elements a fresh array is cheap (V8 keeps it on its own heap). */
const MIN_POOLED = 1024;

type Pooled = Float32Array | Int32Array;

/**
 * The capacity a request for `length` values is served from: eight classes an octave, so lengths
 * that change from step to step share arrays (at most an eighth is spare). A layer next to a
 * batchwise dropout works on as many units as the step's mask keeps, so its cut weights,
 * activations and gradients change length every step: pooled by exact length, each step missed,
 * allocated afresh (a collection for external memory pressure nearly every binary_mlp step) and
 * kept every new length: binary_mlp's array buffers grew 303 → 445 MiB in 60 steps.
 */
export function pooledCapacity(length: number): number {
  const step = 2 ** Math.floor(Math.log2(length)) / 8;
  return step < 1 ? length : Math.ceil(length / step) * step;
}

export class StepBuffers {
  /** Free arrays by kind and capacity: +capacity for float32, −capacity for int32 (a number key builds no string per call). */
  private readonly free = new Map<number, Pooled[]>();
  private lent: Pooled[] = [];

  /** An array of `length` values: a pooled array of its capacity class, or the front of one. */
  take(kind: 'f', length: number): Float32Array;
  take(kind: 'i', length: number): Int32Array;
  take(kind: 'f' | 'i', length: number): Pooled {
    const cap = pooledCapacity(length);
    const a = this.free.get(kind === 'f' ? cap : -cap)?.pop() ?? (kind === 'f' ? new Float32Array(cap) : new Int32Array(cap));
    this.lent.push(a);
    return cap === length ? a : a.subarray(0, length);
  }

  /** Everything lent since the last call becomes free to lend again. */
  recycle(): void {
    for (const a of this.lent) {
      const key = a instanceof Float32Array ? a.length : -a.length;
      let list = this.free.get(key);
      if (!list) this.free.set(key, (list = []));
      list.push(a);
    }
    this.lent = [];
  }
}

let active: StepBuffers | undefined;

/** Run one training step with `buffers` lending outputs; what it lent at the previous step is reused. */
export function withStepBuffers<T>(buffers: StepBuffers, step: () => T): T {
  buffers.recycle();
  const outer = active;
  active = buffers;
  try {
    return step();
  } finally {
    active = outer;
  }
}

/** An array the caller overwrites whole (its contents are stale when recycled). */
export function outputArray(length: number): Float32Array {
  return active && length >= MIN_POOLED ? active.take('f', length) : new Float32Array(length);
}

/** A tensor of `shape` (copied) on an outputArray: for kernels that overwrite their output whole. */
export function outputTensor(shape: readonly number[]): Tensor {
  return { shape: [...shape], data: outputArray(size(shape)) };
}

export function outputIndices(length: number): Int32Array {
  return active && length >= MIN_POOLED ? active.take('i', length) : new Int32Array(length);
}

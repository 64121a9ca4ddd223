/**
 * Output arrays recycled from one training step to the next. Every step of a training run
 * evaluates the same tape on same-shaped minibatches, so its large activations and gradients
 * have the same sizes each time; allocating them afresh cost a zero-filled allocation each and,
 * at LeNet-5's ~2.4 MB a step, a garbage collection for external memory pressure every few
 * hundred milliseconds (docs/benchmarks.md, "LeNet-5's epoch against PyTorch").
 *
 * A training loop owns a StepBuffers and runs each step inside `withStepBuffers`: that step's
 * kernels take their outputs from it, and the next call hands the same arrays out again, by which
 * time nothing may still hold them (the step's tape, gradients and outputs are dropped once the
 * optimizer has run). Outside such a step, `outputArray` is a plain new array, so inference, tests
 * and anything else that keeps results are untouched. Only kernels that overwrite their output
 * whole take one: the contents are stale.
 */

/** Below this many elements a fresh array is cheap (V8 keeps it on its own heap). */
const MIN_POOLED = 1024;

type Pooled = Float32Array | Int32Array;

export class StepBuffers {
  /** Free arrays by kind and length: +length for float32, −length for int32 (a number key builds no string per call). */
  private readonly free = new Map<number, Pooled[]>();
  private lent: Pooled[] = [];

  take(kind: 'f', length: number): Float32Array;
  take(kind: 'i', length: number): Int32Array;
  take(kind: 'f' | 'i', length: number): Pooled {
    const a = this.free.get(kind === 'f' ? length : -length)?.pop() ?? (kind === 'f' ? new Float32Array(length) : new Int32Array(length));
    this.lent.push(a);
    return a;
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

export function outputIndices(length: number): Int32Array {
  return active && length >= MIN_POOLED ? active.take('i', length) : new Int32Array(length);
}

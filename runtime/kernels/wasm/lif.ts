/**
 * lif.wat on JavaScript arrays: a LIF layer's T steps (lif-fused.ts's lifForwardOverTime and
 * lifBackwardOverTime) with the operands copied into the kernels' memory once per call, each
 * step's block padded to an even length, and the membrane and its gradient carried there. Same
 * bits as the JS loops.
 */
import { copyIn, f32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './lif.wasm.ts';

interface LifExports {
  lif_forward(x: number, v: number, u: number, out: number, n: number, decay: number, th: number, zero: number): void;
  lif_backward(u: number, out: number, dy: number, carry: number, dx: number, n: number,
    decay: number, th: number, alpha: number, zero: number, detach: number, add: number): void;
  lif_pool_forward(x: number, xstep: number, pooled: number, planes: number, h: number, w: number, steps: number, decay: number, th: number): void;
  lif_pool_backward(x: number, xstep: number, dpooled: number, dx: number, tmp: number, planes: number, h: number, w: number, steps: number,
    decay: number, th: number, alpha: number, detach: number): void;
}

const ex = (): LifExports => wasmExports<LifExports>('lif', wasmBase64);

/** A firing layer's dynamics (lif-fused.ts's LifStepOptions); the surrogate is the fast sigmoid with slope alpha. */
export interface WasmLifOptions { decay: number; threshold: number; reset: 'zero' | 'subtract'; alpha: number; detachReset: boolean }

/** A [T·n] (or [n] when constant) array laid out in the kernels' memory as T blocks of `np`. */
class Blocks {
  readonly at: number;
  constructor(readonly n: number, readonly np: number, readonly count: number) {
    this.at = scratchAlloc(4 * np * count);
  }

  addr(t: number): number { return this.at + 4 * this.np * (this.count === 1 ? 0 : t); }

  put(src: Float32Array): this {
    if (this.n === this.np) f32At(this.at, src.length).set(src);
    else for (let t = 0; t < this.count; t++) f32At(this.addr(t), this.n).set(src.subarray(t * this.n, (t + 1) * this.n));
    return this;
  }

  zero(): this { f32At(this.at, this.np * this.count).fill(0); return this; }

  get(dst: Float32Array): void {
    if (this.n === this.np) dst.set(f32At(this.at, dst.length));
    else for (let t = 0; t < this.count; t++) dst.set(f32At(this.addr(t), this.n), t * this.n);
  }
}

/** lifForwardOverTime: x is [T·n] or [n] (an input constant over time); out and u are [T·n]. */
export function wasmLifForwardOverTime(o: WasmLifOptions, x: Float32Array, steps: number, out: Float32Array, u: Float32Array): void {
  const n = out.length / steps, np = (n + 1) & ~1;
  withScratch(() => {
    const xs = new Blocks(n, np, x.length === n ? 1 : steps).put(x);
    const v = new Blocks(n, np, 1).zero(), us = new Blocks(n, np, steps), os = new Blocks(n, np, steps);
    const k = ex(), zero = o.reset === 'zero' ? 1 : 0;
    for (let t = 0; t < steps; t++) k.lif_forward(xs.addr(t), v.at, us.addr(t), os.addr(t), np, o.decay, o.threshold, zero);
    us.get(u);
    os.get(out);
  });
}

/** lifBackwardOverTime: dx is [T·n], or [n] for a constant input, where the steps' gradients are added. */
export function wasmLifBackwardOverTime(o: WasmLifOptions, u: Float32Array, out: Float32Array, dy: Float32Array, steps: number, dx: Float32Array): void {
  const n = out.length / steps, np = (n + 1) & ~1, constant = dx.length === n;
  withScratch(() => {
    const us = new Blocks(n, np, steps).put(u), os = new Blocks(n, np, steps).put(out), dys = new Blocks(n, np, steps).put(dy);
    const carry = new Blocks(n, np, 1).zero();
    const dxs = constant ? new Blocks(n, np, 1).put(dx) : new Blocks(n, np, steps);
    const k = ex(), zero = o.reset === 'zero' ? 1 : 0, detach = o.detachReset ? 1 : 0, add = constant ? 1 : 0;
    for (let t = steps - 1; t >= 0; t--) {
      k.lif_backward(us.addr(t), os.addr(t), dys.addr(t), carry.at, dxs.addr(t), np, o.decay, o.threshold, o.alpha, zero, detach, add);
    }
    dxs.get(dx);
  });
}

/** `planes` planes of h×w per step (both even): a [T·B, C, h, w] layer read by a 2×2 max pool at stride 2. */
export interface PooledPlanes { planes: number; h: number; w: number }

/**
 * A subtractive-reset layer's T steps and the 2×2 max pool of its spikes in one pass: the pooled
 * spikes into `pooled` ([T·n/4]); x is [T·n] or [n] (constant over time). Nothing else is kept:
 * the backward pass runs these steps again from x, which costs less than storing the membrane
 * (T times x's size when x is constant, as in the first layer) and copying it back in.
 */
export function wasmLifPoolForward(o: WasmLifOptions, x: Float32Array, steps: number, p: PooledPlanes, pooled: Float32Array): void {
  const n = p.planes * p.h * p.w;
  withScratch(() => {
    const xAt = copyIn(x), out = scratchAlloc(4 * pooled.length);
    ex().lif_pool_forward(xAt, x.length === n ? 0 : 4 * n, out, p.planes, p.h, p.w, steps, o.decay, o.threshold);
    pooled.set(f32At(out, pooled.length));
  });
}

/**
 * BPTT of wasmLifPoolForward(x) from the pooled spikes' gradient into dx, written whole: [T·n], or
 * [n] for a constant x, where the steps' gradients are summed.
 */
export function wasmLifPoolBackward(o: WasmLifOptions, x: Float32Array, dpooled: Float32Array, steps: number, p: PooledPlanes, dx: Float32Array): void {
  const n = p.planes * p.h * p.w;
  withScratch(() => {
    const xAt = copyIn(x), dpAt = copyIn(dpooled), dxAt = scratchAlloc(4 * dx.length), tmp = scratchAlloc(34 * steps);
    ex().lif_pool_backward(xAt, x.length === n ? 0 : 4 * n, dpAt, dxAt, tmp, p.planes, p.h, p.w, steps, o.decay, o.threshold, o.alpha, o.detachReset ? 1 : 0);
    dx.set(f32At(dxAt, dx.length));
  });
}

/**
 * One time step of LIF neurons as training runs it, fused: membrane update, threshold, reset and
 * (backward) the surrogate derivative in one pass over the neurons, with the membrane and its
 * gradient carried in buffers that live for the whole run or sweep. The dynamics and surrogates
 * are lif.ts's, which stays the reference definition; a test holds the two equal. Per step this
 * allocates only what the tape keeps (the output, and u for the backward pass).
 *
 * With `fire` false (a membrane readout, `lif(readout = membrane)`) the neurons never fire: the
 * output is the membrane potential u itself, a leaky integrator of the input, and its gradient
 * flows straight through the leak with no surrogate.
 */
import { type LifReset, type Surrogate, surrogateGrad } from './lif.ts';
import { useWasmKernels } from './wasm/instance.ts';
import { wasmLifBackwardOverTime, wasmLifForwardOverTime } from './wasm/lif.ts';

export interface LifStepOptions {
  decay: number;
  threshold: number;
  reset: LifReset;
  surrogate: Surrogate;
  alpha: number;
  detachReset: boolean;
  fire: boolean;
}

/**
 * u = decay·v + x; out = (u ≥ θ) as 0/1 (or u when not firing); v ← u(1 − s) or u − θs, in place.
 * u receives the pre-reset membrane for the backward pass.
 */
export function lifStepForward(o: LifStepOptions, x: Float32Array, v: Float32Array, out: Float32Array, u: Float32Array): void {
  const { decay, threshold } = o;
  const n = x.length;
  if (!o.fire) {
    for (let i = 0; i < n; i++) { const uv = decay * v[i]! + x[i]!; u[i] = uv; v[i] = uv; out[i] = uv; }
    return;
  }
  const zero = o.reset === 'zero';
  for (let i = 0; i < n; i++) {
    const uv = decay * v[i]! + x[i]!;
    const s = uv >= threshold ? 1 : 0;
    u[i] = uv;
    out[i] = s;
    v[i] = zero ? uv * (1 - s) : uv - threshold * s;
  }
}

/**
 * Backward of one step. `carry` holds dL/dv of this step's post-reset membrane (from the next
 * step) and is replaced in place by dL/dv of the previous step's; dy is dL/d(out), absent when
 * only the carry flows. dx receives dL/dx, or has it added with `add` (an input read at every step).
 */
export function lifStepBackward(o: LifStepOptions, u: Float32Array, out: Float32Array, dy: Float32Array | undefined, carry: Float32Array, dx: Float32Array, add = false): void {
  const { decay, threshold, surrogate, alpha, detachReset } = o;
  const n = u.length;
  if (!o.fire) {
    for (let i = 0; i < n; i++) { const gu = carry[i]! + (dy ? dy[i]! : 0); dx[i] = add ? dx[i]! + gu : gu; carry[i] = decay * gu; }
    return;
  }
  const zero = o.reset === 'zero';
  // fast_sigmoid (the examples' surrogate) inline: through surrogateGrad's switch the loop took
  // about twice as long.
  const fast = surrogate === 'fast_sigmoid';
  for (let i = 0; i < n; i++) {
    const uv = u[i]!, s = out[i]!, gv = carry[i]!;
    // v = u(1 − s) or u − θs: ∂v/∂u and ∂v/∂s.
    const dvdu = zero ? 1 - s : 1;
    const dvds = detachReset ? 0 : zero ? -uv : -threshold;
    const gs = (dy ? dy[i]! : 0) + gv * dvds;
    let sg: number;
    if (fast) { const d = 1 + alpha * Math.abs(uv - threshold); sg = 1 / (d * d); } else sg = surrogateGrad(surrogate, uv - threshold, alpha);
    const gu = gv * dvdu + gs * sg;
    dx[i] = add ? dx[i]! + gu : gu;
    carry[i] = decay * gu;
  }
}

/**
 * All T steps of one layer at once, for training with time folded into the batch (time-fold.ts):
 * x holds the steps one after another ([T·B, …]), or one step's worth when the input cannot change
 * over time (a layer fed by the first convolution of a directly encoded digit). out and u receive
 * every step; the membrane lives in one buffer for the call. With the WebAssembly kernels
 * (wasm/lif.ts) firing layers run there, with the same results.
 */
export function lifForwardOverTime(o: LifStepOptions, x: Float32Array, steps: number, out: Float32Array, u: Float32Array): void {
  if (useWasmKernels() && o.fire) return wasmLifForwardOverTime(o, x, steps, out, u);
  const n = out.length / steps;
  const constant = x.length === n;
  const v = new Float32Array(n);
  for (let t = 0; t < steps; t++) {
    const at = t * n;
    lifStepForward(o, constant ? x : x.subarray(at, at + n), v, out.subarray(at, at + n), u.subarray(at, at + n));
  }
}

/**
 * BPTT over all steps of lifForwardOverTime in one sweep, last step first, the membrane gradient
 * carried in one buffer. dx has x's length: for a constant input the steps' gradients are summed,
 * since every step read the same value.
 */
export function lifBackwardOverTime(o: LifStepOptions, u: Float32Array, out: Float32Array, dy: Float32Array, steps: number, dx: Float32Array): void {
  if (useWasmKernels() && o.fire && o.surrogate === 'fast_sigmoid') return wasmLifBackwardOverTime(o, u, out, dy, steps, dx);
  const n = out.length / steps;
  const constant = dx.length === n;
  const carry = new Float32Array(n);
  for (let t = steps - 1; t >= 0; t--) {
    const at = t * n, to = at + n;
    lifStepBackward(o, u.subarray(at, to), out.subarray(at, to), dy.subarray(at, to), carry, constant ? dx : dx.subarray(at, to), constant);
  }
}

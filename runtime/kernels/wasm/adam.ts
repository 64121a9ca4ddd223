/**
 * adam.wat on JavaScript arrays: copies a chunk of the parameters, gradients and both moments into
 * the kernels' memory (padded to whole vectors), steps it, and copies parameters and moments back.
 * On the MNIST MLP's 203,530 parameters a step measured about 4 ns a parameter against 11 for the
 * JS loop (CPU time, load ≈ 30), most of it the seven copies.
 */
import { f32At, scratchAlloc, scratchMark, scratchRelease, wasmExports } from './instance.ts';
import { wasmBase64 } from './adam.wasm.ts';

interface AdamExports {
  adam(w: number, g: number, m1: number, m2: number, n: number,
    lr: number, wd: number, beta1: number, beta2: number, eps: number, c1: number, c2: number, lo: number, hi: number): void;
}

/** `clip`: the updated weights are clipped to [−clip, clip] (BinaryConnect's latent weights). */
export interface AdamConstants { lr: number; wd: number; beta1: number; beta2: number; eps: number; c1: number; c2: number; clip?: number }

/** Parameters per round trip: the four arrays' chunks (32 KiB) stay in L1/L2 between copy and step. */
const CHUNK = 2048;

/** One Adam step of w in place (m1, m2 updated), in float32. */
export function wasmAdam(w: Float32Array, g: Float32Array, m1: Float32Array, m2: Float32Array, k: AdamConstants): void {
  const n = w.length;
  const mark = scratchMark();
  try {
    const at = [0, 1, 2, 3].map(() => scratchAlloc(4 * CHUNK)) as [number, number, number, number];
    const ex = wasmExports<AdamExports>('adam', wasmBase64);
    // Views made once per call, after every allocation (growing the memory detaches older views):
    // four fresh views per chunk cost as much as the copies on the MLP's 203,530 parameters.
    const [vw, vg, vm1, vm2] = at.map((p) => f32At(p, CHUNK)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const lo = -(k.clip ?? Infinity), hi = k.clip ?? Infinity;
    for (let i0 = 0; i0 < n; i0 += CHUNK) {
      const len = Math.min(CHUNK, n - i0), padded = (len + 3) & ~3;
      vw.set(w.subarray(i0, i0 + len));
      vg.set(g.subarray(i0, i0 + len));
      vm1.set(m1.subarray(i0, i0 + len));
      vm2.set(m2.subarray(i0, i0 + len));
      if (padded !== len) for (const v of [vw, vg, vm1, vm2]) v.fill(0, len, padded);
      ex.adam(...at, padded, k.lr, k.wd, k.beta1, k.beta2, k.eps, k.c1, k.c2, lo, hi);
      if (len === CHUNK) {
        w.set(vw, i0);
        m1.set(vm1, i0);
        m2.set(vm2, i0);
      } else {
        w.set(vw.subarray(0, len), i0);
        m1.set(vm1.subarray(0, len), i0);
        m2.set(vm2.subarray(0, len), i0);
      }
    }
  } finally {
    scratchRelease(mark);
  }
}

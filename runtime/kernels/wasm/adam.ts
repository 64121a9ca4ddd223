/**
 * adam.wat on JavaScript arrays, with the two moments resident in the kernels' memory between
 * steps (AdamMoments): a step copies a chunk of the parameters and gradients in (padded to whole
 * vectors), steps it, and copies the parameters back, 12 bytes a parameter. With the moments
 * copied in and out as well (28 bytes) the copies were half of Adam's time on binary_mlp's 2.9 M
 * parameters; on the MNIST MLP's 203,530 a step measured about 4 ns a parameter then, against 11
 * for the JS loop (CPU time, load ≈ 30).
 */
import { f32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { Resident } from './resident.ts';
import { wasmBase64 } from './adam.wasm.ts';

interface AdamExports {
  adam(w: number, g: number, m1: number, m2: number, n: number,
    lr: number, wd: number, beta1: number, beta2: number, eps: number, c1: number, c2: number, lo: number, hi: number): void;
}

/** `clip`: the updated weights are clipped to [−clip, clip] (BinaryConnect's latent weights). */
export interface AdamConstants { lr: number; wd: number; beta1: number; beta2: number; eps: number; c1: number; c2: number; clip?: number }

/** Parameters per round trip: the chunks (16 KiB) stay in L1/L2 between copy and step. */
const CHUNK = 2048;

/**
 * One parameter's first and second moments in a resident block, [m1 | m2], each padded to whole
 * vectors (the padding stays zero: its gradients are zero). The owner copies them out with `store`
 * whenever the JS arrays must be current (a checkpoint), and frees the block when done.
 */
export class AdamMoments {
  readonly padded: number;
  readonly block: Resident;

  constructor(readonly n: number, m1: Float32Array, m2: Float32Array) {
    this.padded = (n + 3) & ~3;
    this.block = new Resident(8 * this.padded);
    const v = f32At(this.block.at, 2 * this.padded);
    v.fill(0);
    v.set(m1);
    v.set(m2, this.padded);
  }

  /** Copy the moments out into the JS arrays. */
  store(m1: Float32Array, m2: Float32Array): void {
    m1.set(f32At(this.block.at, this.n));
    m2.set(f32At(this.block.at + 4 * this.padded, this.n));
  }
}

/** One Adam step of w in place (its moments updated where they live), in float32. */
export function wasmAdam(w: Float32Array, g: Float32Array, moments: AdamMoments, k: AdamConstants): void {
  const n = w.length;
  withScratch(() => {
    const aw = scratchAlloc(4 * CHUNK), ag = scratchAlloc(4 * CHUNK);
    const ex = wasmExports<AdamExports>('adam', wasmBase64);
    // Views made once per call, after every allocation (growing the memory detaches older views):
    // fresh views per chunk cost as much as the copies on the MLP's 203,530 parameters.
    const vw = f32At(aw, CHUNK), vg = f32At(ag, CHUNK);
    const m1 = moments.block.at, m2 = m1 + 4 * moments.padded;
    const lo = -(k.clip ?? Infinity), hi = k.clip ?? Infinity;
    for (let i0 = 0; i0 < n; i0 += CHUNK) {
      const len = Math.min(CHUNK, n - i0), padded = (len + 3) & ~3;
      vw.set(w.subarray(i0, i0 + len));
      vg.set(g.subarray(i0, i0 + len));
      if (padded !== len) { vw.fill(0, len, padded); vg.fill(0, len, padded); }
      ex.adam(aw, ag, m1 + 4 * i0, m2 + 4 * i0, padded, k.lr, k.wd, k.beta1, k.beta2, k.eps, k.c1, k.c2, lo, hi);
      w.set(len === CHUNK ? vw : vw.subarray(0, len), i0);
    }
  });
}

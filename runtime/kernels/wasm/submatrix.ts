/**
 * submatrix.wat on JavaScript arrays: a dense weight cut to dropout's kept rows and columns, and
 * its gradient spread back (runtime/autodiff/submatrix.ts). Staging the whole weight into the
 * kernels' memory is one memcpy; the gather or scatter that follows is what JS did slowly.
 */
import { copyIn, copyInInts, f32At, scratchAlloc, wasmExports, withScratch } from './instance.ts';
import { wasmBase64 } from './submatrix.wasm.ts';
import { wasmBinarizeAt } from './binarize.ts';

interface SubmatrixExports {
  cut(w: number, inF: number, rows: number, nr: number, cols: number, nc: number, out: number): void;
  spread(g: number, outF: number, inF: number, rows: number, nr: number, slot: number, nc: number, line: number, out: number): void;
}

const ex = (): SubmatrixExports => wasmExports<SubmatrixExports>('submatrix', wasmBase64);

/** Every row index of an uncut axis. */
const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/**
 * out[r, c] = w[rows[r], cols[c]] for w [outF, inF]; rows undefined keeps every row. With
 * `binarize`, the cut is binarized to ±1 before it is copied out (binarize.wat: a binary layer's
 * latent weights, binarizing only what the product uses), and the result says whether every cut
 * value was within [−1, 1]; without, it is true.
 */
export function wasmCut(w: Float32Array, inF: number, rows: Int32Array | undefined, cols: Int32Array, out: Float32Array, binarize = false): boolean {
  const r = rows ?? all(w.length / inF);
  return withScratch(() => {
    const padded = (out.length + 3) & ~3;
    const pw = copyIn(w), pr = copyInInts(r), pc = copyInInts(cols), po = scratchAlloc(4 * padded);
    ex().cut(pw, inF, pr, r.length, pc, cols.length, po);
    let inside = true;
    if (binarize) {
      // Zeros pad the cut to whole vectors: they are inside the window, and never copied out.
      f32At(po, padded).fill(0, out.length);
      inside = wasmBinarizeAt(po, padded);
    }
    out.set(f32At(po, out.length));
    return inside;
  });
}

/** g [rows, cols] placed at rows × cols of out [outF, inF], zeros elsewhere; rows undefined is every row. */
export function wasmSpread(g: Float32Array, inF: number, rows: Int32Array | undefined, cols: Int32Array, out: Float32Array): void {
  const outF = out.length / inF, r = rows ?? all(outF), nc = cols.length;
  const slot = new Int32Array(inF).fill(nc);
  for (let c = 0; c < nc; c++) slot[cols[c]!] = c;
  withScratch(() => {
    const pg = copyIn(g), pr = copyInInts(r), ps = copyInInts(slot), pl = scratchAlloc(4 * (nc + 1)), po = scratchAlloc(4 * out.length);
    ex().spread(pg, outF, inF, pr, r.length, ps, nc, pl, po);
    out.set(f32At(po, out.length));
  });
}

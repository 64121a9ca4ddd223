/**
 * im2col as a gather. With the input's padding written out once (a zero border, so no window
 * ever reads outside it), element (tap q, output pixel j) of the column matrix is
 *   xp[tapOffset[q] + pixelOffset[j]]
 * where tapOffset is c·Hp·Wp + ki·dh·Wp + kj·dw and pixelOffset is b·C·Hp·Wp + oy·sh·Wp + ox·sw.
 * Packing the GEMM's panels is then one load and one store per element with no bounds tests and
 * no index arithmetic in the inner loop, for any stride and dilation, and a whole minibatch's
 * pixels can sit in one product. col2im is the same tables run backwards, adding into a padded
 * gradient.
 */
import type { ConvGeometry } from './conv-common.ts';
import { GEMM_NR, type PackB } from './gemm.ts';

/** A batch of planes with their padding materialized: [n, c, hp, wp]. */
export interface Padded {
  data: Float32Array;
  hp: number;
  wp: number;
}

const unpadded = (g: ConvGeometry) => g.pt + g.pl + g.pb + g.pr === 0;

/** x [n, c, h, w] inside a zero border of the geometry's pads (x itself when there are none). */
export function padInput(g: ConvGeometry, x: Float32Array): Padded {
  const hp = g.h + g.pt + g.pb, wp = g.w + g.pl + g.pr;
  if (unpadded(g)) return { data: x, hp, wp };
  const out = new Float32Array(g.n * g.cin * hp * wp);
  padImages(g, x, 0, g.n, out);
  return { data: out, hp, wp };
}

/** Images [n0, n0 + count) of x written padded into `out` from its start; the border is left as it is (zero). */
export function padImages(g: ConvGeometry, x: Float32Array, n0: number, count: number, out: Float32Array): void {
  const hp = g.h + g.pt + g.pb, wp = g.w + g.pl + g.pr;
  for (let plane = 0; plane < count * g.cin; plane++) {
    for (let y = 0; y < g.h; y++) {
      const src = ((n0 * g.cin + plane) * g.h + y) * g.w;
      out.set(x.subarray(src, src + g.w), (plane * hp + y + g.pt) * wp + g.pl);
    }
  }
}

/** A zero padded gradient buffer for dx, or dx itself when there are no pads. */
export function paddedGradient(g: ConvGeometry, dx: Float32Array): Padded {
  const hp = g.h + g.pt + g.pb, wp = g.w + g.pl + g.pr;
  return { data: unpadded(g) ? dx : new Float32Array(g.n * g.cin * hp * wp), hp, wp };
}

/** The interior of a padded gradient, written into dx (nothing to do when it is dx). */
export function cropGradient(g: ConvGeometry, p: Padded, dx: Float32Array): void {
  if (p.data !== dx) cropImages(g, p.data, 0, g.n, dx);
}

/** The interior of `count` padded gradient images from the start of `padded`, into dx's images [n0, n0 + count). */
export function cropImages(g: ConvGeometry, padded: Float32Array, n0: number, count: number, dx: Float32Array): void {
  const hp = g.h + g.pt + g.pb, wp = g.w + g.pl + g.pr;
  for (let plane = 0; plane < count * g.cin; plane++) {
    for (let y = 0; y < g.h; y++) {
      const src = (plane * hp + y + g.pt) * wp + g.pl;
      dx.set(padded.subarray(src, src + g.w), ((n0 * g.cin + plane) * g.h + y) * g.w);
    }
  }
}

/** Offsets of the cinG·kh·kw taps of channel group `c0`, in weight order (c, ki, kj). */
export function tapOffsets(g: ConvGeometry, p: Padded, c0: number): Int32Array {
  const t = new Int32Array(g.kdim);
  let q = 0;
  for (let c = 0; c < g.cinG; c++) {
    for (let ki = 0; ki < g.kh; ki++) {
      for (let kj = 0; kj < g.kw; kj++) t[q++] = ((c0 + c) * p.hp + ki * g.dh) * p.wp + kj * g.dw;
    }
  }
  return t;
}

/** Offsets of the output pixels of images [n0, n0 + count), image-major then row-major. */
export function pixelOffsets(g: ConvGeometry, p: Padded, n0: number, count: number): Int32Array {
  const t = new Int32Array(count * g.oh * g.ow);
  const image = g.cin * p.hp * p.wp;
  let j = 0;
  for (let b = n0; b < n0 + count; b++) {
    for (let y = 0; y < g.oh; y++) {
      const row = b * image + y * g.sh * p.wp;
      for (let x = 0; x < g.ow; x++) t[j++] = row + x * g.sw;
    }
  }
  return t;
}

/**
 * Packs B[q, j] = src[rows[q] + cols[j]] (rows × cols) for the packed GEMM (sgemmPackedB):
 * NR-column panels of kc rows, columns past the end zero. The panel's four column offsets stay
 * in registers while its rows stream by.
 */
export function gatherPacker(src: Float32Array, rows: Int32Array, cols: Int32Array): PackB {
  const NR = GEMM_NR;
  return (p0, kc, j0, nc, out, wOff) => {
    let o = wOff;
    for (let j = 0; j < nc; j += NR) {
      const left = nc - j;
      if (left >= NR) {
        const a = cols[j0 + j]!, b = cols[j0 + j + 1]!, c = cols[j0 + j + 2]!, d = cols[j0 + j + 3]!;
        for (let q = p0; q < p0 + kc; q++, o += NR) {
          const r = rows[q]!;
          out[o] = src[r + a]!; out[o + 1] = src[r + b]!; out[o + 2] = src[r + c]!; out[o + 3] = src[r + d]!;
        }
      } else {
        for (let q = p0; q < p0 + kc; q++) {
          const r = rows[q]!;
          for (let s = 0; s < NR; s++) out[o++] = s < left ? src[r + cols[j0 + j + s]!]! : 0;
        }
      }
    }
  };
}

/**
 * The same gather into a row-major matrix out[q·ld + j] (for the threaded, unpacked and WebAssembly
 * GEMMs). With the pixels given row by row (every ow-th of pixelOffsets starts a row whose pixels
 * are sw apart), the inner loop is a strided run with no table lookup per element.
 */
export function gatherMatrix(src: Float32Array, taps: Int32Array, pixels: Int32Array, ow: number, sw: number, out: Float32Array, ld: number): void {
  rowRuns(src, taps, pixels, ow, sw, out, ld, false);
}

/** col2im, the adjoint of gatherMatrix: dst[taps[q] + pixel j] += m[q·ld + j]. */
export function scatterAdd(m: Float32Array, ld: number, taps: Int32Array, pixels: Int32Array, ow: number, sw: number, dst: Float32Array): void {
  rowRuns(dst, taps, pixels, ow, sw, m, ld, true);
}

/**
 * Walks image and matrix together, copying image → matrix, or adding matrix into image when `add`.
 * Four loops rather than one with the choices inside: V8 does not hoist them, and the rows are
 * short (8 pixels on spiking_cnn's second layer), so the tests cost as much as the copies.
 */
function rowRuns(img: Float32Array, taps: Int32Array, pixels: Int32Array, ow: number, sw: number, mat: Float32Array, ld: number, add: boolean): void {
  const rows = pixels.length / ow;
  for (let q = 0; q < taps.length; q++) {
    const t = taps[q]!;
    let o = q * ld;
    if (sw === 1 && !add) {
      for (let r = 0; r < rows; r++) {
        const at = t + pixels[r * ow]!;
        for (let x = 0; x < ow; x++) mat[o + x] = img[at + x]!;
        o += ow;
      }
    } else if (sw === 1) {
      for (let r = 0; r < rows; r++) {
        const at = t + pixels[r * ow]!;
        for (let x = 0; x < ow; x++) img[at + x] = img[at + x]! + mat[o + x]!;
        o += ow;
      }
    } else if (!add) {
      for (let r = 0; r < rows; r++) for (let x = 0, at = t + pixels[r * ow]!; x < ow; x++, at += sw) mat[o++] = img[at]!;
    } else {
      for (let r = 0; r < rows; r++) for (let x = 0, at = t + pixels[r * ow]!; x < ow; x++, at += sw) img[at] = img[at]! + mat[o++]!;
    }
  }
}

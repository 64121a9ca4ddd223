/**
 * shiftImages moves each sample with one memmove and zeroes the border; here it is held to the
 * translation written pixel by pixel: out[ch, i, j] = in[ch, i − dy, j − dx] where that is inside
 * the image, else 0, with (dy, dx) drawn from the same generator in the same order.
 */
import { describe, expect, it } from 'vitest';
import { shiftImages } from '../../../runtime/train/augment.ts';
import { DataOrder } from '../../../runtime/train/batches.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';

function reference(x: Float32Array, n: number, [c, h, w]: [number, number, number], shift: number, rng: DataOrder): Float32Array {
  const out = new Float32Array(x.length), per = c * h * w;
  for (let s = 0; s < n; s++) {
    const dy = Math.floor(rng.next() * (2 * shift + 1)) - shift;
    const dx = Math.floor(rng.next() * (2 * shift + 1)) - shift;
    for (let ch = 0; ch < c; ch++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      const si = i - dy, sj = j - dx;
      out[s * per + (ch * h + i) * w + j] = si >= 0 && si < h && sj >= 0 && sj < w ? x[s * per + (ch * h + si) * w + sj]! : 0;
    }
  }
  out.set(x.subarray(n * per), n * per);
  return out;
}

describe('shiftImages', () => {
  for (const [shape, shift] of [[[1, 28, 28], 2], [[3, 7, 5], 1], [[2, 6, 9], 3], [[1, 3, 3], 4], [[2, 2, 5], 3]] as [[number, number, number], number][]) {
    it(`translates every sample as the pixel-by-pixel definition does ([${shape.join(', ')}], shift ${shift})`, () => {
      const per = shape[0] * shape[1] * shape[2], n = 40, rng = mulberry32(per);
      // One more sample than shifted: it must stay as it was.
      const x = Float32Array.from({ length: (n + 1) * per }, () => rng() + 0.5);
      const want = reference(x, n, shape, shift, new DataOrder(7));
      const got = { shape: [n + 1, ...shape], data: Float32Array.from(x) };
      shiftImages(got, n, shape, shift, new DataOrder(7));
      expect(Array.from(got.data)).toEqual(Array.from(want));
      // Some samples moved (and by a whole row or more).
      expect(Array.from(got.data)).not.toEqual(Array.from(x));
    });
  }
});

/**
 * Training-time data augmentation for image data sets: each sample of a minibatch is translated
 * by a random whole number of pixels in [−shift, shift] along height and width, the uncovered
 * border filled with zeros (the background of MNIST). Random translations are the simplest of the
 * distortions Simard, Steinkraus & Platt 2003 found to help small networks on MNIST. The draws
 * come from the run's data-order generator, so a resumed run augments exactly as an unbroken one.
 */
import type { Tensor } from '../tensor.ts';
import type { DataOrder } from './batches.ts';

/**
 * Translate the first `n` samples of x [n, ..., C·H·W as sampleShape] in place. A translation by
 * (dy, dx) moves every pixel by dy·W + dx in the flat sample, so one memmove (copyWithin) does it;
 * what lands outside its own row or channel plane is exactly what the zero border overwrites. A
 * copy row by row cost 9 % of the MNIST MLP's training loop.
 */
export function shiftImages(x: Tensor, n: number, sampleShape: readonly number[], shift: number, rng: DataOrder): void {
  if (shift <= 0 || sampleShape.length !== 3) return;
  const [c, h, w] = sampleShape as [number, number, number];
  const per = c * h * w;
  const d = x.data;
  for (let s = 0; s < n; s++) {
    const dy = Math.floor(rng.next() * (2 * shift + 1)) - shift;
    const dx = Math.floor(rng.next() * (2 * shift + 1)) - shift;
    if (dx === 0 && dy === 0) continue;
    const base = s * per, off = dy * w + dx;
    // Moved off the image entirely: nothing is left, and the memmove's bounds below would turn
    // negative and copy across neighbouring samples.
    if (Math.abs(dy) >= h || Math.abs(dx) >= w) { d.fill(0, base, base + per); continue; }
    if (off > 0) d.copyWithin(base + off, base, base + per - off);
    else d.copyWithin(base, base - off, base + per);
    const y0 = Math.max(0, dy), y1 = Math.min(h, h + dy), x0 = Math.max(0, dx), x1 = Math.min(w, w + dx);
    for (let ch = 0; ch < c; ch++) {
      const plane = base + ch * h * w;
      d.fill(0, plane, plane + y0 * w);
      d.fill(0, plane + y1 * w, plane + h * w);
      for (let i = y0; i < y1; i++) {
        const row = plane + i * w;
        for (let j = 0; j < x0; j++) d[row + j] = 0;
        for (let j = x1; j < w; j++) d[row + j] = 0;
      }
    }
  }
}

/**
 * Training-time data augmentation for image data sets: each sample of a minibatch is translated
 * by a random whole number of pixels in [−shift, shift] along height and width, the uncovered
 * border filled with zeros (the background of MNIST). Random translations are the simplest of the
 * distortions Simard, Steinkraus & Platt 2003 found to help small networks on MNIST. The draws
 * come from the run's data-order generator, so a resumed run augments exactly as an unbroken one.
 */
import type { Tensor } from '../tensor.ts';
import type { DataOrder } from './batches.ts';

/** Translate the first `n` samples of x [n, ..., C·H·W as sampleShape] in place. */
export function shiftImages(x: Tensor, n: number, sampleShape: readonly number[], shift: number, rng: DataOrder): void {
  if (shift <= 0 || sampleShape.length !== 3) return;
  const [c, h, w] = sampleShape as [number, number, number];
  const per = c * h * w;
  const src = new Float32Array(per);
  const d = x.data;
  for (let s = 0; s < n; s++) {
    const dy = Math.floor(rng.next() * (2 * shift + 1)) - shift;
    const dx = Math.floor(rng.next() * (2 * shift + 1)) - shift;
    if (dx === 0 && dy === 0) continue;
    const base = s * per;
    src.set(d.subarray(base, base + per));
    d.fill(0, base, base + per);
    const x0 = Math.max(0, dx), x1 = Math.min(w, w + dx);
    for (let ch = 0; ch < c; ch++) {
      for (let i = Math.max(0, dy); i < Math.min(h, h + dy); i++) {
        const to = base + (ch * h + i) * w;
        const from = (ch * h + i - dy) * w - dx;
        for (let j = x0; j < x1; j++) d[to + j] = src[from + j]!;
      }
    }
  }
}

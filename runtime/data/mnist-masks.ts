/**
 * A segmentation task on the shipped MNIST digits: find the pixels of the digit. The input is the
 * digit with `strokes` straight distractor strokes drawn over it (each as wide and as bright as a
 * pen stroke of MNIST, 6-18 pixels long, anywhere in the image) and additive Gaussian noise of
 * standard deviation `noise`, clipped to [0, 1]; the target is the class of each pixel, 1 where
 * the clean digit is above one half, else 0 (a [28, 28] class map per sample).
 *
 * Why the clutter: the foreground of a clean MNIST digit is its own threshold, so any network
 * scores an IoU near 1 and proves nothing. With noise a pixel's value no longer tells its class,
 * and the strokes are as bright as the digit, so only shape and context separate them (thresholding
 * the input at one half scores a lower IoU, measured in test/runtime/data/mnist-masks.test.ts). Digits come from the
 * fixed mnist split, so the test digits are never trained on; the clutter is a function of the seed.
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { mulberry32, normalSampler } from '../tensor.ts';
import type { Dataset, Split } from './dataset.ts';
import { mnistSplit } from './mnist.ts';

export interface MnistMasksOptions {
  train: number;
  test: number;
  noise: number;
  strokes: number;
  seed: number;
}

export const MNIST_MASKS_DEFAULTS: MnistMasksOptions = { train: 8000, test: 2000, noise: 0.3, strokes: 2, seed: 5 };

const SIDE = 28;
/** A pixel of the clean digit above this is foreground: MNIST's anti-aliased edges fall below it. */
export const FOREGROUND = 0.5;

/** Draw a segment of MNIST-like width (full value within 1 pixel of its axis, fading out by 1.6). */
function drawStroke(img: Float32Array, rng: () => number): void {
  const len = 6 + 12 * rng(), angle = Math.PI * rng();
  const cx = 3 + (SIDE - 6) * rng(), cy = 3 + (SIDE - 6) * rng();
  const dx = (Math.cos(angle) * len) / 2, dy = (Math.sin(angle) * len) / 2;
  const [x0, y0, x1, y1] = [cx - dx, cy - dy, cx + dx, cy + dy];
  const bright = 0.8 + 0.2 * rng();
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const t = Math.max(0, Math.min(1, ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / (len * len)));
      const d = Math.hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0)));
      const v = bright * Math.max(0, Math.min(1, 1.6 - d));
      if (v > img[y * SIDE + x]!) img[y * SIDE + x] = v;
    }
  }
}

function cluttered(digits: Dataset, o: MnistMasksOptions, seed: number, name: string): Dataset {
  const rng = mulberry32(seed);
  const gauss = normalSampler(rng);
  const px = SIDE * SIDE;
  const x = new Float32Array(digits.count * px);
  const y = new Int32Array(digits.count * px);
  for (let s = 0; s < digits.count; s++) {
    const clean = digits.x.subarray(s * px, (s + 1) * px);
    const img = Float32Array.from(clean);
    for (let k = 0; k < o.strokes; k++) drawStroke(img, rng);
    for (let i = 0; i < px; i++) {
      x[s * px + i] = Math.max(0, Math.min(1, img[i]! + o.noise * gauss()));
      y[s * px + i] = clean[i]! > FOREGROUND ? 1 : 0;
    }
  }
  return { name, sampleShape: [1, SIDE, SIDE], x, y, count: digits.count, classes: 2, preprocess: { kind: 'none' } };
}

export function mnistMasksSplit(given: Partial<MnistMasksOptions> = {}): Split {
  const o = { ...MNIST_MASKS_DEFAULTS, ...given };
  if (!(o.noise >= 0 && Number.isInteger(o.strokes) && o.strokes >= 0 && Number.isInteger(o.seed) && o.seed >= 0)) {
    throw new KilnError(error('data', 'mnist_masks needs a noise ≥ 0 and whole numbers strokes ≥ 0 and seed ≥ 0', undefined, 'e.g. data mnist_masks(train = 2000, test = 500, noise = 0.3, strokes = 2)'));
  }
  const digits = mnistSplit(o.train, o.test);
  return { train: cluttered(digits.train, o, o.seed * 2 + 1, 'mnist_masks-train'), test: cluttered(digits.test, o, o.seed * 2 + 2, 'mnist_masks-test') };
}

/**
 * Weights stored in a low precision (`optimizer sgd(…, storage = bf16)`): after every update each
 * learnable parameter is rounded to the storage format, so an update smaller than half an ulp of
 * its weight is lost. With `kahan = true` the update is Kahan-summed instead (Park et al. 2018):
 * the compensation c, what the last rounding lost, is itself stored in the same format and
 * subtracted from the next update, so many tiny updates still add up.
 *
 *   f16, bf16  round to nearest, ties to even. The sum w + y is formed in f32 first, as a unit
 *              with f32 adders and narrow storage does; rounding f32 to these formats after f64 to
 *              f32 cannot differ from rounding once (24 ≥ 2·11 + 2 bits).
 *   i16        16-bit fixed point, mantissas in ±32767 sharing one power-of-two exponent per tensor,
 *              chosen after the update from the tensor's max|w| (kernels/fixed-point.ts); the
 *              compensation buffer has its own per-tensor exponent, chosen from max|c|, so it keeps
 *              what the weights' step cannot hold.
 *
 * The arrays stay Float32Array holding the rounded values, all exactly representable in f32, so
 * checkpoints and every kernel read them unchanged.
 */
import { bf16Round, f16Round } from '../autodiff/precision.ts';
import { chooseExponent, INT16_MAX } from '../kernels/fixed-point.ts';
import { roundHalfEven, saturate } from '../kernels/quant-int8.ts';

export const STORAGE_FORMATS = ['f32', 'f16', 'bf16', 'i16'] as const;
export type WeightStorage = (typeof STORAGE_FORMATS)[number];

const ROUND: Record<'f16' | 'bf16', (v: number) => number> = { f16: f16Round, bf16: bf16Round };

/** The fixed-point value of v with step 2^e: round half to even, saturating at ±32767 steps. */
const fixed = (v: number, step: number): number => saturate(roundHalfEven(v / step), -INT16_MAX, INT16_MAX) * step;

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) { const v = Math.abs(a[i]!); if (v > m) m = v; }
  return m;
}

/** Round `w` in place to the storage format (f32: nothing to do). */
export function roundStored(w: Float32Array, fmt: WeightStorage): void {
  if (fmt === 'f32') return;
  if (fmt === 'i16') {
    const step = 2 ** chooseExponent(maxAbs(w));
    for (let i = 0; i < w.length; i++) w[i] = fixed(w[i]!, step);
    return;
  }
  const round = ROUND[fmt];
  for (let i = 0; i < w.length; i++) w[i] = round(w[i]!);
}

/**
 * w ← round(w + δ), or with `comp` the Kahan step per element
 *   y = δ − c;  t = round(w + y);  c = round((t − w) − y);  w = t
 * `delta` is scratch: it is overwritten.
 */
export function storeUpdate(w: Float32Array, delta: Float32Array, comp: Float32Array | undefined, fmt: Exclude<WeightStorage, 'f32'>): void {
  const n = w.length;
  if (comp) for (let i = 0; i < n; i++) delta[i] = delta[i]! - comp[i]!;
  if (fmt === 'i16') {
    // The new weights' exponent depends on all of them, so the sums are formed first.
    const sum = new Float32Array(n);
    for (let i = 0; i < n; i++) sum[i] = w[i]! + delta[i]!;
    const step = 2 ** chooseExponent(maxAbs(sum));
    for (let i = 0; i < n; i++) {
      const t = fixed(sum[i]!, step);
      delta[i] = t - w[i]! - delta[i]!;
      w[i] = t;
    }
    if (comp) {
      const cstep = 2 ** chooseExponent(maxAbs(delta));
      for (let i = 0; i < n; i++) comp[i] = fixed(delta[i]!, cstep);
    }
    return;
  }
  const round = ROUND[fmt];
  for (let i = 0; i < n; i++) {
    const y = delta[i]!;
    const t = round(Math.fround(w[i]! + y));
    if (comp) comp[i] = round(Math.fround(t - w[i]!) - y);
    w[i] = t;
  }
}

/**
 * Requantization by an integer multiplier and shift, as integer-only inference does it (Jacob et
 * al. 2018, "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
 * Inference", §2.2; gemmlowp's fixedpoint.h, which TFLite's MultiplyByQuantizedMultiplier uses).
 * A real multiplier M = s_in·s_w / s_out is written M = m0·2^(shift − 31) with m0 an int32 in
 * [2^30, 2^31); an int32 accumulator is then scaled by
 *   SaturatingRoundingDoublingHighMul(acc·2^left, m0)   (the high 32 bits of 2·acc·m0, rounded)
 *   RoundingDivideByPOT(…, right)                        (an arithmetic shift, rounded)
 * Both round half away from zero, as gemmlowp does (not half to even): this is the documented
 * rounding of Kiln's int8 requantization. No float touches the accumulator.
 */
export const I32_MIN = -2147483648;
export const I32_MAX = 2147483647;

export interface FixedMultiplier {
  /** int32 in [2^30, 2^31), or 0 for a zero multiplier. */
  m0: number;
  /** Bits shifted left before (≥ 0) the high multiply … */
  left: number;
  /** … and right after it (≥ 0). */
  right: number;
}

/** M = m0·2^(left − right − 31), m0 rounded to nearest (TFLite's QuantizeMultiplier). */
export function quantizeMultiplier(real: number): FixedMultiplier {
  if (!(real > 0) || !Number.isFinite(real)) return { m0: 0, left: 0, right: 0 };
  let e = Math.floor(Math.log2(real)) + 1; // real = q·2^e with q in [0.5, 1)
  let q = real / 2 ** e;
  if (q >= 1) { q /= 2; e++; }
  if (q < 0.5) { q *= 2; e--; }
  let m0 = Math.round(q * 2 ** 31);
  if (m0 === 2 ** 31) { m0 /= 2; e++; }
  // A multiplier below 2^-31 rounds every accumulator to zero: keep it as zero, not as a huge shift.
  if (e < -31) return { m0: 0, left: 0, right: 0 };
  return { m0, left: Math.max(0, e), right: Math.max(0, -e) };
}

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: (a·b + nudge) / 2^31 truncated, nudge 2^30 for a
 * non-negative product and 1 − 2^30 for a negative one. a·b needs 62 bits, more than a double
 * holds exactly, so b is split in 16-bit halves and the division done in two exact steps.
 */
export function srdhm(a: number, b: number): number {
  if (a === I32_MIN && b === I32_MIN) return I32_MAX;
  const bHi = Math.floor(b / 65536), bLo = b - bHi * 65536;
  const hi = a * bHi; // |hi| < 2^47, exact
  const lo = a * bLo; // |lo| < 2^47, exact
  const negative = a * b < 0; // the sign is right even where the magnitude is rounded
  const nudge = negative ? 1 - 2 ** 30 : 2 ** 30;
  // a·b + nudge = hi·2^16 + lo + nudge = q1·2^31 + (r1·2^16 + lo + nudge), with hi = q1·2^15 + r1.
  const q1 = Math.floor(hi / 32768);
  const r1 = hi - q1 * 32768;
  const rest = r1 * 65536 + lo + nudge; // |rest| < 2^48, exact
  const fl = q1 + Math.floor(rest / 2 ** 31);
  // Truncation toward zero (C++'s int64 division) is the floor except for an inexact negative.
  const exact = ((rest % 2 ** 31) + 2 ** 31) % 2 ** 31 === 0;
  return fl < 0 && !exact ? fl + 1 : fl;
}

/** gemmlowp's RoundingDivideByPOT: x / 2^exponent, rounded half away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  // x >> e and x & (2^e − 1) in two's complement, written so e = 31 works too.
  const p = 2 ** exponent;
  const floor = Math.floor(x / p);
  const remainder = x - floor * p;
  const threshold = Math.floor((p - 1) / 2) + (x < 0 ? 1 : 0);
  return floor + (remainder > threshold ? 1 : 0);
}

/** acc·M in integers, saturating the left shift to int32 as gemmlowp's SaturatingLeftShift. */
export function multiplyByFixed(acc: number, f: FixedMultiplier): number {
  let x = acc * 2 ** f.left;
  x = x > I32_MAX ? I32_MAX : x < I32_MIN ? I32_MIN : x;
  return roundingDivideByPOT(srdhm(x, f.m0), f.right);
}

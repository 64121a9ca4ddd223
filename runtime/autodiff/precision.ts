/**
 * Quantization-aware training: the forward pass sees a layer's weights and outputs at the
 * precision its `weights =` / `activations =` attributes choose (quantize, then dequantize back
 * to f32 — "fake quantization"), and the backward pass replaces the rounding, which has a zero
 * derivative almost everywhere, by a straight-through estimator (Bengio et al. 2013):
 *   binary   sign(x) with x = 0 → +1 (BinaryNet); gradient passes where |x| ≤ 1, the hardtanh STE of
 *            Courbariaux, Hubara et al. 2016 ("Binarized Neural Networks"). Weights stay real
 *            ("latent") in the optimizer and are clipped to [−1, 1] after each step (BinaryConnect).
 *   ternary  TWN (Li, Zhang & Liu 2016): α·t, t ∈ {−1, 0, 1}, Δ = 0.7·mean|w|; identity STE.
 *   i8       symmetric max-abs scale, per tensor or per output channel (Jacob et al. 2018); the
 *            gradient is cut where a value saturated.
 *   i16      dynamic fixed point: int16 mantissas with a shared power-of-two exponent per tensor
 *            or per channel (Courbariaux, Bengio & David 2014); identity STE.
 *   f16/bf16 round to nearest even in the narrower format; identity STE.
 * Per-channel means axis 0 of a weight ([out, …]) and axis 1 of an activation ([batch, C, …]).
 *
 * A post-training-quantized layer (kiln quantize) carries static scales: then i8 uses them instead
 * of max|x| and saturates beyond them, i16 uses their power-of-two step, and ternary keeps its
 * stored α, so a sample's output no longer depends on the other samples of its batch.
 */
import type { Precision } from '../../compiler/ir/dtype.ts';
import { type Tensor, zeros } from '../tensor.ts';
import { outputArray } from '../kernels/step-buffers.ts';
import { binarizeInside } from '../kernels/activations.ts';
import { dequantizeLinear, fakeQuantInt8, fakeQuantInt8Backward, quantizeLinear } from '../kernels/quant-int8.ts';
import { dequantizeTernary, ternarize } from '../kernels/ternary.ts';
import { chooseExponent, INT16_MAX } from '../kernels/fixed-point.ts';
import { aroundAxis } from '../kernels/check.ts';
import { isScaleParam } from '../quantize/layer-precision.ts';
import type { Ste } from '../../compiler/ir/ops.ts';
import { defaultSte, quantizedRange, steBackward } from './ste.ts';

export type Role = 'weight' | 'activation';

export interface FakeQuant {
  y: Tensor;
  /** dL/dx from dL/dy through the straight-through estimator. */
  backward(dy: Tensor): Tensor;
}

const identity = (dy: Tensor): Tensor => dy;

function channelAxis(x: Tensor, p: Precision, role: Role): number | undefined {
  if (p.granularity !== 'per_channel') return undefined;
  if (role === 'weight') return x.shape.length >= 2 ? 0 : undefined;
  return x.shape.length >= 2 ? 1 : undefined;
}

/**
 * Binary weights made from their latent weights when first read. A layer that multiplies a
 * dropout's submatrix (submatrix.ts) reads none of them: it binarizes only its cut of the latent
 * weights, and notes whether those were inside the estimator's window. That note serves the
 * backward pass as well as one over every weight would: the layer's weight gradient is zero
 * outside its cut, where the estimator could only have zeroed it. Like every effective weight it
 * belongs to one forward pass: the optimizer's step changes the latent weights under it.
 */
export class LazyBinary implements Tensor {
  readonly shape: number[];
  #data: Float32Array | undefined;
  /** Every latent weight binarized so far was within [−1, 1]; undefined before any was. */
  inside: boolean | undefined;

  constructor(readonly latent: Tensor) {
    this.shape = [...latent.shape];
  }

  get data(): Float32Array {
    if (!this.#data) {
      const r = binarizeInside(this.latent);
      this.#data = r.y.data;
      this.inside = r.inside;
    }
    return this.#data;
  }

  get materialized(): boolean {
    return this.#data !== undefined;
  }
}

/**
 * Latent weights clipped to [−1, 1] after every step (BinaryConnect) stay inside the estimator's
 * window, which binarizing notes: then the backward pass hands dy on as it is instead of another
 * pass over every weight.
 */
function binary(x: Tensor): FakeQuant {
  const y = new LazyBinary(x);
  return {
    y,
    backward(dy) {
      if (y.inside) return dy;
      const xd = x.data, gd = dy.data, out = outputArray(xd.length);
      for (let i = 0; i < xd.length; i++) { const v = xd[i]!; out[i] = v <= 1 && v >= -1 ? gd[i]! : 0; }
      return { shape: [...x.shape], data: out };
    },
  };
}

/**
 * int16 dynamic fixed point with one exponent per slice along `axis` (or per tensor), chosen from
 * max|x| or given as static steps 2^e (then values beyond ±32767 steps saturate).
 */
function dfp16(x: Tensor, axis: number | undefined, steps?: Float32Array): FakeQuant {
  const { outer, len, inner } = axis === undefined || steps?.length === 1 ? { outer: 1, len: 1, inner: x.data.length } : aroundAxis(x.shape, axis);
  const xd = x.data;
  let step: ArrayLike<number>;
  if (steps) step = steps;
  else {
    const maxAbs = new Float64Array(len);
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < len; c++) {
        const base = (o * len + c) * inner;
        let m = maxAbs[c]!;
        for (let i = base; i < base + inner; i++) { const a = Math.abs(xd[i]!); if (a > m) m = a; }
        maxAbs[c] = m;
      }
    }
    step = Array.from(maxAbs, (m) => 2 ** chooseExponent(m));
  }
  const y = zeros(x.shape);
  for (let c = 0; c < len; c++) {
    const s = step[c]!;
    for (let o = 0; o < outer; o++) {
      const base = (o * len + c) * inner;
      for (let i = base; i < base + inner; i++) y.data[i] = Math.min(INT16_MAX, Math.max(-INT16_MAX, roundEven(xd[i]! / s))) * s;
    }
  }
  return { y, backward: identity };
}

/** Ternary with stored α: the threshold α/2 recovers t from a tensor already α·t (an export's). */
function staticTernary(x: Tensor, axis: number | undefined, alpha: Float32Array): Tensor {
  const { outer, len, inner } = axis === undefined || alpha.length === 1 ? { outer: 1, len: 1, inner: x.data.length } : aroundAxis(x.shape, axis);
  const y = zeros(x.shape);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < len; c++) {
      const a = alpha[c]!;
      const base = (o * len + c) * inner;
      for (let i = base; i < base + inner; i++) { const v = x.data[i]!; y.data[i] = Math.abs(v) > a / 2 ? Math.sign(v) * a : 0; }
    }
  }
  return y;
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round a double to the nearest IEEE binary16 value (ties to even), overflowing to ±∞. */
export function f16Round(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  if (a >= 65520) return v > 0 ? Infinity : -Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, -14) - 10);
  const r = roundEven(a / ulp) * ulp;
  return v > 0 ? r : -r;
}

const f32view = new Float32Array(1);
const u32view = new Uint32Array(f32view.buffer);

/** Round a float32 to bfloat16 (the top 16 bits), ties to even; NaN stays NaN. */
export function bf16Round(v: number): number {
  f32view[0] = v;
  const bits = u32view[0]!;
  if ((bits & 0x7f800000) === 0x7f800000) return v;
  u32view[0] = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) << 16;
  return f32view[0]!;
}

function rounded(x: Tensor, round: (v: number) => number): FakeQuant {
  const y = zeros(x.shape);
  for (let i = 0; i < y.data.length; i++) y.data[i] = round(x.data[i]!);
  return { y, backward: identity };
}

/**
 * int8 with the scales and zero points an imported model fixed (ONNX Q/DQ): QuantizeLinear then
 * DequantizeLinear, exactly as ONNX defines them; identity STE.
 */
function fixedInt8(x: Tensor, scale: number[], zeroPoint: number[] | undefined, axis: number | undefined): FakeQuant {
  const p = { scale: Float32Array.from(scale), zeroPoint: Int32Array.from(zeroPoint ?? scale.map(() => 0)), axis: scale.length > 1 ? axis : undefined };
  return { y: dequantizeLinear(quantizeLinear(x, p), x.shape, p), backward: identity };
}

/**
 * Fake-quantize `x` to precision `p`; undefined for f32 (nothing to do). `scale`, when given, is
 * the layer's static scale (one value, or one per channel): i8's step, i16's 2^e, ternary's α.
 * `ste` replaces the precision's own straight-through estimator (runtime/autodiff/ste.ts).
 */
export function fakeQuantize(x: Tensor, p: Precision | undefined, role: Role, scale?: Float32Array, ste?: Ste): FakeQuant | undefined {
  const fq = quantize(x, p, role, scale);
  if (!fq || ste === undefined || ste === defaultSte(p!)) return fq;
  const r = p!.dtype === 'binary' ? 1 : quantizedRange(fq.y.data);
  return { y: fq.y, backward: (dy) => steBackward(ste, x, dy, r) };
}

function quantize(x: Tensor, p: Precision | undefined, role: Role, scale?: Float32Array): FakeQuant | undefined {
  if (!p) return undefined;
  const axis = scale?.length === 1 ? undefined : channelAxis(x, p, role);
  switch (p.dtype) {
    case 'f32': return undefined;
    case 'binary': return binary(x);
    case 'ternary': return { y: scale ? staticTernary(x, axis, scale) : dequantizeTernary(ternarize(x, { axis })), backward: identity };
    case 'i8': {
      if (p.scale) return fixedInt8(x, p.scale, p.zero_point, axis);
      const { y, q } = fakeQuantInt8(x, { axis, narrowRange: role === 'weight', scale });
      return { y, backward: (dy) => fakeQuantInt8Backward(x, dy, q) };
    }
    case 'i16': return dfp16(x, axis, scale);
    case 'f16': return rounded(x, f16Round);
    case 'bf16': return rounded(x, bf16Round);
  }
}

/** Parameters a layer's `weights =` precision applies to: every learnable one but biases and shifts. */
export function isQuantizedParam(op: string, name: string): boolean {
  if (name.startsWith('running_') || isScaleParam(name)) return false;
  if (name === 'bias' || name === 'beta') return false;
  if ((op === 'rnn' || op === 'lstm' || op === 'gru') && /^b\d+$/.test(name)) return false;
  return true;
}

/** Parameters the optimizer updates: all but batch-norm running statistics. */
export const isLearnable = (name: string): boolean => !name.startsWith('running_') && !isScaleParam(name);

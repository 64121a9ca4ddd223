/**
 * The runtime's tensor: plain data (a shape and a row-major Float32Array), so kernels stay pure
 * functions on typed arrays and a tensor can be cloned, transferred or serialized without ceremony.
 * Layout convention for images is NCHW, batch first; sequences are [T, B, ...], time first.
 */
import { KilnError, error } from '../compiler/lang/diagnostics.ts';

import type { Tensor } from '../compiler/ir/tensor.ts';
export type { Tensor } from '../compiler/ir/tensor.ts';

/** Number of elements of a shape; the empty shape is a scalar with one element. */
export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C order) strides in elements. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new KilnError(error('tensor-shape', `invalid tensor shape [${shape.join(', ')}]`, undefined,
        'every dimension must be a non-negative integer'));
    }
  }
}

export function zeros(shape: readonly number[]): Tensor {
  checkShape(shape);
  return { shape: [...shape], data: new Float32Array(size(shape)) };
}

export function full(shape: readonly number[], value: number): Tensor {
  const t = zeros(shape);
  t.data.fill(value);
  return t;
}

/** Wrap or copy values into a tensor; the count must match the shape exactly. */
export function fromArray(shape: readonly number[], values: ArrayLike<number>): Tensor {
  checkShape(shape);
  const n = size(shape);
  if (values.length !== n) {
    throw new KilnError(error('tensor-shape', `${values.length} values do not fill shape [${shape.join(', ')}] (${n} elements)`,
      undefined, 'give exactly as many values as the product of the dimensions'));
  }
  return { shape: [...shape], data: Float32Array.from(values) };
}

export function clone(t: Tensor): Tensor {
  return { shape: [...t.shape], data: t.data.slice() };
}

/** Same data, new shape (no copy); the element count must not change. */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (size(shape) !== t.data.length) {
    throw new KilnError(error('tensor-shape', `cannot reshape [${t.shape.join(', ')}] to [${shape.join(', ')}]`,
      undefined, 'the element count must stay the same'));
  }
  return { shape: [...shape], data: t.data };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * mulberry32: a tiny, fast, seedable 32-bit PRNG (Tommy Ettinger, public domain), so runs and
 * tests are reproducible across machines. Returns floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;

/** Standard normal samples by Box–Muller; `1 - u` keeps the logarithm away from zero. */
export function normalSampler(rng: Rng): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export function randomUniform(shape: readonly number[], rng: Rng, lo = 0, hi = 1): Tensor {
  const t = zeros(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = lo + (hi - lo) * rng();
  return t;
}

export function randomNormal(shape: readonly number[], rng: Rng, mean = 0, std = 1): Tensor {
  const t = zeros(shape);
  const normal = normalSampler(rng);
  for (let i = 0; i < t.data.length; i++) t.data[i] = mean + std * normal();
  return t;
}

/**
 * Fan-in and fan-out of a weight tensor in Kiln's layouts: dense [out, in] and conv
 * [outC, inC/groups, ...kernel]; the receptive field multiplies both.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = size(shape.slice(2));
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** He (Kaiming) normal init, std = sqrt(2 / fanIn), for ReLU networks (He et al., 2015). */
export function heNormal(shape: readonly number[], rng: Rng): Tensor {
  return randomNormal(shape, rng, 0, Math.sqrt(2 / Math.max(1, fans(shape).fanIn)));
}

/** Glorot (Xavier) uniform init, limit = sqrt(6 / (fanIn + fanOut)) (Glorot & Bengio, 2010). */
export function glorotUniform(shape: readonly number[], rng: Rng): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
  return randomUniform(shape, rng, -limit, limit);
}

/**
 * Leaky integrate-and-fire neurons over T time steps (input [T, ...], time first):
 *   u[t] = decay·v[t−1] + I[t]          membrane before firing
 *   s[t] = 1 if u[t] ≥ threshold else 0
 *   v[t] = u[t]·(1 − s[t])              reset 'zero'
 *   v[t] = u[t] − threshold·s[t]        reset 'subtract' (the default; keeps the overshoot)
 * The Heaviside step has no useful derivative, so BPTT replaces ds/du with a surrogate σ'(u − θ):
 *   fast_sigmoid     1 / (1 + α|x|)²             SuperSpike (Zenke & Ganguli 2018), α = slope k, default 25 (snnTorch)
 *   atan             (α/2) / (1 + (π/2·α·x)²)     Fang et al. 2021 (SpikingJelly ATan), default α = 2
 *   triangle         max(0, 1 − α|x|)             piecewise linear (Esser et al. 2016; Bellec et al. 2018), default α = 1
 *   straight_through 1                            the identity straight-through estimator
 * With `detachReset` the reset term is treated as a constant in BPTT (as snnTorch's reset_mechanism
 * detach option and Zenke & Vogels 2021 recommend); by default the gradient flows through it.
 */
import { type Tensor, zeros } from '../tensor.ts';
import { expect } from './check.ts';

export type Surrogate = 'fast_sigmoid' | 'atan' | 'triangle' | 'straight_through';
export type LifReset = 'zero' | 'subtract';

export interface LifOptions {
  decay: number;
  threshold?: number;
  reset?: LifReset;
  surrogate?: Surrogate;
  /** The surrogate's sharpness α (see above); defaults per surrogate. */
  alpha?: number;
  detachReset?: boolean;
  /** false: the neurons never fire (a membrane readout: u is a leaky integral of the input). Default true. */
  fire?: boolean;
  /** Initial membrane potential [...]; zeros when absent. */
  v0?: Tensor;
}

const DEFAULT_ALPHA: Record<Surrogate, number> = { fast_sigmoid: 25, atan: 2, triangle: 1, straight_through: 1 };

/** σ'(x) for x = u − threshold. */
export function surrogateGrad(kind: Surrogate, x: number, alpha = DEFAULT_ALPHA[kind]): number {
  switch (kind) {
    case 'fast_sigmoid': { const d = 1 + alpha * Math.abs(x); return 1 / (d * d); }
    case 'atan': { const z = (Math.PI / 2) * alpha * x; return alpha / 2 / (1 + z * z); }
    case 'triangle': return Math.max(0, 1 - alpha * Math.abs(x));
    case 'straight_through': return 1;
  }
}

export interface LifCache {
  opts: Required<Omit<LifOptions, 'v0'>>;
  shape: number[];
  steps: number;
  neurons: number;
  v0: Float32Array;
  /** Pre-reset membrane u[t] and post-reset v[t], [T, ...]. */
  u: Float32Array;
  v: Float32Array;
  spikes: Float32Array;
}

export interface LifResult {
  spikes: Tensor;
  /** Membrane potential after each step's reset, [T, ...]. */
  v: Tensor;
  cache: LifCache;
}

export function lif(input: Tensor, o: LifOptions): LifResult {
  expect('lif', input.shape.length >= 1, 'input must be [T, ...] with time first');
  const steps = input.shape[0]!;
  const neurons = steps === 0 ? 0 : input.data.length / steps;
  const opts = {
    decay: o.decay, threshold: o.threshold ?? 1, reset: o.reset ?? 'subtract', surrogate: o.surrogate ?? 'fast_sigmoid',
    alpha: o.alpha ?? DEFAULT_ALPHA[o.surrogate ?? 'fast_sigmoid'], detachReset: o.detachReset ?? false, fire: o.fire ?? true,
  } satisfies LifCache['opts'];
  expect('lif', Number.isFinite(opts.decay) && Number.isFinite(opts.threshold), 'decay and threshold must be finite numbers');
  if (o.v0) expect('lif', o.v0.data.length === neurons, `initial membrane needs ${neurons} values, got ${o.v0.data.length}`);
  const v0 = o.v0 ? o.v0.data.slice() : new Float32Array(neurons);
  const u = new Float32Array(input.data.length);
  const v = new Float32Array(input.data.length);
  const s = new Float32Array(input.data.length);
  const { decay, threshold, reset, fire } = opts;
  for (let t = 0; t < steps; t++) {
    const off = t * neurons;
    for (let n = 0; n < neurons; n++) {
      const prev = t === 0 ? v0[n]! : v[off - neurons + n]!;
      const uv = decay * prev + input.data[off + n]!;
      const spike = fire && uv >= threshold ? 1 : 0;
      u[off + n] = uv;
      s[off + n] = spike;
      v[off + n] = reset === 'zero' ? uv * (1 - spike) : uv - threshold * spike;
    }
  }
  const shape = [...input.shape];
  return { spikes: { shape, data: s }, v: { shape: [...shape], data: v }, cache: { opts, shape, steps, neurons, v0, u, v, spikes: s } };
}

export interface LifGrads {
  dInput: Tensor;
  dv0: Tensor;
  /** dL/d(decay), for a learnable leak. */
  dDecay: number;
}

/**
 * BPTT given dL/d(spikes) [T, ...] and optionally dL/d(membrane) for every step (dv, e.g. from a
 * membrane-potential readout) — both may be omitted (zeros).
 */
export function lifBackward(cache: LifCache, dSpikes?: Tensor, dv?: Tensor): LifGrads {
  const { steps, neurons, u, spikes } = cache;
  const { decay, threshold, reset, surrogate, alpha, detachReset, fire } = cache.opts;
  const total = steps * neurons;
  if (dSpikes) expect('lif backward', dSpikes.data.length === total, 'spike gradient must have the shape of the input');
  if (dv) expect('lif backward', dv.data.length === total, 'membrane gradient must have the shape of the input');
  const dInput = zeros(cache.shape);
  const carry = new Float64Array(neurons);
  let dDecay = 0;
  for (let t = steps - 1; t >= 0; t--) {
    const off = t * neurons;
    for (let n = 0; n < neurons; n++) {
      const q = off + n;
      const gv = carry[n]! + (dv ? dv.data[q]! : 0);
      const uv = u[q]!;
      const sv = spikes[q]!;
      // v = u(1 − s) or u − θs: ∂v/∂u and ∂v/∂s.
      const dvdu = reset === 'zero' ? 1 - sv : 1;
      const dvds = detachReset ? 0 : reset === 'zero' ? -uv : -threshold;
      const gs = (dSpikes ? dSpikes.data[q]! : 0) + gv * dvds;
      // Neurons that never fire have no spike function to stand in for.
      const gu = gv * dvdu + (fire ? gs * surrogateGrad(surrogate, uv - threshold, alpha) : 0);
      dInput.data[q] = gu;
      const prev = t === 0 ? cache.v0[n]! : cache.v[q - neurons]!;
      dDecay += gu * prev;
      carry[n] = decay * gu;
    }
  }
  return { dInput, dv0: { shape: cache.shape.slice(1), data: Float32Array.from(carry) }, dDecay };
}

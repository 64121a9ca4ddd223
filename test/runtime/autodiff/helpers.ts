/**
 * Gradient checking through the IR: compile a small network, take L = Σ R ⊙ output for a fixed
 * random R, and compare autodiff's dL/d(parameter) and dL/d(input) with central finite
 * differences at sampled coordinates. Forward values are float32, so the step is 1e-2 and the
 * tolerance relative (see `close`); inputs near a kink (ReLU at 0, pooling ties) are kept away
 * from it by the generators.
 */
import { expect } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { backward, forward } from '../../../runtime/autodiff.ts';
import { initParams, type Inputs, type Weights } from '../../../runtime/interpreter.ts';
import { type Tensor, mulberry32, randomUniform, zeros } from '../../../runtime/tensor.ts';
import { compileText, net } from '../../helpers/kiln.ts';

export function build(lines: string[], params = ''): Module {
  return compileText(net(lines, params)).module;
}

export interface CheckOptions {
  training?: boolean;
  seed?: number;
  /** Finite-difference step (default 1e-2). */
  eps?: number;
  /** Coordinates sampled per tensor (default 10). */
  samples?: number;
  rtol?: number;
  atol?: number;
  /** Inputs not to differentiate (integer token ids). */
  skipInputs?: string[];
  weights?: Weights;
  /** Only these nodes' parameters (default: every node's); e.g. those downstream of spikes, which finite differences cannot cross. */
  nodes?: string[];
}

/** Uniform values in ±(0.1 … 1) with random signs: well away from ReLU's kink at 0. */
export function awayFromZero(shape: number[], seed: number): Tensor {
  const rng = mulberry32(seed);
  const t = zeros(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = (rng() < 0.5 ? -1 : 1) * (0.1 + 0.9 * rng());
  return t;
}

/** A random permutation of well-separated values (steps of 0.1): no ties for max pooling. */
export function distinct(shape: number[], seed: number): Tensor {
  const t = zeros(shape);
  const rng = mulberry32(seed);
  const n = t.data.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [idx[i], idx[j]] = [idx[j]!, idx[i]!]; }
  for (let i = 0; i < n; i++) t.data[i] = (idx[i]! - n / 2) * (2 / n) + 0.013;
  return t;
}

export function inputsFor(m: Module, seed: number, make: (shape: number[], seed: number) => Tensor = (s, k) => randomUniform(s, mulberry32(k), -1, 1)): Inputs {
  return Object.fromEntries(m.inputs.map((id, i) => [id, make(m.nodes[id]!.attrs.shape as number[], seed + 7 * i)]));
}

function lossOf(m: Module, w: Weights, x: Inputs, r: Record<string, Tensor>, o: CheckOptions): number {
  const out = forward(m, w, x, { training: o.training ?? false, seed: o.seed ?? 0, record: false }).outputs;
  let l = 0;
  for (const [id, t] of Object.entries(out)) for (let i = 0; i < t.data.length; i++) l += Math.fround(t.data[i]! * r[id]!.data[i]!);
  return l;
}

function close(analytic: number, numeric: number, o: CheckOptions, what: string): void {
  const tol = (o.atol ?? 2e-3) + (o.rtol ?? 3e-2) * Math.max(Math.abs(analytic), Math.abs(numeric));
  expect(Math.abs(analytic - numeric), `${what}: autodiff ${analytic}, finite differences ${numeric}`).toBeLessThanOrEqual(tol);
}

/** Check every learnable parameter and every input of `m` at sampled coordinates. Returns the count checked. */
export function checkGradients(m: Module, x: Inputs, o: CheckOptions = {}): number {
  const w = o.weights ?? initParams(m, 5);
  const rng = mulberry32(99);
  const first = forward(m, w, x, { training: o.training ?? false, seed: o.seed ?? 0 });
  const r = Object.fromEntries(Object.entries(first.outputs).map(([id, t]) => [id, randomUniform(t.shape, rng, -1, 1)]));
  const g = backward(m, first, new Map(Object.entries(r)), { training: o.training ?? false, inputs: true });
  const eps = o.eps ?? 1e-2;
  let checked = 0;
  const probe = (t: Tensor, grad: Tensor | undefined, what: string) => {
    const n = t.data.length;
    const picks = n <= (o.samples ?? 10) ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: o.samples ?? 10 }, () => Math.floor(rng() * n));
    for (const i of picks) {
      const v = t.data[i]!;
      t.data[i] = v + eps;
      const up = lossOf(m, w, x, r, o);
      t.data[i] = v - eps;
      const down = lossOf(m, w, x, r, o);
      t.data[i] = v;
      close(grad?.data[i] ?? 0, (up - down) / (2 * eps), o, `${what}[${i}]`);
      checked++;
    }
  };
  for (const [id, ps] of Object.entries(w)) {
    if (o.nodes && !o.nodes.includes(id)) continue;
    for (const [name, t] of Object.entries(ps)) if (!name.startsWith('running_')) probe(t, g.params[id]?.[name], `${id}.${name}`);
  }
  for (const id of m.inputs) if (!o.skipInputs?.includes(id)) probe(x[id]!, g.inputs[id], `input ${id}`);
  return checked;
}

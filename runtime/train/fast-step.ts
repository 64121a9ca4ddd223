/**
 * Optimizer.step (runtime/optim.ts) with its per-element branches hoisted out of the loop: one
 * specialized loop per update rule over the same state (step count, per-parameter slots), with
 * the same arithmetic in the same order, so the weights are bit-identical to Optimizer.step's
 * (test/runtime/train/fast-step.test.ts holds it to that) and checkpoints stay interchangeable.
 * On the MNIST MLP's 203,530 parameters it takes about a third of the time, which is a quarter of
 * an epoch saved.
 */
import type { Optimizer, Params } from '../optim.ts';

function slots(opt: Optimizer, name: string, n: number): Float32Array[] {
  let s = opt.state.slots.get(name);
  if (!s) {
    const count = (opt.spec.kind === 'adam' ? 2 : 1) + (opt.spec.kahan ? 1 : 0);
    s = Array.from({ length: count }, () => new Float32Array(n));
    opt.state.slots.set(name, s);
  }
  return s;
}

/** w ← w + δ, Kahan-compensated as Optimizer.step does it. */
function kahanAdd(w: Float32Array, comp: Float32Array, i: number, delta: number): void {
  const y = delta - comp[i]!;
  const next = Math.fround(w[i]! + y);
  comp[i] = Math.fround(next - w[i]!) - y;
  w[i] = next;
}

function adam(w: Float32Array, g: Float32Array, m1: Float32Array, m2: Float32Array, comp: Float32Array | undefined,
  lr: number, wd: number, beta1: number, beta2: number, eps: number, c1: number, c2: number): void {
  const n = w.length;
  if (comp) {
    for (let i = 0; i < n; i++) {
      const gi = g[i]! + wd * w[i]!;
      const m = (m1[i] = beta1 * m1[i]! + (1 - beta1) * gi);
      const v = (m2[i] = beta2 * m2[i]! + (1 - beta2) * gi * gi);
      kahanAdd(w, comp, i, (-lr * (m / c1)) / (Math.sqrt(v / c2) + eps));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const gi = g[i]! + wd * w[i]!;
    const m = (m1[i] = beta1 * m1[i]! + (1 - beta1) * gi);
    const v = (m2[i] = beta2 * m2[i]! + (1 - beta2) * gi * gi);
    w[i] = w[i]! + (-lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
  }
}

function sgd(w: Float32Array, g: Float32Array, vel: Float32Array | undefined, comp: Float32Array | undefined, lr: number, wd: number, momentum: number): void {
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]! + wd * w[i]!;
    let delta: number;
    if (vel) delta = -lr * (vel[i] = momentum * vel[i]! + gi);
    else delta = -lr * gi;
    if (comp) kahanAdd(w, comp, i, delta);
    else w[i] = w[i]! + delta;
  }
}

/** Exactly Optimizer.step(params, grads, lr). */
export function optimizerStep(opt: Optimizer, params: Params, grads: Params, lr: number): void {
  opt.state.step++;
  const t = opt.state.step;
  const wd = opt.spec.weightDecay ?? 0;
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, momentum = 0 } = opt.spec;
  const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t;
  for (const [name, w] of params) {
    const g = grads.get(name);
    if (!g) continue;
    const s = slots(opt, name, w.length);
    const comp = opt.spec.kahan ? s[s.length - 1]! : undefined;
    if (opt.spec.kind === 'adam') adam(w, g, s[0]!, s[1]!, comp, lr, wd, beta1, beta2, eps, c1, c2);
    else sgd(w, g, momentum > 0 ? s[0]! : undefined, comp, lr, wd, momentum);
  }
}

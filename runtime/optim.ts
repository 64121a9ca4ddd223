/**
 * Optimizers over named parameter arrays: SGD with momentum and Adam, L2 weight decay, learning-
 * rate schedules, and optional Kahan-compensated updates (Park et al. 2018) so that tiny updates
 * are not lost when weights are kept in a low precision. State is plain typed arrays, so it can
 * be checkpointed and restored bit for bit.
 */
import { error, KilnError } from '../compiler/lang/diagnostics.ts';

export type Params = Map<string, Float32Array>;

export interface OptimizerSpec {
  kind: 'sgd' | 'adam';
  lr: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Keep a compensation term per parameter (Kahan summation of the updates). */
  kahan?: boolean;
}

export type Schedule =
  | { kind: 'constant' }
  | { kind: 'step'; every: number; gamma: number }
  | { kind: 'cosine'; epochs: number };

export function learningRate(base: number, s: Schedule, epoch: number): number {
  switch (s.kind) {
    case 'constant': return base;
    case 'step': return base * s.gamma ** Math.floor(epoch / s.every);
    case 'cosine': return 0.5 * base * (1 + Math.cos((Math.PI * Math.min(epoch, s.epochs)) / s.epochs));
  }
}

export interface OptimizerState {
  step: number;
  /** Per parameter: momentum / first moment, second moment, Kahan compensation. */
  slots: Map<string, Float32Array[]>;
}

export class Optimizer {
  readonly state: OptimizerState = { step: 0, slots: new Map() };
  constructor(readonly spec: OptimizerSpec) {
    if (!(spec.lr > 0)) throw new KilnError(error('train', `learning rate must be positive, not ${spec.lr}`, undefined, 'e.g. optimizer adam(lr = 1e-3)'));
  }

  private slots(name: string, n: number): Float32Array[] {
    let s = this.state.slots.get(name);
    if (!s) {
      const count = (this.spec.kind === 'adam' ? 2 : 1) + (this.spec.kahan ? 1 : 0);
      s = Array.from({ length: count }, () => new Float32Array(n));
      this.state.slots.set(name, s);
    }
    return s;
  }

  /** One update of every parameter that has a gradient, at learning rate `lr`. */
  step(params: Params, grads: Params, lr: number): void {
    this.state.step++;
    const t = this.state.step;
    const wd = this.spec.weightDecay ?? 0;
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, momentum = 0 } = this.spec;
    const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t;
    for (const [name, w] of params) {
      const g = grads.get(name);
      if (!g) continue;
      const s = this.slots(name, w.length);
      const comp = this.spec.kahan ? s[s.length - 1]! : undefined;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]! + wd * w[i]!;
        let delta: number;
        if (this.spec.kind === 'adam') {
          const m = (s[0]![i] = beta1 * s[0]![i]! + (1 - beta1) * gi);
          const v = (s[1]![i] = beta2 * s[1]![i]! + (1 - beta2) * gi * gi);
          delta = (-lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
        } else if (momentum > 0) {
          const v = (s[0]![i] = momentum * s[0]![i]! + gi);
          delta = -lr * v;
        } else delta = -lr * gi;
        if (comp) {
          // Kahan: add the update together with what earlier roundings lost.
          const y = delta - comp[i]!;
          const next = Math.fround(w[i]! + y);
          comp[i] = Math.fround(next - w[i]!) - y;
          w[i] = next;
        } else w[i] = w[i]! + delta;
      }
    }
  }
}

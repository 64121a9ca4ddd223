/**
 * Optimizers over named parameter arrays: SGD with momentum and Adam, L2 weight decay, learning-
 * rate schedules, and optional Kahan-compensated updates (Park et al. 2018) so that tiny updates
 * are not lost when weights are kept in a low precision. State is plain typed arrays, so it can
 * be checkpointed and restored bit for bit.
 */
import type { Loc } from '../compiler/lang/ast.ts';
import { error, KilnError } from '../compiler/lang/diagnostics.ts';
import { storeUpdate, type WeightStorage } from './train/storage.ts';
import { useWasmKernels } from './kernels/wasm/instance.ts';
import { AdamMoments, wasmAdam } from './kernels/wasm/adam.ts';

/** Parameters from which Adam's in-place step runs in WebAssembly (below, the copies cost more than they save). */
const WASM_ADAM_MIN = 4096;

export type Params = Map<string, Float32Array>;

export type OptimizerKind = 'sgd' | 'adam' | 'ebp' | 'coordinate_descent';

export interface OptimizerSpec {
  /** ebp updates weights itself (runtime/train/ebp.ts); coordinate_descent moves discrete weights and steps the rest with Adam. */
  kind: OptimizerKind;
  lr: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Keep a compensation term per parameter (Kahan summation of the updates). */
  kahan?: boolean;
  /** The format weights are stored in after every update (train/storage.ts); default f32. */
  storage?: WeightStorage;
  /** coordinate_descent: share of the discrete weights moved per step, and confirmations tried. */
  fraction?: number;
  tries?: number;
  /** Where the train block names the optimizer, for errors about the network it cannot train. */
  source?: Loc;
}

/** Moment slots the optimizer keeps per parameter it steps. */
export function slotsPerParam(spec: OptimizerSpec): number {
  if (spec.kind === 'ebp') return 0;
  return (spec.kind === 'sgd' ? 1 : 2) + (spec.kahan ? 1 : 0);
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
  readonly #state: OptimizerState = { step: 0, slots: new Map() };
  /**
   * Adam's moments of the parameters it steps in WebAssembly, kept in the kernels' memory between
   * steps (copying them in and out every step was half of Adam's time); the JS slots are brought up
   * to date whenever `state` is read, and the blocks then let go, to be reloaded from the slots
   * (which the reader may have replaced) at the next step.
   */
  readonly #resident = new Map<string, AdamMoments>();
  /** Low-precision storage: the rules write each update δ here (added to zeros), then storeUpdate rounds. */
  private delta = new Float32Array(0);
  private zeros = new Float32Array(0);
  constructor(readonly spec: OptimizerSpec) {
    if (!(spec.lr > 0)) throw new KilnError(error('train', `learning rate must be positive, not ${spec.lr}`, undefined, 'e.g. optimizer adam(lr = 1e-3)'));
  }

  /** The step count and every slot, current (checkpoints read and restore it). */
  get state(): OptimizerState {
    this.flush();
    return this.#state;
  }

  private flush(): void {
    for (const [name, mo] of this.#resident) {
      const [m1, m2] = this.#state.slots.get(name)!;
      mo.store(m1!, m2!);
      mo.block.free();
    }
    this.#resident.clear();
  }

  private slots(name: string, n: number): Float32Array[] {
    let s = this.#state.slots.get(name);
    if (!s) {
      s = Array.from({ length: slotsPerParam(this.spec) }, () => new Float32Array(n));
      this.#state.slots.set(name, s);
    }
    return s;
  }

  private moments(name: string, s: Float32Array[], n: number): AdamMoments {
    let mo = this.#resident.get(name);
    if (!mo) this.#resident.set(name, (mo = new AdamMoments(n, s[0]!, s[1]!)));
    return mo;
  }

  /**
   * One update of every parameter that has a gradient, at learning rate `lr`. Each rule runs as
   * its own loop with no per-element branch on the optimizer kind: on the MNIST MLP's 203,530
   * parameters that takes about a third of the time of one generic loop, a quarter of an epoch.
   * Parameters named in `clipped` end the step clipped to [−1, 1] (BinaryConnect's latent binary
   * weights), inside Adam's own loop where it can.
   */
  step(params: Params, grads: Params, lr: number, clipped?: ReadonlySet<string>): void {
    // The JS rules read the slots: moments left resident by WebAssembly steps come back first.
    if (!useWasmKernels()) this.flush();
    const t = ++this.#state.step;
    const wd = this.spec.weightDecay ?? 0;
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, momentum = 0 } = this.spec;
    const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t;
    for (const [name, w] of params) {
      const g = grads.get(name);
      if (!g) continue;
      const s = this.slots(name, w.length);
      const comp = this.spec.kahan ? s[s.length - 1]! : undefined;
      const storage = this.spec.storage ?? 'f32';
      let out = w, base = w;
      if (storage !== 'f32') {
        if (this.delta.length < w.length) { this.delta = new Float32Array(w.length); this.zeros = new Float32Array(w.length); }
        out = this.delta.subarray(0, w.length);
        base = this.zeros.subarray(0, w.length);
      }
      const f32comp = storage === 'f32' ? comp : undefined;
      const clip = clipped?.has(name) ? 1 : undefined;
      let done = false;
      if (this.spec.kind !== 'sgd' && !comp && storage === 'f32' && w.length >= WASM_ADAM_MIN && useWasmKernels()) {
        wasmAdam(w, g, this.moments(name, s, w.length), { lr, wd, beta1, beta2, eps, c1, c2, clip });
        done = true;
      } else if (this.spec.kind !== 'sgd') done = adam(w, g, s[0]!, s[1]!, f32comp, lr, wd, beta1, beta2, eps, c1, c2, out, base, clip);
      else sgd(w, g, momentum > 0 ? s[0]! : undefined, f32comp, lr, wd, momentum, out, base);
      if (storage !== 'f32') storeUpdate(w, out, comp, storage);
      if (clip !== undefined && !done) for (let i = 0; i < w.length; i++) w[i] = Math.min(clip, Math.max(-clip, w[i]!));
    }
  }
}

/** w[i] ← w[i] + δ, adding back what earlier roundings lost (Kahan summation of the updates). */
function kahanAdd(w: Float32Array, comp: Float32Array, i: number, delta: number): void {
  const y = delta - comp[i]!;
  const next = Math.fround(w[i]! + y);
  comp[i] = Math.fround(next - w[i]!) - y;
  w[i] = next;
}

/**
 * Adam with bias correction (c1, c2 = 1 − β^t); L2 decay is added to the gradient. Without `comp`
 * the rules write out[i] = base[i] + δ: out = base = w updates in place, base = zeros collects δ.
 * Returns whether it also clipped w to [−clip, clip] (only when it updated w in place).
 */
function adam(w: Float32Array, g: Float32Array, m1: Float32Array, m2: Float32Array, comp: Float32Array | undefined,
  lr: number, wd: number, beta1: number, beta2: number, eps: number, c1: number, c2: number, out: Float32Array, base: Float32Array,
  clip: number | undefined): boolean {
  const n = w.length;
  if (comp) {
    for (let i = 0; i < n; i++) {
      const gi = g[i]! + wd * w[i]!;
      const m = (m1[i] = beta1 * m1[i]! + (1 - beta1) * gi);
      const v = (m2[i] = beta2 * m2[i]! + (1 - beta2) * gi * gi);
      kahanAdd(w, comp, i, (-lr * (m / c1)) / (Math.sqrt(v / c2) + eps));
    }
    return false;
  }
  // Rounded to float32 before clipping, as storing and then clipping did.
  const hi = out === w ? clip ?? Infinity : Infinity, lo = -hi;
  for (let i = 0; i < n; i++) {
    const gi = g[i]! + wd * w[i]!;
    const m = (m1[i] = beta1 * m1[i]! + (1 - beta1) * gi);
    const v = (m2[i] = beta2 * m2[i]! + (1 - beta2) * gi * gi);
    out[i] = Math.min(hi, Math.max(lo, Math.fround(base[i]! + (-lr * (m / c1)) / (Math.sqrt(v / c2) + eps))));
  }
  return out === w;
}

/** SGD, with heavy-ball momentum v ← μv + g when `vel` is given. */
function sgd(w: Float32Array, g: Float32Array, vel: Float32Array | undefined, comp: Float32Array | undefined, lr: number, wd: number, momentum: number,
  out: Float32Array, base: Float32Array): void {
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]! + wd * w[i]!;
    const delta = vel ? -lr * (vel[i] = momentum * vel[i]! + gi) : -lr * gi;
    if (comp) kahanAdd(w, comp, i, delta);
    else out[i] = base[i]! + delta;
  }
}

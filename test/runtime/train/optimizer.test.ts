/**
 * Optimizer.step runs one specialized loop per update rule; here it is held, bit for bit, to the
 * rules written out one element at a time (the form it had before), and a training run with each
 * rule is a function of its seed.
 */
import { describe, expect, it } from 'vitest';
import { Optimizer, type OptimizerSpec, type Params } from '../../../runtime/optim.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';
import type { Weights } from '../../../runtime/interpreter.ts';
import { train } from '../../../runtime/train.ts';
import { loadData } from '../../../runtime/data/index.ts';
import { example } from './helpers.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';

/** The update rules element by element: SGD, heavy-ball momentum, Adam, each optionally Kahan-compensated. */
function referenceStep(spec: OptimizerSpec, state: { t: number; slots: Map<string, Float32Array[]> }, params: Params, grads: Params, lr: number): void {
  const t = ++state.t;
  const wd = spec.weightDecay ?? 0;
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, momentum = 0 } = spec;
  for (const [name, w] of params) {
    const g = grads.get(name);
    if (!g) continue;
    let s = state.slots.get(name);
    if (!s) state.slots.set(name, (s = Array.from({ length: (spec.kind === 'adam' ? 2 : 1) + (spec.kahan ? 1 : 0) }, () => new Float32Array(w.length))));
    const comp = spec.kahan ? s[s.length - 1]! : undefined;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i]! + wd * w[i]!;
      let delta: number;
      if (spec.kind === 'adam') {
        const m = (s[0]![i] = beta1 * s[0]![i]! + (1 - beta1) * gi);
        const v = (s[1]![i] = beta2 * s[1]![i]! + (1 - beta2) * gi * gi);
        delta = (-lr * (m / (1 - beta1 ** t))) / (Math.sqrt(v / (1 - beta2 ** t)) + eps);
      } else if (momentum > 0) delta = -lr * (s[0]![i] = momentum * s[0]![i]! + gi);
      else delta = -lr * gi;
      if (comp) {
        const y = delta - comp[i]!;
        const next = Math.fround(w[i]! + y);
        comp[i] = Math.fround(next - w[i]!) - y;
        w[i] = next;
      } else w[i] = w[i]! + delta;
    }
  }
}

function tensors(seed: number): { w: Params; g: Params } {
  const rng = mulberry32(seed);
  const arr = (n: number, k: number) => Float32Array.from({ length: n }, () => (rng() - 0.5) * k);
  // 'c' has no gradient and must not move.
  return { w: new Map([['a', arr(300, 2)], ['b', arr(17, 1e-3)], ['c', arr(5, 1)]]), g: new Map([['a', arr(300, 0.1)], ['b', arr(17, 1e-6)]]) };
}

const SPECS: [string, OptimizerSpec][] = [
  ['sgd', { kind: 'sgd', lr: 0.1 }],
  ['sgd + momentum + weight decay', { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }],
  ['sgd + kahan', { kind: 'sgd', lr: 1e-4, kahan: true }],
  ['sgd + momentum + kahan', { kind: 'sgd', lr: 1e-4, momentum: 0.5, kahan: true }],
  ['adam', { kind: 'adam', lr: 1e-3 }],
  ['adam + kahan, every hyperparameter set', { kind: 'adam', lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 1e-2, kahan: true }],
];

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

describe('Optimizer.step = the update rules element by element, bit for bit', () => {
  for (const [name, spec] of SPECS) {
    it(name, () => {
      const a = tensors(1), b = tensors(1);
      const opt = new Optimizer(spec);
      const ref = { t: 0, slots: new Map<string, Float32Array[]>() };
      for (let t = 0; t < 6; t++) {
        const lr = spec.lr * (1 - t / 10);
        opt.step(a.w, a.g, lr);
        referenceStep(spec, ref, b.w, b.g, lr);
      }
      for (const [k, w] of a.w) expect(bits(w), k).toBe(bits(b.w.get(k)!));
      expect(opt.state.step).toBe(6);
      expect([...opt.state.slots.keys()]).toEqual([...ref.slots.keys()]);
      for (const [k, s] of ref.slots) s.forEach((x, i) => expect(bits(opt.state.slots.get(k)![i]!), `${k} slot ${i}`).toBe(bits(x)));
      expect(bits(a.w.get('a')!)).not.toBe(bits(tensors(1).w.get('a')!));
      expect(bits(a.w.get('c')!)).toBe(bits(tensors(1).w.get('c')!));
    });
  }
});

const weightBits = (w: Weights) => Object.entries(w).flatMap(([id, ps]) => Object.entries(ps).map(([k, t]) => `${id}/${k} ${bits(t.data)}`));

describe('a training run with each update rule is a function of its seed', () => {
  const data = loadData('mnist', { train: 256, test: 32, shift: 1 });
  const finals = new Map<string, string[]>();
  for (const [name, spec] of SPECS) {
    it(name, () => {
      const s = example('mlp', { hidden: 16 });
      const run = (seed: number) => train({ ...s, data, config: { ...s.config, epochs: 1, optimizer: spec } }, { testLimit: 0, seed }).weights;
      const a = weightBits(run(3)), b = weightBits(run(3));
      expect(a).toEqual(b);
      expect(weightBits(run(4))).not.toEqual(a);
      for (const [other, w] of finals) expect(w, `${name} vs ${other}`).not.toEqual(a);
      finals.set(name, a);
    });
  }
});

/** One parameter `a` of n values in [−1, 1) and its gradient in [−0.05, 0.05), from `seed`. */
function largeParam(n: number, seed: number) {
  const rng = mulberry32(seed);
  const arr = (k: number) => Float32Array.from({ length: n }, () => (rng() - 0.5) * k);
  return { w: new Map([['a', arr(2)]]), g: new Map([['a', arr(0.1)]]) };
}

describe('Adam in WebAssembly (large parameters, KILN_KERNELS=wasm)', () => {
  it('steps within float32 rounding of the float64 rule, across chunk and vector edges, and never for the JS backend', () => {
    // 5,003 parameters: more than the WebAssembly threshold, two chunks and a partial vector.
    const make = () => largeParam(5003, 9);
    const spec: OptimizerSpec = { kind: 'adam', lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 1e-2 };
    const run = (backend: 'wasm' | 'js') => {
      setKernelBackend(backend);
      try {
        const p = make(), opt = new Optimizer(spec);
        for (let t = 0; t < 4; t++) opt.step(p.w, p.g, spec.lr);
        return { w: p.w.get('a')!, m: opt.state.slots.get('a')! };
      } finally {
        setKernelBackend(undefined);
      }
    };
    const ref = make(), state = { t: 0, slots: new Map<string, Float32Array[]>() };
    for (let t = 0; t < 4; t++) referenceStep(spec, state, ref.w, ref.g, spec.lr);
    const wasm = run('wasm'), js = run('js');
    expect(bits(js.w)).toBe(bits(ref.w.get('a')!));
    // Each step moves a weight by at most about lr; float32 arithmetic errs by a few ulps of the step.
    const start = make().w.get('a')!;
    wasm.w.forEach((v, i) => {
      const want = ref.w.get('a')![i]!;
      expect(Math.abs(v - want), `w[${i}]`).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-5 * Math.abs(want - start[i]!) + 1e-12);
    });
    // A moment can cancel to near zero (β·m and (1 − β)·g of opposite signs), so its rounding is
    // bounded by the size of its terms, at most the largest moment, not by its own value.
    state.slots.get('a')!.forEach((s, j) => {
      const big = s.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
      s.forEach((x, i) => expect(Math.abs(wasm.m[j]![i]! - x), `slot ${j}[${i}]`).toBeLessThanOrEqual(1e-5 * Math.abs(x) + 1e-6 * big));
    });
    expect(bits(wasm.w)).not.toBe(bits(js.w));
  });
});

describe('clipped parameters (BinaryConnect latent weights)', () => {
  // 5,003 weights, half of them near ±1, so a large step pushes some past it: the WebAssembly Adam
  // clips in its loop, the JS Adam in its own, Kahan Adam and SGD after the step.
  const make = () => {
    const rng = mulberry32(11);
    const arr = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => (i % 2 ? Math.sign(rng() - 0.5) * (1 - rng() * 0.01) : (rng() - 0.5) * k));
    return { w: new Map([['a', arr(5003, 1.5)], ['b', arr(5003, 3)]]), g: new Map([['a', arr(5003, 0.5)], ['b', arr(5003, 0.5)]]) };
  };
  const specs: [string, OptimizerSpec][] = [['adam', { kind: 'adam', lr: 0.05 }], ['adam + kahan', { kind: 'adam', lr: 0.05, kahan: true }], ['sgd', { kind: 'sgd', lr: 0.05 }]];
  for (const backend of ['wasm', 'js'] as const) for (const [name, spec] of specs) {
    it(`end each step in [−1, 1], the bits of clipping after an unclipped step (${name}, ${backend})`, () => {
      setKernelBackend(backend);
      try {
        const fused = make(), after = make();
        const o1 = new Optimizer(spec), o2 = new Optimizer(spec);
        for (let t = 0; t < 3; t++) {
          o1.step(fused.w, fused.g, spec.lr, new Set(['a']));
          o2.step(after.w, after.g, spec.lr);
          const w = after.w.get('a')!;
          for (let i = 0; i < w.length; i++) w[i] = Math.min(1, Math.max(-1, w[i]!));
        }
        expect(bits(fused.w.get('a')!)).toBe(bits(after.w.get('a')!));
        expect(bits(fused.w.get('b')!)).toBe(bits(after.w.get('b')!));
        expect(fused.w.get('a')!.every((v) => v >= -1 && v <= 1)).toBe(true);
        // The clip did something: unclipped, the same step leaves some weights outside.
        expect(fused.w.get('b')!.some((v) => Math.abs(v) > 1)).toBe(true);
        expect(fused.w.get('a')!.filter((v) => Math.abs(v) === 1).length).toBeGreaterThan(100);
      } finally {
        setKernelBackend(undefined);
      }
    });
  }
});

describe('Adam\'s moments resident in WebAssembly', () => {
  it('keeps its moments in the kernels\' memory between steps: reading the state, replacing it, or a JS step in between changes no bit', () => {
    const make = () => largeParam(6001, 11);
    const spec: OptimizerSpec = { kind: 'adam', lr: 3e-3 };
    const steps = (o: Optimizer, p: ReturnType<typeof make>, between?: (t: number) => void) => {
      for (let t = 0; t < 5; t++) { between?.(t); o.step(p.w, p.g, spec.lr); }
    };
    const plain = make(), a = new Optimizer(spec);
    steps(a, plain);
    const want = { w: bits(plain.w.get('a')!), m: a.state.slots.get('a')!.map(bits) };

    // The state read (and so copied out) before every step.
    const read = make(), b = new Optimizer(spec);
    const seen: string[] = [];
    steps(b, read, () => { const m = b.state.slots.get('a')?.[0]; if (m) seen.push(bits(m)); });
    expect(bits(read.w.get('a')!)).toBe(want.w);
    expect(b.state.slots.get('a')!.map(bits)).toEqual(want.m);
    expect(new Set(seen).size).toBe(4);

    // A restore swaps in new arrays holding the same moments: the next step must read those.
    const swapped = make(), c = new Optimizer(spec);
    steps(c, swapped, (t) => { if (t === 2) c.state.slots.set('a', c.state.slots.get('a')!.map((m) => m.slice())); });
    expect(bits(swapped.w.get('a')!)).toBe(want.w);

    // Moments of zero put back mid-run: the run must differ from the plain one.
    const reset = make(), d = new Optimizer(spec);
    steps(d, reset, (t) => { if (t === 3) d.state.slots.set('a', [new Float32Array(6001), new Float32Array(6001)]); });
    expect(bits(reset.w.get('a')!)).not.toBe(want.w);

    // A JS step between WebAssembly steps reads the moments those left.
    const mixed = make(), e = new Optimizer(spec), ref = make(), f = new Optimizer(spec);
    const js = (t: number) => setKernelBackend(t === 2 ? 'js' : undefined);
    try {
      steps(e, mixed, js);
      steps(f, ref, (t) => { js(t); if (t === 2) f.state.slots.get('a'); });
    } finally {
      setKernelBackend(undefined);
    }
    expect(bits(mixed.w.get('a')!)).toBe(bits(ref.w.get('a')!));
    expect(bits(mixed.w.get('a')!)).not.toBe(want.w);
  });
});

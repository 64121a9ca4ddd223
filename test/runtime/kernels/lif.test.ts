import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { fromArray } from '../../../runtime/tensor.ts';
import { lif, lifBackward, surrogateGrad, type LifReset, type Surrogate } from '../../../runtime/kernels/lif.ts';
import { expectClose, randomArray } from './helpers/gradcheck.ts';

/** A scalar reverse-mode tape: the independent reference for BPTT through the LIF recurrence. */
class Tape {
  private nodes: { value: number; grad: number; parents: [number, number][] }[] = [];
  leaf(value: number): number { this.nodes.push({ value, grad: 0, parents: [] }); return this.nodes.length - 1; }
  private op(value: number, parents: [number, number][]): number { this.nodes.push({ value, grad: 0, parents }); return this.nodes.length - 1; }
  val(i: number): number { return this.nodes[i]!.value; }
  grad(i: number): number { return this.nodes[i]!.grad; }
  add(a: number, b: number): number { return this.op(this.val(a) + this.val(b), [[a, 1], [b, 1]]); }
  mul(a: number, b: number): number { return this.op(this.val(a) * this.val(b), [[a, this.val(b)], [b, this.val(a)]]); }
  scale(a: number, k: number): number { return this.op(this.val(a) * k, [[a, k]]); }
  /** Heaviside forward, surrogate backward. */
  spike(u: number, thr: number, kind: Surrogate, alpha: number): number {
    return this.op(this.val(u) >= thr ? 1 : 0, [[u, surrogateGrad(kind, this.val(u) - thr, alpha)]]);
  }
  /** Same value, no gradient (detach). */
  stop(a: number): number { return this.leaf(this.val(a)); }
  backward(seeds: [number, number][]): void {
    for (const [i, g] of seeds) this.nodes[i]!.grad += g;
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      for (const [p, local] of n.parents) this.nodes[p]!.grad += n.grad * local;
    }
  }
}

describe('lif forward', () => {
  it('integrates, fires at threshold, and resets by subtraction or to zero', () => {
    // Constant input 0.4, decay 0.5: u = 0.4, 0.6, 0.7, 0.75, ... never reaches 1 → no spikes.
    const quiet = lif(fromArray([6, 1], Array(6).fill(0.4)), { decay: 0.5 });
    expect([...quiet.spikes.data]).toEqual([0, 0, 0, 0, 0, 0]);
    // Input 0.6, decay 1: u = 0.6, 1.2 (spike) → subtract → 0.2, 0.8, 1.4 (spike) → 0.4, 1.0 (spike).
    const sub = lif(fromArray([5, 1], Array(5).fill(0.6)), { decay: 1, reset: 'subtract' });
    expect([...sub.spikes.data]).toEqual([0, 1, 0, 1, 1]);
    expectClose(sub.v.data, [0.6, 0.2, 0.8, 0.4, 0], 1e-6, 0);
    // Reset to zero drops the overshoot: 0.6, 1.2 → 0, 0.6, 1.2 → 0.
    const zero = lif(fromArray([5, 1], Array(5).fill(0.6)), { decay: 1, reset: 'zero' });
    expect([...zero.spikes.data]).toEqual([0, 1, 0, 1, 0]);
    expectClose(zero.v.data, [0.6, 0, 0.6, 0, 0.6], 1e-6, 0);
  });

  it('keeps the input shape and starts from v0', () => {
    const r = lif(fromArray([2, 2, 3], Array(12).fill(0)), { decay: 0.9, threshold: 0.5, v0: fromArray([2, 3], [1, 0, 0, 0, 0, 0.6]) });
    expect(r.spikes.shape).toEqual([2, 2, 3]);
    expect([...r.spikes.data.subarray(0, 6)]).toEqual([1, 0, 0, 0, 0, 1]);
  });
});

describe('surrogate derivatives', () => {
  // Each surrogate is the derivative of a smooth step; check it against finite differences of that step.
  const steps: Record<Surrogate, (x: number, a: number) => number> = {
    fast_sigmoid: (x, a) => x / (1 + a * Math.abs(x)),
    atan: (x, a) => Math.atan((Math.PI / 2) * a * x) / Math.PI,
    triangle: (x, a) => { const c = Math.max(-1 / a, Math.min(1 / a, x)); return c - (a * c * Math.abs(c)) / 2; },
    straight_through: (x) => x,
  };
  it('are derivatives of their smooth steps', () => {
    for (const kind of Object.keys(steps) as Surrogate[]) {
      for (const a of [0.5, 2, 25]) {
        for (const x of [-1.3, -0.2, -0.01, 0.03, 0.4, 2.5]) {
          const h = 1e-6;
          const fd = (steps[kind](x + h, a) - steps[kind](x - h, a)) / (2 * h);
          expect(surrogateGrad(kind, x, a)).toBeCloseTo(fd, 5);
        }
      }
    }
  });
  it('peak at the threshold', () => {
    expect(surrogateGrad('fast_sigmoid', 0)).toBe(1);
    expect(surrogateGrad('atan', 0, 2)).toBe(1);
    expect(surrogateGrad('triangle', 0)).toBe(1);
  });
});

describe('lif BPTT against a scalar autodiff tape', () => {
  it('every surrogate, reset mode and detach setting', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5 }),
      fc.constantFrom<Surrogate>('fast_sigmoid', 'atan', 'triangle', 'straight_through'),
      fc.constantFrom<LifReset>('zero', 'subtract'), fc.boolean(), fc.double({ min: 0.3, max: 1, noNaN: true }), fc.integer(),
      (T, N, surrogate, reset, detachReset, decay, seed) => {
        const inp = randomArray(T * N, seed, 1.2).map((v) => v + 0.4);
        const v0 = randomArray(N, seed + 1, 0.5);
        const rs = randomArray(T * N, seed + 2), rv = randomArray(T * N, seed + 3);
        const threshold = 0.8;
        const alpha = surrogate === 'fast_sigmoid' ? 5 : 1.5;
        const f = lif(fromArray([T, N], inp), { decay, threshold, reset, surrogate, alpha, detachReset, v0: fromArray([N], v0) });
        const g = lifBackward(f.cache, fromArray([T, N], rs), fromArray([T, N], rv));

        const tape = new Tape();
        const d = tape.leaf(decay);
        const ins = [...inp].map((x) => tape.leaf(x));
        const v0s = [...v0].map((x) => tape.leaf(x));
        let v = v0s;
        const seeds: [number, number][] = [];
        for (let t = 0; t < T; t++) {
          v = v.map((prev, n) => {
            const u = tape.add(tape.mul(d, prev), ins[t * N + n]!);
            const s = tape.spike(u, threshold, surrogate, alpha);
            const sr = detachReset ? tape.stop(s) : s;
            const next = reset === 'zero' ? tape.add(u, tape.scale(tape.mul(u, sr), -1)) : tape.add(u, tape.scale(sr, -threshold));
            expect(tape.val(s)).toBe(f.spikes.data[t * N + n]);
            expect(tape.val(next)).toBeCloseTo(f.v.data[t * N + n]!, 5);
            seeds.push([s, rs[t * N + n]!], [next, rv[t * N + n]!]);
            return next;
          });
        }
        tape.backward(seeds);
        expectClose(g.dInput.data, ins.map((i) => tape.grad(i)), 1e-4, 1e-4, 'dInput');
        expectClose(g.dv0.data, v0s.map((i) => tape.grad(i)), 1e-4, 1e-4, 'dv0');
        expect(g.dDecay).toBeCloseTo(tape.grad(d), 3);
      }), { numRuns: 150 });
  });
});

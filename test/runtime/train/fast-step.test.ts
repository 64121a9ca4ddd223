/** The hoisted optimizer loop updates weights and state bit for bit as Optimizer.step does. */
import { describe, expect, it } from 'vitest';
import { Optimizer, type OptimizerSpec, type Params } from '../../../runtime/optim.ts';
import { optimizerStep } from '../../../runtime/train/fast-step.ts';
import { mulberry32 } from '../../../runtime/tensor.ts';

function params(seed: number): { w: Params; g: Params } {
  const rng = mulberry32(seed);
  const arr = (n: number, k: number) => Float32Array.from({ length: n }, () => (rng() - 0.5) * k);
  return { w: new Map([['a', arr(300, 2)], ['b', arr(17, 1e-3)], ['c', arr(5, 1)]]), g: new Map([['a', arr(300, 0.1)], ['b', arr(17, 1e-6)]]) };
}

const specs: OptimizerSpec[] = [
  { kind: 'adam', lr: 1e-3 },
  { kind: 'adam', lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 1e-2, kahan: true },
  { kind: 'sgd', lr: 0.1 },
  { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
  { kind: 'sgd', lr: 1e-4, momentum: 0.5, kahan: true },
];

describe('optimizerStep = Optimizer.step, bit for bit', () => {
  for (const spec of specs) {
    it(JSON.stringify(spec), () => {
      const a = params(1), b = params(1);
      const oa = new Optimizer(spec), ob = new Optimizer(spec);
      for (let t = 0; t < 5; t++) {
        const lr = spec.lr * (1 - t / 10);
        oa.step(a.w, a.g, lr);
        optimizerStep(ob, b.w, b.g, lr);
      }
      for (const [k, w] of a.w) expect(Buffer.from(b.w.get(k)!.buffer).equals(Buffer.from(w.buffer)), k).toBe(true);
      expect(ob.state.step).toBe(oa.state.step);
      expect([...ob.state.slots.keys()]).toEqual([...oa.state.slots.keys()]);
      for (const [k, s] of oa.state.slots) s.forEach((x, i) => expect(Array.from(ob.state.slots.get(k)![i]!)).toEqual(Array.from(x)));
      expect(Array.from(a.w.get('a')!)).not.toEqual(Array.from(params(1).w.get('a')!));
    });
  }
});

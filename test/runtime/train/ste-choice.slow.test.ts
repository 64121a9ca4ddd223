/**
 * The choice of straight-through estimator matters as Yin et al. 2019 (ICLR) predict: on
 * binary_mlp (hidden 256, 240 steps, seed 1) the clipped (hardtanh) estimator on the sign
 * activations trains to 92.8 % held out, the ReLU estimator — no gradient for a negative
 * pre-activation — to 81.35 % (docs/training.md, "Choosing the estimator").
 */
import { describe, expect, it } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { evaluate, train } from '../../../runtime/train.ts';
import { example, MINUTES } from './helpers.ts';

function withSignSte(m: Module, ste: string): Module {
  const nodes = Object.fromEntries(Object.entries(m.nodes).map(([id, n]) => [id, n.op === 'sign' ? { ...n, attrs: { ...n.attrs, ste } } : n]));
  return { ...m, nodes };
}

describe('sign(ste = …) on binary_mlp, 240 steps', () => {
  const s = example('binary_mlp', { hidden: 256 });
  const accuracy = (ste: string) => {
    const module = withSignSte(s.module, ste);
    const r = train({ ...s, module, config: { ...s.config, epochs: 3 } }, { testLimit: 0 });
    return evaluate(module, r.weights, s.data.test).accuracy;
  };
  it('clipped trains well above relu', () => {
    const clipped = accuracy('clipped'), relu = accuracy('relu');
    expect(clipped).toBeGreaterThan(0.915);
    expect(relu).toBeLessThan(0.86);
  }, 8 * MINUTES);
});

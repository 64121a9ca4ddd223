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

/**
 * The experiment was measured before binary_mlp's block gained dropout, shifts and a decaying rate
 * (docs/training.md): it keeps the network and block it was measured with, so its numbers stay.
 */
function asMeasured(src: string): string {
  const out = src.replaceAll(' -> dropout(p = 0.2, mode = batchwise)', '').replace(/^train binary_mlp .*$/m,
    'train binary_mlp { data mnist(train = 8000, test = 2000)  epochs 10  batch 100  seed 1  optimizer adam(lr = 3e-3) }');
  if (out.includes('-> dropout(') || !out.includes('epochs 10')) throw new Error('examples/binary_mlp.kiln changed: update asMeasured');
  return out;
}

describe('sign(ste = …) on binary_mlp, 240 steps', () => {
  const s = example('binary_mlp', { hidden: 256 }, asMeasured);
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

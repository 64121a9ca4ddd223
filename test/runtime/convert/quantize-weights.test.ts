/** --weights i8 on a hand layer: integer weights, scale folded into threshold and bias, firing kept up to rounding. */
import { describe, expect, it } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { quantizeSnnWeights } from '../../../runtime/convert/quantize-weights.ts';
import type { ConvertedNetwork } from '../../../runtime/convert/snn.ts';
import { run } from '../../../runtime/interpreter.ts';
import { compileText } from '../../helpers/kiln.ts';

const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });

const SOURCE = (threshold: number, weights = '') => `
network tiny(batch = 4, T = 100) {
  timesteps T
  input x : f32[batch, 2]
  d = dense(x, 3${weights})
  l = lif(d, threshold = ${threshold}, decay = 1, reset = subtract)
  output l
}`;

function tiny(): ConvertedNetwork {
  const module: Module = compileText(SOURCE(2.5)).module;
  const weights = { d: { weight: t([3, 2], [0.5, -0.25, 2, 0.1, 0, -0.7]), bias: t([3], [0.2, -0.1, 0]) } };
  return { module, weights, layers: [{ name: 'l', from: 'relu', threshold: 2.5, positives: 1, output: true }] };
}

describe('kiln convert --weights i8', () => {
  it('turns a layer\'s weights into integers in [−127, 127] and divides its bias and its lif\'s threshold by the scale', () => {
    const snn = tiny();
    const [q] = quantizeSnnWeights(snn);
    // max|W| = 2, so one step is s = 2/127 and W/s = 63.5·W: 31.75, −15.875, 127, 6.35, 0, −44.45.
    expect(q!.scale).toBeCloseTo(2 / 127, 12);
    expect([...snn.weights.d!.weight!.data]).toEqual([32, -16, 127, 6, 0, -44]);
    // Bias 63.5·[0.2, −0.1, 0] = [12.7, −6.35, 0]; threshold 63.5·2.5 = 158.75, held as 159.
    expect(snn.weights.d!.bias!.data[0]).toBeCloseTo(12.7, 4);
    expect(snn.weights.d!.bias!.data[1]).toBeCloseTo(-6.35, 4);
    expect(q!.threshold).toEqual({ from: 2.5, to: 159 });
    expect(snn.module.nodes.l!.attrs.threshold).toBe(159);
    expect(snn.layers[0]!.threshold).toBe(159);
    expect(snn.module.nodes.d!.attrs.weights).toEqual({ dtype: 'i8', granularity: 'per_tensor' });
  });

  it('keeps every neuron\'s spike count within one of the f32 network\'s over 100 steps', () => {
    const x = { x: t([4, 2], [1, 0.5, 0.3, 0.9, 0.8, 0.1, 0.6, 0.6]) };
    const f32 = tiny();
    const before = run(f32.module, f32.weights, x).outputs.l!;
    const snn = tiny();
    quantizeSnnWeights(snn);
    // The quantized network as its generated text declares it: integer weights, threshold 159.
    const typed = compileText(SOURCE(159, ', weights = i8')).module;
    const after = run(typed, snn.weights, x).outputs.l!;
    let fired = 0;
    for (let i = 0; i < before.data.length; i++) {
      fired += before.data[i]! * 100;
      expect(Math.abs(Math.round(after.data[i]! * 100) - Math.round(before.data[i]! * 100))).toBeLessThanOrEqual(1);
    }
    expect(fired).toBeGreaterThan(50);
    // Integer weights with the old threshold would fire at every step: the rescale is what keeps the rates.
    const unscaled = run(compileText(SOURCE(2.5)).module, snn.weights, x).outputs.l!;
    expect(Math.max(...unscaled.data)).toBe(1);
  });

  it('refuses, at the layer, a weighted layer whose current reaches no single lif', () => {
    const module = compileText(`
network two(batch = 1) {
  timesteps 2
  input x : f32[batch, 2]
  a = dense(x, 2)
  b = dense(a, 2) -> lif(threshold = 1, decay = 1, reset = subtract)
  output b
}`).module;
    const snn: ConvertedNetwork = { module, weights: { a: { weight: t([2, 2], [1, 0, 0, 1]) }, 'b.dense': { weight: t([2, 2], [1, 0, 0, 1]) } }, layers: [] };
    let caught: unknown;
    try { quantizeSnnWeights(snn); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(KilnError);
    expect((caught as Error).message).toMatch(/`a` feeds `b\.dense` \(dense\), not a single spiking layer/);
    expect((caught as KilnError).diagnostics[0]!.pos?.line).toBe(5);
  });
});

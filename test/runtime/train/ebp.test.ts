/**
 * Expectation backpropagation (Soudry, Hubara & Meir 2014): one update of a 2-input binary neuron
 * checked against the paper's equations worked by hand, the Gaussian helpers in the tails, and the
 * networks EBP refuses.
 */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { fromArray } from '../../../runtime/tensor.ts';
import { ebpLayers, ebpStep } from '../../../runtime/train/ebp.ts';
import { logPhi, millsRatio } from '../../../runtime/train/gaussian.ts';
import { build } from '../autodiff/helpers.ts';

/*
 * The neuron: inputs x = (1, 0.5), h = (0.5, −0.3), no bias, so V = 2.
 *   W̄ = tanh h = (0.4621171573, −0.2913126125)
 *   μ = (0.4621171573·1 − 0.2913126125·0.5)/√2 = 0.2237716137
 *   σ² = (1²·(1 − 0.4621171573²) + 0.5²·(1 − 0.2913126125²))/2 = 0.5076159867
 * Target y = +1 (its class is the label):
 *   δ = y·N(0 | μ, σ²)/Φ(y·μ/σ) = φ(μ/σ)/(σ·Φ(μ/σ)) = 0.8551580430
 *   h ← h + δ·x/√V = (1.1046880512, 0.0023440256); new means tanh h = (0.8021766678, 0.0023440213),
 *   variances 1 − tanh² h = (0.3565125936, 0.9999945056); −log Φ(μ/σ) = 0.4727769840.
 * Target y = −1 (another class): δ = −φ(μ/σ)/(σ·Φ(−μ/σ)) = −1.4147856756,
 *   h = (−0.5004045451, −0.8002022726), means (−0.4624352514, −0.6641498366).
 * (Φ and φ from math.erfc and exp in double precision.)
 */
function neuron(units: number) {
  const m = build(['input x : f32[1, 2]', `y = dense(x, ${units}, bias = false, weights = binary)`, 'output y']);
  const h = fromArray([units, 2], Array.from({ length: units }, () => [0.5, -0.3]).flat());
  const layers = ebpLayers(m, { y: { weight: h } });
  return { layers, h: h.data };
}

describe('one EBP update of a 2-input neuron, against the paper’s equations', () => {
  it('moves h, hence the mean tanh(h) and variance 1 − tanh²(h), towards the target +1', () => {
    const { layers, h } = neuron(1);
    const r = ebpStep(layers, Float32Array.of(1, 0.5), 1, [0], 1);
    expect(h[0]).toBeCloseTo(1.1046880512, 6);
    expect(h[1]).toBeCloseTo(0.0023440256, 6);
    expect(Math.tanh(h[0]!)).toBeCloseTo(0.8021766678, 6);
    expect(1 - Math.tanh(h[0]!) ** 2).toBeCloseTo(0.3565125936, 6);
    expect(1 - Math.tanh(h[1]!) ** 2).toBeCloseTo(0.9999945056, 6);
    expect(r.loss).toBeCloseTo(0.4727769840, 6);
    expect(r.correct).toBe(1);
  });

  it('and towards −1 for an output whose class is not the label', () => {
    const { layers, h } = neuron(2);
    ebpStep(layers, Float32Array.of(1, 0.5), 1, [1], 1);
    // Unit 0 has target −1, unit 1 target +1: the rows part from the same start.
    expect(h[0]).toBeCloseTo(-0.5004045451, 6);
    expect(h[1]).toBeCloseTo(-0.8002022726, 6);
    expect(Math.tanh(h[1]!)).toBeCloseTo(-0.6641498366, 6);
    expect(h[2]).toBeCloseTo(1.1046880512, 6);
  });

  it('η scales the step', () => {
    const { layers, h } = neuron(1);
    ebpStep(layers, Float32Array.of(1, 0.5), 1, [0], 0.5);
    expect(h[0]).toBeCloseTo(0.5 + 0.5 * (1.1046880512 - 0.5), 6);
  });
});

describe('log Φ and φ/Φ where Φ underflows', () => {
  // Reference values: double-precision log(erfc(−z/√2)/2), and the asymptotic series of φ/Φ.
  it.each([[-10, -53.23128515051246, 10.098093233962423], [-3, -6.607726221510348, 3.283098654930434], [-0.5, -1.1759117615936188, 1.1410777703680648],
    [0, -0.6931471805599453, 0.7978845608028654], [1, -0.1727537790234499, 0.2875999709391784], [5, -2.866516130081049e-7, 1.486719940904906e-6]])('z = %d', (z, logp, ratio) => {
    expect(Math.abs(logPhi(z) - logp) / Math.abs(logp)).toBeLessThan(2e-7);
    expect(Math.abs(millsRatio(z) - ratio) / ratio).toBeLessThan(2e-7);
  });
  it('stays finite at z = −40 (Φ ≈ 1e−350), where φ/Φ ≈ −z − 1/z + 2/z³', () => {
    expect(millsRatio(-40)).toBeCloseTo(40 + 1 / 40 - 2 / 40 ** 3, 5);
    expect(logPhi(-40)).toBeCloseTo(-804.6084420137538, 4);
  });
});

describe('networks EBP cannot train', () => {
  function refusal(lines: string[]): KilnError {
    const m = build(lines);
    try {
      ebpLayers(m, Object.fromEntries(Object.values(m.nodes).filter((n) => n.params).map((n) => [n.id, Object.fromEntries(Object.entries(n.params!).map(([k, t]) => [k, fromArray(t.shape, new Array(t.shape.reduce((a, b) => a * b, 1)).fill(0.1))]))])));
    } catch (e) {
      if (e instanceof KilnError) return e;
      throw e;
    }
    throw new Error('expected a refusal');
  }
  it('batch norm between the layers, at its position', () => {
    const e = refusal(['input x : f32[4, 6]', 'h = dense(x, 5, weights = binary) -> batchnorm -> sign', 'y = dense(h, 3, weights = binary)', 'output y']);
    expect(e.diagnostics[0]!.message).toContain('`h.batchnorm` is a batchnorm');
    expect(e.diagnostics[0]!.pos).toMatchObject({ line: 3 });
    expect(e.diagnostics[0]!.hint).toContain('dense(…, weights = binary) → sign');
  });
  it('real-valued weights', () => {
    const e = refusal(['input x : f32[4, 6]', 'h = dense(x, 5) -> sign', 'y = dense(h, 3, weights = binary)', 'output y']);
    expect(e.diagnostics[0]!.message).toContain('dense layer `h.dense` has f32 weights');
    expect(e.diagnostics[0]!.hint).toContain('weights = binary');
  });
  it('a relu instead of a sign unit', () => {
    const e = refusal(['input x : f32[4, 6]', 'h = dense(x, 5, weights = binary) -> relu', 'y = dense(h, 3, weights = binary)', 'output y']);
    expect(e.diagnostics[0]!.message).toContain('is a relu');
  });
});

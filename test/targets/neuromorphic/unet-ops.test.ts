/**
 * The ops a spiking U-Net needs between its populations — concat (skip connections), nearest
 * upsample2d, padded and 1×1 convolutions — as synapses: the maps against the interpreter on
 * one-hot inputs, and synapse totals against counts worked out by hand on tiny shapes.
 */
import { describe, expect, it } from 'vitest';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { neuronGraph } from '../../../targets/neuromorphic/neuron-graph.ts';
import { spikingGraph } from '../../../targets/neuromorphic/populations.ts';
import { resolveRates } from '../../../targets/neuromorphic/rates.ts';
import { projectionMaps, twinKeyOf } from '../../../targets/neuromorphic/synapse-maps.ts';
import { compileText } from '../../helpers/kiln.ts';

const synapsesOf = (src: string) => neuronGraph(compileText(src).module).synapses;

describe('synapse counts of the U-Net ops, by hand', () => {
  it('a 3×3 convolution with pad 1 on 3×3: in-bounds taps per output row are 2, 3, 2, so 7 × 7 = 49 (not 81)', () => {
    expect(synapsesOf('network s(batch = 1) { timesteps 2  input x : f32[1, 1, 3, 3]  a = conv2d(x, 1, 3, pad = 1) -> lif  output a }')).toBe(49);
  });

  it('a 1×1 convolution: one synapse per input channel per output neuron, 3 × 3 × 2 in × 5 out = 90', () => {
    expect(synapsesOf('network s(batch = 1) { timesteps 2  input x : f32[1, 2, 3, 3]  a = conv2d(x, 5, 1) -> lif  output a }')).toBe(90);
  });

  it('nearest upsample 2 then a 3×3 pad-1 convolution folds the copies: 2×2 → 4×4 reads 1, 2, 2, 1 source rows, 6 × 6 pairs per channel pair', () => {
    // x → a: 4 pixels × 2 channels (1×1 conv); a → b: 36 position pairs × 2 in × 3 out.
    expect(synapsesOf('network s(batch = 1) { timesteps 2  input x : f32[1, 1, 2, 2]  a = conv2d(x, 2, 1) -> lif  b = upsample2d(a, 2) -> conv2d(3, 3, pad = 1) -> lif  output b }')).toBe(8 + 216);
  });

  it('concat along channels: each part brings its own channels; 9 positions × (2 + 1) in × 2 out = 54 into c', () => {
    const src = 'network s(batch = 1) { timesteps 2  input x : f32[1, 1, 3, 3]  a = conv2d(x, 2, 1) -> lif  b = conv2d(x, 1, 1) -> lif  c = concat(a, b, axis = 1) -> conv2d(2, 1) -> lif  output c }';
    const sg = spikingGraph(compileText(src).module);
    const into = sg.projections.filter((p) => p.to === 'c');
    expect(into.map((p) => [p.from, p.fanIn])).toEqual([['a', 2], ['b', 1]]);
    // x feeds two populations (18 + 9), then 36 from a and 18 from b.
    expect(synapsesOf(src)).toBe(18 + 9 + 36 + 18);
  });

  it('a skip connection: a feeds b through a pool and c directly, b reaches c upsampled: 16 + 16 + 16 + 16', () => {
    const src = `network s(batch = 1) { timesteps 2  input x : f32[1, 1, 4, 4]
      a = conv2d(x, 1, 1) -> lif
      b = maxpool2d(a, 2) -> conv2d(1, 1) -> lif
      u = upsample2d(b, 2)
      c = concat(u, a, axis = 1) -> conv2d(1, 1) -> lif
      output c }`;
    const sg = spikingGraph(compileText(src).module);
    expect(sg.projections.map((p) => `${p.from}→${p.to}`)).toEqual(['x→a', 'a→b', 'b→c', 'a→c']);
    expect(synapsesOf(src)).toBe(64);
  });
});

describe('a readout layer at the output', () => {
  it('a weighted layer on spikes that drives no lif integrates on chip, never spikes, and its softmax is left to the host', () => {
    const src = 'network s(batch = 1) { timesteps 2  input x : f32[1, 1, 3, 3]  a = conv2d(x, 2, 1) -> lif  y = conv2d(a, 2, 1) -> softmax(axis = 1)  output y }';
    const m = compileText(src).module;
    const g = neuronGraph(m);
    const readout = g.populations.find((p) => p.name === 'y.conv2d')!;
    expect(readout).toMatchObject({ readout: true, neurons: 18 });
    // x → a: 9 × 2; a → y.conv2d: 9 positions × 2 in × 2 out.
    expect(g.synapses).toBe(18 + 36);
    const rates = resolveRates(g, { defaultRate: 0.5 });
    expect(rates.source['y.conv2d']).toBe('readout (never spikes)');
    for (let v = readout.offset; v < readout.offset + readout.blocks; v++) expect(rates.vertex[v]).toBe(0);
  });
});

describe('concat and upsample maps agree with the interpreter (one-hot input, positive weights)', () => {
  // The spiking network's projections from p and q into the last layer, and the same layers as a
  // plain network with two inputs: a one-hot value on one input lights exactly its targets.
  const layers = 'u = upsample2d(p, 2)  y = concat(u, q, axis = 1) -> conv2d(3, 3, pad = 1)';
  const snn = compileText(`network s(batch = 1) { timesteps 2  input x : f32[1, 1, 6, 6]
    p = maxpool2d(x, 2) -> conv2d(2, 1) -> lif  q = conv2d(x, 1, 1) -> lif  ${layers} -> lif  output y }`).module;
  const plain = compileText(`network t(batch = 1) { input p : f32[1, 2, 3, 3]  input q : f32[1, 1, 6, 6]  ${layers}  output y }`).module;
  const params = initParams(plain, 1);
  for (const layer of Object.values(params)) {
    if (layer.weight) layer.weight.data.forEach((v, i, a) => { a[i] = Math.abs(v) + 0.01; });
    if (layer.bias) layer.bias.data.fill(0);
  }
  for (const [from, shape] of [['p', [2, 3, 3]], ['q', [1, 6, 6]]] as const) {
    it(`from ${from}`, () => {
      const proj = spikingGraph(snn).projections.find((p) => p.from === from && p.to === 'y')!;
      const maps = projectionMaps(snn, proj);
      const key = twinKeyOf(snn, proj, [...shape]);
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const byKey = new Map<number, string>();
      for (let u = 0; u < n; u++) {
        const inputs = { p: { shape: [1, 2, 3, 3], data: new Float32Array(18) }, q: { shape: [1, 1, 6, 6], data: new Float32Array(36) } };
        inputs[from].data[u] = 1;
        const y = run(plain, params, inputs).outputs.y!;
        const truth = [...y.data.keys()].filter((i) => y.data[i] !== 0);
        let cur = [u];
        for (const map of maps) { const next: number[] = []; for (const i of cur) map(i, next); cur = [...new Set(next)]; }
        expect(cur.sort((a, b) => a - b), `targets of ${from} neuron ${u}`).toEqual(truth);
        const sig = cur.join(',');
        const k = key(u);
        if (byKey.has(k)) expect(sig, `twin key ${k}`).toBe(byKey.get(k));
        else byKey.set(k, sig);
      }
    });
  }

  it('bilinear upsampling is refused, saying why and what works', () => {
    const m = compileText('network s(batch = 1) { timesteps 2  input x : f32[1, 1, 2, 2]  a = conv2d(x, 1, 1) -> lif  b = upsample2d(a, 2, mode = bilinear) -> conv2d(1, 3, pad = 1) -> lif  output b }').module;
    expect(() => neuronGraph(m)).toThrowError(/upsamples with mode = bilinear; a spike cannot be interpolated.*mode = nearest/);
  });
});

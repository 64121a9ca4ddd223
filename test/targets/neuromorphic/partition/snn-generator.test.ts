import { describe, expect, it } from 'vitest';
import { findAsymmetry } from '../../../../targets/neuromorphic/partition/metis-format.ts';
import { BENCH_SNNS, generateSnn, type SnnSpec } from '../../../../targets/neuromorphic/partition/snn-generator.ts';

/** Synapses into a k×k, stride s, 'same'-padded convolution, counted from the outputs' side. */
function convSynapses(cin: number, h: number, w: number, cout: number, k: number, s: number): number {
  const p = Math.floor(k / 2);
  const ho = Math.floor((h + 2 * p - k) / s) + 1;
  const wo = Math.floor((w + 2 * p - k) / s) + 1;
  let n = 0;
  for (let oy = 0; oy < ho; oy++) {
    for (let ox = 0; ox < wo; ox++) {
      let rows = 0;
      let cols = 0;
      for (let ky = 0; ky < k; ky++) if (oy * s - p + ky >= 0 && oy * s - p + ky < h) rows++;
      for (let kx = 0; kx < k; kx++) if (ox * s - p + kx >= 0 && ox * s - p + kx < w) cols++;
      n += rows * cols;
    }
  }
  return n * cin * cout;
}

describe('generateSnn', () => {
  const spec: SnnSpec = {
    name: 't',
    layers: [{ kind: 'input', channels: 2, height: 12, width: 10 }, { kind: 'conv', channels: 4 }, { kind: 'pool' }, { kind: 'conv', channels: 6, stride: 2 }, { kind: 'dense', units: 5 }],
  };
  const net = generateSnn(spec);

  it('unrolls the layer stack into the right neurons and synapses', () => {
    expect(net.layers.map((l) => [l.c, l.h, l.w])).toEqual([[2, 12, 10], [4, 12, 10], [4, 6, 5], [6, 3, 3], [5, 1, 1]]);
    expect(net.neurons).toBe(240 + 480 + 120 + 54 + 5);
    const expected = [0, convSynapses(2, 12, 10, 4, 3, 1), 480, convSynapses(4, 6, 5, 6, 3, 2), 54 * 5];
    expect(net.layers.map((l) => l.synapses)).toEqual(expected);
    expect(net.synapses).toBe(expected.reduce((a, b) => a + b));
  });

  it('emits a symmetric METIS graph and source-first nets that describe the same synapses', () => {
    const { graph, hypergraph: h } = net;
    expect(findAsymmetry(graph)).toBeUndefined();
    expect(graph.adjncy.length).toBe(2 * net.synapses);
    expect(h.pins.length).toBe(net.synapses + h.ne);
    for (let e = 0; e < h.ne; e++) {
      const src = h.pins[h.eptr[e]!]!;
      expect(h.ewgt![e]).toBe(Math.max(1, Math.round(net.rates[src]! * 1000)));
      for (let i = h.eptr[e]! + 1; i < h.eptr[e + 1]!; i++) expect(h.pins[i]!).toBeGreaterThan(src);
    }
    // Every edge weighs its presynaptic neuron's rate, from both ends.
    for (let v = 0; v < graph.nv; v++) {
      for (let j = graph.xadj[v]!; j < graph.xadj[v + 1]!; j++) {
        const u = graph.adjncy[j]!;
        const src = Math.min(u, v);
        expect(graph.adjwgt![j]).toBe(Math.max(1, Math.round(net.rates[src]! * 1000)));
      }
    }
  });

  it('gives rates of 0.01–0.3 spikes per step that vary across layers and space', () => {
    for (const r of net.rates) {
      expect(r).toBeGreaterThanOrEqual(0.01);
      expect(r).toBeLessThanOrEqual(0.3);
    }
    const conv = net.layers[1]!;
    const ch0 = Array.from(net.rates.subarray(conv.offset, conv.offset + conv.h * conv.w));
    expect(Math.max(...ch0) / Math.min(...ch0)).toBeGreaterThan(2);
    const mean = (l: (typeof net.layers)[number]) => net.rates.subarray(l.offset, l.offset + l.count).reduce((a, b) => a + b) / l.count;
    expect(new Set(net.layers.map((l) => mean(l).toFixed(4))).size).toBe(net.layers.length);
  });

  it('is deterministic and reaches a million neurons in the benchmark set', () => {
    const again = generateSnn(spec);
    expect(Array.from(again.hypergraph.pins)).toEqual(Array.from(net.hypergraph.pins));
    expect(Array.from(again.rates)).toEqual(Array.from(net.rates));
    const big = BENCH_SNNS.find((s) => s.name === 'dvs-1m')!;
    // Count neurons from the spec without generating the synapses.
    let c = 2, h = 256, w = 256, n = 2 * 256 * 256;
    for (const l of big.layers.slice(1)) {
      if (l.kind === 'conv') (h = Math.floor((h - 1) / (l.stride ?? 1)) + 1), (w = Math.floor((w - 1) / (l.stride ?? 1)) + 1), (c = l.channels);
      else if (l.kind === 'pool') (h = Math.floor(h / 2)), (w = Math.floor(w / 2));
      else if (l.kind === "dense") (c = l.units), (h = 1), (w = 1);
      n += c * h * w;
    }
    expect(n).toBeGreaterThan(900_000);
    expect(n).toBeLessThan(1_100_000);
  });

  it('rejects a stack without an input layer', () => {
    expect(() => generateSnn({ name: 'x', layers: [{ kind: 'conv', channels: 3 }] })).toThrow(/first layer must be an input/);
  });
});

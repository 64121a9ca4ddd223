/** ANN→SNN conversion on hand networks: IF rates, percentile thresholds, rescaled weights, rates → ANN outputs as T grows. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { accuracyOverTime, scoresOverTime } from '../../../runtime/convert/accuracy-over-time.ts';
import { prepareAnn } from '../../../runtime/convert/prepare-ann.ts';
import { buildSnn, thresholdLayers } from '../../../runtime/convert/snn.ts';
import { calibrateScales, layerScale, percentileIndex } from '../../../runtime/convert/thresholds.ts';
import type { Dataset } from '../../../runtime/data/dataset.ts';
import { initParams, run } from '../../../runtime/interpreter.ts';
import { emitKiln } from '../../../runtime/convert/emit-kiln.ts';
import type { Weights } from '../../../runtime/interpreter/types.ts';
import { lif } from '../../../runtime/kernels/lif.ts';
import { compileText } from '../../helpers/kiln.ts';

const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });

describe('integrate-and-fire neurons (lif, decay 1, reset by subtraction)', () => {
  it.each([[0.3, 1], [0.7, 2], [1.9, 4], [0.25, 1], [0, 1]])('driven by a constant current %f with threshold %f fire at rate ≈ c/θ', (c, theta) => {
    const steps = 200;
    const r = lif({ shape: [steps, 1], data: new Float32Array(steps).fill(c) }, { decay: 1, threshold: theta, reset: 'subtract' });
    const count = r.spikes.data.reduce((a, b) => a + b, 0);
    // Reset by subtraction keeps the remainder, so after T steps ⌊T·c/θ⌋ spikes have fired (give or
    // take one where float32 rounding of the running membrane crosses the threshold a step late).
    expect(Math.abs(count - Math.floor((steps * c) / theta))).toBeLessThanOrEqual(1);
  });
});

describe('percentile thresholds', () => {
  it('take the p-th percentile of the positive values only', () => {
    const v = Float32Array.from([0, 0, 0, 5, 1, 0, 3, 2, 4, 0]);
    // Positives sorted: 1 2 3 4 5; the 60th percentile is the ⌈0.6·5⌉ = 3rd, i.e. 3; 100th is 5.
    expect(layerScale(v, { kind: 'percentile', p: 60 })).toBe(3);
    expect(layerScale(v, { kind: 'percentile', p: 100 })).toBe(5);
    expect(layerScale(v, { kind: 'max' })).toBe(5);
    expect(v[percentileIndex(v, 60)]).toBe(3);
    expect(layerScale(new Float32Array(4), { kind: 'max' })).toBe(0);
  });
});

const HAND = `
network hand(batch = 4) {
  input x : f32[batch, 2]
  h = dense(x, 3) -> relu
  y = dense(h, 2) -> softmax
  output y
}`;

function handNet(): { m: Module; w: Weights; data: Dataset } {
  const m = compileText(HAND).module;
  const w: Weights = {
    'h.dense': { weight: t([3, 2], [1, 0, 0, 1, 1, -1]), bias: t([3], [0, 0, 0]) },
    'y.dense': { weight: t([2, 3], [0.5, 0, 0.25, 0, 1, 0]), bias: t([2], [0.1, 0]) },
  };
  // Four samples: h = relu([x0, x1, x0 − x1]).
  const x = [1, 0, 2, 1, 0, 3, 4, 2];
  return { m, w, data: { name: 'hand', sampleShape: [2], x: Float32Array.from(x), y: Int32Array.from([0, 0, 1, 0]), count: 4, classes: 2 } };
}

describe('conversion of a hand network', () => {
  it('sets each threshold to the percentile of that layer\'s positive activations and scales the next weights by it', () => {
    const { m, w, data } = handNet();
    const ann = prepareAnn(m, w, 'avg');
    const layers = thresholdLayers(ann.module);
    expect(layers).toEqual(['h', 'y.dense']);
    const scales = calibrateScales(ann.module, ann.weights, data, layers, { kind: 'max' }, { samples: 4 });
    // h over the 4 samples: [1,0,1] [2,1,1] [0,3,0] [4,2,2]: max 4, 9 positive values.
    expect(scales[0]).toEqual({ node: 'h', lambda: 4, positives: 9 });
    // y.dense = [0.5·h0 + 0.25·h2 + 0.1, h1]: [0.85, 0] [1.35, 1] [0.1, 3] [2.6, 2]: max 3, 7 positive.
    expect(scales[1]!.lambda).toBeCloseTo(3, 6);
    expect(scales[1]!.positives).toBe(7);
    const p = calibrateScales(ann.module, ann.weights, data, layers, { kind: 'percentile', p: 50 }, { samples: 4 });
    // h's positives sorted: 1 1 1 1 2 2 2 3 4; the 50th percentile is the ⌈4.5⌉ = 5th: 2.
    expect(p[0]!.lambda).toBe(2);

    const snn = buildSnn(ann, scales, 10);
    expect(snn.layers.map((l) => [l.name, l.threshold, l.output])).toEqual([['h', 4, false], ['y', 3, true]]);
    // The first layer reads the analog input (scale 1): its weights are kept.
    expect([...snn.weights.h_dense!.weight!.data]).toEqual([1, 0, 0, 1, 1, -1]);
    // The second reads spikes standing for h/4: its weights are multiplied by 4, its bias kept.
    expect([...snn.weights.y_dense!.weight!.data]).toEqual([2, 0, 1, 0, 4, 0]);
    expect(snn.weights.y_dense!.bias!.data[0]).toBeCloseTo(0.1, 6);
    expect(snn.module.nodes.h!.attrs).toEqual({ threshold: 4, decay: 1, reset: 'subtract' });
  });

  it('gives output rates that approach the ANN\'s positive logits / λ as T grows', () => {
    const { m, w, data } = handNet();
    const ann = prepareAnn(m, w, 'avg');
    const scales = calibrateScales(ann.module, ann.weights, data, thresholdLayers(ann.module), { kind: 'max' }, { samples: 4 });
    const snn = buildSnn(ann, scales, 1);
    const typed = compileText(`
network hand_snn(batch = 4, T = 1) {
  timesteps T
  input x : f32[batch, 2]
  h_dense = dense(x, units = 3)
  h = lif(h_dense, threshold = 4, decay = 1, reset = subtract)
  y_dense = dense(h, units = 2)
  y = lif(y_dense, threshold = 3, decay = 1, reset = subtract)
  output y
}`, { overrides: { T: 1 } }).module;
    const x = { x: t([4, 2], [...data.x]) };
    const logits = run(ann.module, ann.weights, x, { keepValues: true }).values!['y.dense']!;
    const error = (steps: number) => {
      const rates = run({ ...typed, timesteps: steps }, snn.weights, x).outputs.y!;
      let worst = 0;
      for (let i = 0; i < rates.data.length; i++) worst = Math.max(worst, Math.abs(rates.data[i]! * 3 - Math.max(0, logits.data[i]!)));
      return worst;
    };
    const errs = [5, 50, 500].map(error);
    expect(errs[2]!).toBeLessThan(errs[0]!);
    expect(errs[2]!).toBeLessThan(0.05);
    // Accuracy after T steps read from one run equals a run of exactly T steps.
    const [acc5, acc500] = accuracyOverTime(typed, snn.weights, data, [5, 500]);
    const direct = (steps: number) => {
      const r = run({ ...typed, timesteps: steps }, snn.weights, x).outputs.y!;
      let c = 0;
      for (let i = 0; i < 4; i++) if ((r.data[2 * i + 1]! > r.data[2 * i]! ? 1 : 0) === data.y[i]) c++;
      return c / 4;
    };
    expect(acc5).toBe(direct(5));
    expect(acc500).toBe(direct(500));
  });

  it('folds batchnorm into the layer before it, removes dropout and turns maxpool into avgpool', () => {
    const m = compileText(`
network bn(batch = 2) {
  input x : f32[batch, 1, 4, 4]
  c = conv2d(x, 2, 3, pad = 1, bias = false) -> batchnorm -> relu -> maxpool2d(2) -> dropout(p = 0.5)
  y = flatten(c) -> dense(2) -> softmax
  output y
}`).module;
    const w: Weights = {
      'c.conv2d': { weight: t([2, 1, 3, 3], Array.from({ length: 18 }, (_, i) => (i % 5) - 2)) },
      'c.batchnorm': { gamma: t([2], [2, 0.5]), beta: t([2], [1, -1]), running_mean: t([2], [0.5, -0.5]), running_var: t([2], [4, 0.25]) },
      'y.dense': { weight: t([2, 8], Array.from({ length: 16 }, (_, i) => (i % 3) - 1)), bias: t([2], [0, 0]) },
    };
    const x = { x: t([2, 1, 4, 4], Array.from({ length: 32 }, (_, i) => Math.sin(i))) };
    const ann = prepareAnn(m, w, 'avg');
    expect(Object.values(ann.module.nodes).map((n) => n.op)).toEqual(['input', 'conv2d', 'relu', 'avgpool2d', 'flatten', 'dense', 'softmax']);
    const before = run(m, w, x, { keepValues: true }).values!['c.relu']!;
    const after = run(ann.module, ann.weights, x, { keepValues: true }).values!['c.relu']!;
    for (let i = 0; i < before.data.length; i++) expect(after.data[i]).toBeCloseTo(before.data[i]!, 4);
    // The caller's weights are untouched.
    expect(w['c.conv2d']!.bias).toBeUndefined();
  });

  it('scales each input channel of a layer after a concat by the threshold of the layer it came from', () => {
    const m = compileText(`
network cat(batch = 1) {
  input x : f32[batch, 1, 2, 2]
  a = conv2d(x, 1, 1) -> relu
  b = conv2d(x, 1, 1) -> relu
  y = concat(a, b, axis = 1) -> conv2d(1, 1)
  output y
}`).module;
    const w: Weights = {
      'a.conv2d': { weight: t([1, 1, 1, 1], [1]), bias: t([1], [0]) },
      'b.conv2d': { weight: t([1, 1, 1, 1], [3]), bias: t([1], [0]) },
      y: { weight: t([1, 2, 1, 1], [1, 1]), bias: t([1], [0]) },
    };
    const ann = prepareAnn(m, w, 'avg');
    const snn = buildSnn(ann, [{ node: 'a', lambda: 2, positives: 1 }, { node: 'b', lambda: 6, positives: 1 }, { node: 'y', lambda: 1, positives: 1 }], 10);
    expect([...snn.weights.y_current!.weight!.data]).toEqual([2, 6]);
    expect(snn.module.outputs).toEqual(['y']);
  });
});

describe('conversion of unet_small (concat skips, upsample2d, padded convolutions)', () => {
  it('gives a .kiln network that compiles, takes the converted weights and runs', () => {
    const m = compileText(readFileSync('examples/unet_small.kiln', 'utf8'), { overrides: { size: 16, c: 4, batch: 1 } }).module;
    const w = initParams(m, 1);
    const count = 2;
    const x = Float32Array.from({ length: count * 256 }, (_, i) => Math.abs(Math.sin(i * 0.37)));
    const data: Dataset = { name: 'noise', sampleShape: [1, 16, 16], x, y: new Int32Array(count), count, classes: 2 };
    const ann = prepareAnn(m, w, 'avg');
    const scales = calibrateScales(ann.module, ann.weights, data, thresholdLayers(ann.module), { kind: 'percentile', p: 99 }, { samples: count });
    const snn = buildSnn(ann, scales, 3);
    const text = emitKiln(snn.module, snn.layers, { source: 'unet_small.kiln', checkpoint: 'u.ckpt', thresholds: 'the 99th percentile', calibration: '2 samples', changes: ann.changes, weights: 'f32' });
    const typed = compileText(text).module;
    expect(typed.timesteps).toBe(3);
    expect(Object.values(typed.nodes).filter((n) => n.op === 'lif')).toHaveLength(scales.length);
    // m2's convolution reads concat(d2, e2): its first 8 input channels carry d2's threshold, the next 8 e2's.
    const lam = (id: string) => scales.find((s) => s.node === id)!.lambda;
    const cat = snn.weights.m2_conv2d!.weight!;
    const orig = w['m2.conv2d']!.weight!;
    const per = 9;
    expect(cat.data[0]! / orig.data[0]!).toBeCloseTo(Number(lam('d2').toPrecision(6)), 4);
    expect(cat.data[8 * per]! / orig.data[8 * per]!).toBeCloseTo(Number(lam('e2').toPrecision(6)), 4);
    const params = initParams(typed, 0);
    for (const [id, ps] of Object.entries(params)) for (const [k, t2] of Object.entries(ps)) t2.data.set(snn.weights[id]![k]!.data);
    const out = run(typed, params, { x: { shape: [1, 1, 16, 16], data: x.subarray(0, 256) } }).outputs.y!;
    expect(out.shape).toEqual([1, 2, 16, 16]);
    expect(out.data.every((r) => r >= 0 && r <= 1)).toBe(true);
  });
});

describe('a spiking segmentation output', () => {
  // Two pixels, two classes on the channel axis: background gets 0.5·x + 0.3, foreground x. Pixel
  // values 1 and 0.2 give currents (0.8, 1) and (0.4, 0.2): foreground, then background. Read
  // along the width instead, each channel's row would pick pixel 0 and get one pixel of two right.
  const m = compileText(`network seg(batch = 1, T = 200) {
  timesteps T
  input x : f32[batch, 1, 1, 2]
  y_conv = conv2d(x, filters = 2, kernel = [1, 1])
  y = lif(y_conv, threshold = 1, decay = 1, reset = subtract)
  output y
}`).module;
  const w = initParams(m, 0);
  w.y_conv!.weight!.data.set([0.5, 1]);
  w.y_conv!.bias!.data.set([0.3, 0]);
  const ds: Dataset = { name: 'two-pixels', sampleShape: [1, 1, 2], x: Float32Array.from([1, 0.2]), y: Int32Array.from([1, 0]), count: 1, classes: 2 };

  it('is read on the class axis pixel by pixel, with the foreground IoU', () => {
    const r = scoresOverTime(m, w, ds, [200], { classAxis: 1, overlap: true });
    expect(r.accuracy).toEqual([1]);
    expect(r.iou).toEqual([1]);
    expect(accuracyOverTime(m, w, ds, [200])).toEqual([0.5]);
  });
});

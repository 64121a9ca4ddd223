/**
 * Post-training quantization of a briefly trained MLP, held to issue 10's goals: int8 per-channel
 * within 0.5 points of f32 test accuracy (Krishnamoorthi 2018 reports per-channel int8 within about
 * that without fine-tuning), int16 within 0.1; and the static scales make a sample's output
 * independent of its batch-mates.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { forward } from '../../../runtime/autodiff/forward.ts';
import { writeCheckpointAtomic } from '../../../runtime/checkpoint.ts';
import { loadData } from '../../../runtime/data/index.ts';
import type { Split } from '../../../runtime/data/dataset.ts';
import { initParams } from '../../../runtime/interpreter.ts';
import type { Weights } from '../../../runtime/interpreter/types.ts';
import { chooseClip, parseMethod } from '../../../runtime/quantize/calibrate.ts';
import { OUT_SCALE, withPrecisions } from '../../../runtime/quantize/layer-precision.ts';
import { quantizeNetwork, type Quantized } from '../../../runtime/quantize/ptq.ts';
import { evaluate, train } from '../../../runtime/train.ts';
import { loadCheckpointInto, paramKey } from '../../../runtime/train/state.ts';
import { prepare } from '../../../runtime/train/setup.ts';
import { zeros } from '../../../runtime/tensor.ts';

const i8pc = { dtype: 'i8', granularity: 'per_channel' } as const;
const i8pt = { dtype: 'i8', granularity: 'per_tensor' } as const;
const i16 = { dtype: 'i16', granularity: 'per_tensor' } as const;

let m: Module;
let data: Split;
let weights: Weights;
let f32: number;

const ptq = (w: typeof i8pc | typeof i8pt | typeof i16, act = w.dtype === 'i16' ? i16 : i8pt): Quantized =>
  quantizeNetwork(m, weights, { weights: w, activations: act, method: parseMethod('max')!, calibration: data.train, samples: 256 });

beforeAll(() => {
  const p = prepare('examples/mlp.kiln');
  m = p.module;
  data = loadData(p.config!.data.name, p.config!.data.args);
  weights = train({ module: m, config: p.config!, data }, { epochs: 3, testLimit: 0 }).weights;
  f32 = evaluate(m, weights, data.test).accuracy;
}, 120_000);

describe('kiln quantize on mlp (3 epochs of training)', () => {
  it('trains to a useful f32 accuracy first', () => expect(f32).toBeGreaterThan(0.9));

  it('int8 per-channel loses at most 0.5 points; per-tensor is measured beside it', () => {
    const pc = evaluate(ptq(i8pc).module, ptq(i8pc).weights, data.test).accuracy;
    const q = ptq(i8pt);
    const pt = evaluate(q.module, q.weights, data.test).accuracy;
    expect(f32 - pc).toBeLessThanOrEqual(0.005);
    expect(f32 - pt).toBeLessThanOrEqual(0.02);
  });

  it('int16 dynamic fixed point loses at most 0.1 points', () => {
    const q = ptq(i16);
    expect(f32 - evaluate(q.module, q.weights, data.test).accuracy).toBeLessThanOrEqual(0.001);
  });

  it('stores weights at their quantized values, a static scale per output channel, one activation scale per layer', () => {
    const q = ptq(i8pc);
    const w = q.weights['h.dense']!.weight!, s = q.weights['h.dense']!.weight_scale!;
    expect(s.data.length).toBe(w.shape[0]);
    const inner = w.shape[1]!;
    for (let i = 0; i < w.data.length; i += 997) {
      const k = w.data[i]! / s.data[Math.floor(i / inner)]!;
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-3);
      expect(Math.abs(Math.round(k))).toBeLessThanOrEqual(127);
    }
    expect(q.weights['h.dense']![OUT_SCALE]!.data.length).toBe(1);
    expect(q.module.nodes['h.dense']!.attrs.weights).toEqual(i8pc);
    expect(Object.keys(q.precision)).toEqual(['h.dense', 'y.dense']);
  });

  it('a sample gives the same output alone as inside a batch of 64 (and would not with scales from each batch)', () => {
    const q = ptq(i8pc);
    const batch = data.test.sampleShape.reduce((a, b) => a * b, 1);
    const full = zeros([64, batch]);
    full.data.set(data.test.x.subarray(0, 64 * batch));
    const alone = zeros([64, batch]);
    alone.data.set(data.test.x.subarray(0, batch));
    const out = (mod: Module, w: Weights, x: typeof full) => forward(mod, w, { x }, { record: false }).outputs[mod.outputs[0]!]!.data.subarray(0, 10);
    expect(Array.from(out(q.module, q.weights, alone))).toEqual(Array.from(out(q.module, q.weights, full)));
    // The same precisions with the static activation scales removed: each batch picks its own.
    const dynamic: Weights = Object.fromEntries(Object.entries(q.weights).map(([id, ps]) => [id, Object.fromEntries(Object.entries(ps).filter(([n]) => n !== OUT_SCALE))]));
    expect(Array.from(out(q.module, dynamic, alone))).not.toEqual(Array.from(out(q.module, dynamic, full)));
  });

  it('a quantized checkpoint loads into the f32 source as the quantized network', () => {
    const q = ptq(i8pc);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kiln-ptq-')), 'q.ckpt');
    const params = new Map<string, Float32Array>();
    for (const [id, ps] of Object.entries(q.weights)) for (const [n, t] of Object.entries(ps)) params.set(paramKey(id, n), t.data);
    writeCheckpointAtomic(file, { network: m.name, epoch: 3, seed: 1, params, optimizer: { step: 0, slots: new Map() }, extra: {}, precision: q.precision });
    const w = initParams(m, 5);
    const loaded = loadCheckpointInto(file, m, w);
    expect(loaded.module.nodes['y.dense']!.attrs.activations).toEqual(i8pt);
    expect(evaluate(loaded.module, w, data.test).accuracy).toBe(evaluate(q.module, q.weights, data.test).accuracy);
    expect(withPrecisions(m, undefined)).toBe(m);
  });
});

describe('calibration methods', () => {
  const values = Float32Array.from({ length: 10_000 }, (_, i) => (i % 100) / 100);
  values[0] = 50; // one outlier

  it('max keeps the largest value; percentile cuts the tail', () => {
    expect(chooseClip(values, { kind: 'max' }, 'i8')).toBe(50);
    expect(chooseClip(values, { kind: 'percentile', p: 99 }, 'i8')).toBeCloseTo(0.99, 5);
  });

  it('mse chooses the clip of least quantization error, clipping a long tail that max keeps', () => {
    // |x| of a Laplace-like distribution: many small values, a long thin tail.
    const tail = Float32Array.from({ length: 20_000 }, (_, i) => Math.log((i + 0.5) / 20_000) ** 2);
    const err = (clip: number) => {
      const s = clip / 127;
      return tail.reduce((e, v) => e + (v - Math.min(127, Math.round(v / s)) * s) ** 2, 0);
    };
    const max = chooseClip(tail, { kind: 'max' }, 'i8');
    const mse = chooseClip(tail, { kind: 'mse' }, 'i8');
    expect(mse).toBeLessThan(max);
    expect(err(mse)).toBeLessThan(err(max));
    expect(err(mse)).toBeLessThanOrEqual(err(chooseClip(tail, { kind: 'percentile', p: 99.9 }, 'i8')));
  });

  it('parses the method names and refuses others', () => {
    expect(parseMethod('percentile:99.99')).toEqual({ kind: 'percentile', p: 99.99 });
    expect(parseMethod('percentile:0')).toBeUndefined();
    expect(parseMethod('percentile:101')).toBeUndefined();
    expect(parseMethod('entropy')).toBeUndefined();
  });
});

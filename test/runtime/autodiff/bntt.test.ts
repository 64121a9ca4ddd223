/**
 * Batch Normalization Through Time (Kim & Panda 2021), `batchnorm(per_step = true)`: running
 * statistics [T, C], row t for step t, in the language, the interpreter, folded training, the
 * gradients and checkpoints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Module } from '../../../compiler/ir/module.ts';
import { backward, computeLoss, forward } from '../../../runtime/autodiff.ts';
import { initParams, run, type Weights } from '../../../runtime/interpreter.ts';
import { setKernelBackend } from '../../../runtime/kernels/wasm/instance.ts';
import { writeCheckpointAtomic } from '../../../runtime/checkpoint.ts';
import { moduleWork } from '../../../targets/workload.ts';
import { loadCheckpointInto, paramKey } from '../../../runtime/train/state.ts';
import { type Tensor, mulberry32, randomUniform } from '../../../runtime/tensor.ts';
import { compileError, compileText, net } from '../../helpers/kiln.ts';
import { build, checkGradients } from './helpers.ts';

const T = 3, B = 8, C = 3, EPS = 1e-5;

// A low threshold: every channel's spikes differ between samples and between steps.
const spikingBn = (): Module => build([`timesteps ${T}`, `input x : f32[${B}, 5]`,
  'm = dense(x, 3) -> lif(threshold = 0.2)', 'y = batchnorm(m, per_step = true)', 'o = dense(y, 2)', 'output o']);

/** Distinct statistics per row, so that using the wrong row shows. */
function distinctRows(w: Weights): void {
  const p = w.y!;
  p.running_mean!.data.forEach((_, i) => { p.running_mean!.data[i] = 0.3 * i - 1; });
  p.running_var!.data.forEach((_, i) => { p.running_var!.data[i] = 0.5 + 0.25 * i; });
  p.gamma!.data.set([1.5, -0.5, 2]);
  p.beta!.data.set([0.1, 0.2, -0.3]);
}

/** Each step's value of nodes `m` and `y`, from the interpreter's per-node hook. */
function stepValues(mod: Module, w: Weights, x: Tensor, training: boolean): { m: Tensor[]; y: Tensor[]; state: Weights } {
  const seen: { m: Tensor[]; y: Tensor[] } = { m: [], y: [] };
  const r = run(mod, w, { x }, { training, onNode: ({ node, output }) => {
    if (node.id === 'm' || node.id === 'y') seen[node.id].push({ shape: output.shape, data: Float32Array.from(output.data) });
    return output;
  } });
  return { ...seen, state: r.state };
}

describe('batchnorm(per_step = true)', () => {
  afterEach(() => setKernelBackend(undefined));

  it('declares [timesteps, channels] running statistics, and is refused at its location without timesteps', () => {
    const m = spikingBn();
    expect(m.nodes.y!.params!.running_mean!.shape).toEqual([T, C]);
    expect(m.nodes.y!.params!.gamma!.shape).toEqual([C]);
    const plain = compileText(net(['timesteps 3', 'input x : f32[2, 4]', 'y = dense(x, 3) -> lif -> batchnorm', 'output y'])).module;
    expect(Object.values(plain.nodes).find((n) => n.op === 'batchnorm')!.params!.running_mean!.shape).toEqual([3]);
    const e = compileError(net(['input x : f32[2, 4]', 'y = dense(x, 3) -> batchnorm(per_step = true)', 'output y']));
    const d = e.diagnostics[0]!;
    expect(d.message).toMatch(/per_step = true.*no time steps/);
    expect(d.hint).toMatch(/timesteps N/);
    expect([d.pos?.line, d.pos?.col]).toEqual([3, 22]);
  });

  it('inference normalizes step t with row t, and steps past the declared ones with the last row', () => {
    const m = spikingBn();
    const w = initParams(m, 1);
    distinctRows(w);
    const x = randomUniform([B, 5], mulberry32(2), -1, 1);
    // Two steps more than declared: the module's parameters stay [T, C].
    const longer = { ...m, timesteps: T + 2 };
    const got = stepValues(longer, w, x, false);
    expect(got.y.length).toBe(T + 2);
    const p = w.y!;
    for (let t = 0; t < T + 2; t++) {
      const row = Math.min(t, T - 1);
      got.m[t]!.data.forEach((v, i) => {
        const c = i % C;
        const want = p.gamma!.data[c]! * (v - p.running_mean!.data[row * C + c]!) / Math.sqrt(p.running_var!.data[row * C + c]! + EPS) + p.beta!.data[c]!;
        expect(got.y[t]!.data[i]).toBeCloseTo(want, 5);
      });
    }
    // The rows matter: a step normalized with row 0 would differ.
    expect(Math.abs(got.y[2]!.data[0]! - (p.gamma!.data[0]! * (got.m[2]!.data[0]! - p.running_mean!.data[0]!) / Math.sqrt(p.running_var!.data[0]! + EPS) + p.beta!.data[0]!))).toBeGreaterThan(0.1);
  });

  it('training moves row t with step t\'s batch statistics only', () => {
    const m = spikingBn();
    const w = initParams(m, 1);
    distinctRows(w);
    const x = randomUniform([B, 5], mulberry32(3), -1, 1);
    const got = stepValues(m, w, x, true);
    const before = w.y!, after = got.state.y!;
    expect(after.running_mean!.shape).toEqual([T, C]);
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) {
        const vals = Array.from({ length: B }, (_, b) => got.m[t]!.data[b * C + c]!);
        const mu = vals.reduce((a, v) => a + v, 0) / B;
        const variance = vals.reduce((a, v) => a + (v - mu) ** 2, 0) / B;
        // Kiln's momentum 0.1 is the update rate (PyTorch's convention).
        expect(after.running_mean!.data[t * C + c]).toBeCloseTo(0.9 * before.running_mean!.data[t * C + c]! + 0.1 * mu, 5);
        expect(after.running_var!.data[t * C + c]).toBeCloseTo(0.9 * before.running_var!.data[t * C + c]! + 0.1 * variance, 5);
      }
    }
  });

  for (const training of [true, false]) {
    it(`gradients match finite differences (${training ? 'training: batch statistics per step' : 'inference: running statistics per row'})`, () => {
      const m = spikingBn();
      const w = initParams(m, 5);
      distinctRows(w);
      // Spikes have no finite differences: only the batch norm and the layer after it are probed.
      expect(checkGradients(m, { x: randomUniform([B, 5], mulberry32(6), -1, 1) }, { training, weights: w, eps: 3e-3, rtol: 5e-2, nodes: ['y', 'o'], skipInputs: ['x'] })).toBe(14);
    });
  }

  const cnn = build([`timesteps 4`, 'input x : f32[3, 1, 12, 12]',
    's1 = conv2d(x, 4, 3) -> batchnorm(per_step = true) -> lif(threshold = 0.5, surrogate = fast_sigmoid) -> maxpool2d(2)',
    's2 = conv2d(s1, 6, 3) -> batchnorm(per_step = true) -> lif(threshold = 0.5) -> maxpool2d(2)',
    'y = flatten(s2) -> dense(10) -> lif(readout = membrane)', 'output y']);
  it('time folded into the batch = step by step in inference: step t\'s slice is normalized with row t', () => {
    const w = initParams(cnn, 3);
    for (const n of Object.values(cnn.nodes).filter((n) => n.op === 'batchnorm')) {
      const p = w[n.id]!;
      p.running_mean!.data.forEach((_, i) => { p.running_mean!.data[i] = 0.05 * i; });
      p.running_var!.data.forEach((_, i) => { p.running_var!.data[i] = 0.2 + 0.1 * i; });
    }
    const x = randomUniform([3, 1, 12, 12], mulberry32(4), 0, 2);
    const [folded, stepped] = [true, false].map((foldTime) => forward(cnn, w, { x }, { training: false, foldTime }));
    expect(folded!.folded?.steps).toBe(4);
    folded!.outputs.y!.data.forEach((v, i) => expect(v).toBeCloseTo(stepped!.outputs.y!.data[i]!, 4));
  });

  for (const backend of ['wasm', 'js'] as const) {
    it(`time folded into the batch = step by step, running statistics row by row (${backend} kernels)`, () => {
      setKernelBackend(backend);
      const w = initParams(cnn, 3);
      const x = randomUniform([3, 1, 12, 12], mulberry32(4), 0, 2);
      const runs = [true, false].map((foldTime) => {
        const fwd = forward(cnn, w, { x }, { training: true, foldTime });
        const l = computeLoss(cnn, fwd, [1, 7, 3], 'cross_entropy');
        return { fwd, grads: backward(cnn, fwd, l.seeds, { training: true, inputs: true }) };
      });
      const [folded, stepped] = runs as [typeof runs[0], typeof runs[0]];
      expect(folded.fwd.folded?.steps).toBe(4);
      const near = (a: Tensor, b: Tensor, what: string) => {
        expect(a.shape, what).toEqual(b.shape);
        b.data.forEach((v, i) => expect(Math.abs(a.data[i]! - v), `${what}[${i}]`).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(v))));
      };
      near(folded.fwd.outputs.y!, stepped.fwd.outputs.y!, 'y');
      for (const [id, st] of Object.entries(stepped.fwd.state)) for (const [name, t] of Object.entries(st)) near(folded.fwd.state[id]![name]!, t, `${id}.${name}`);
      for (const [id, ps] of Object.entries(stepped.grads.params)) for (const [name, g] of Object.entries(ps)) near(folded.grads.params[id]![name]!, g, `d${id}.${name}`);
      // The second batch norm is fed by spikes, so its rows move apart; the first sees the same
      // input at every step, is evaluated once and moves row 0 only.
      const bn2 = Object.values(cnn.nodes).filter((n) => n.op === 'batchnorm')[1]!.id;
      const rows = folded.fwd.state[bn2]!.running_mean!.data;
      expect(rows.slice(0, 6)).not.toEqual(rows.slice(18, 24));
      const bn1 = Object.values(cnn.nodes).filter((n) => n.op === 'batchnorm')[0]!.id;
      expect(Array.from(folded.fwd.state[bn1]!.running_mean!.data.slice(4))).toEqual(new Array(12).fill(0));
    });
  }

  it('is priced as a batch norm with a folded scale and shift per step: the same work, T times the constants', () => {
    const plain = build([`timesteps ${T}`, `input x : f32[${B}, 5]`, 'm = dense(x, 3) -> lif(threshold = 0.2)', 'y = batchnorm(m)', 'o = dense(y, 2)', 'output o']);
    const [a, b] = [plain, spikingBn()].map((mod) => moduleWork(mod).find((l) => l.name === 'y')!);
    expect(a!.weightBytes).toBe(2 * C * 4);
    expect(b!.weightBytes).toBe(T * a!.weightBytes);
    expect(b!.work).toEqual(a!.work);
  });

  it('checkpoints keep the [T, C] statistics, and refuse a checkpoint of [C] ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bntt-'));
    try {
      const m = spikingBn();
      const w = initParams(m, 1);
      distinctRows(w);
      const save = (file: string, weights: Weights) => {
        const params = new Map<string, Float32Array>();
        for (const [id, ps] of Object.entries(weights)) for (const [name, t] of Object.entries(ps)) params.set(paramKey(id, name), t.data);
        writeCheckpointAtomic(file, { network: m.name, epoch: 1, seed: 0, params, optimizer: { step: 0, slots: new Map() }, extra: {}, preprocess: { kind: 'none' } });
      };
      save(join(dir, 'a.ckpt'), w);
      const fresh = initParams(m, 2);
      loadCheckpointInto(join(dir, 'a.ckpt'), m, fresh);
      expect(Array.from(fresh.y!.running_mean!.data)).toEqual(Array.from(w.y!.running_mean!.data));
      expect(Array.from(fresh.y!.running_var!.data)).toEqual(Array.from(w.y!.running_var!.data));
      const plain = build([`timesteps ${T}`, `input x : f32[${B}, 5]`, 'm = dense(x, 3) -> lif(threshold = 0.2)', 'y = batchnorm(m)', 'o = dense(y, 2)', 'output o']);
      save(join(dir, 'plain.ckpt'), initParams(plain, 1));
      expect(() => loadCheckpointInto(join(dir, 'plain.ckpt'), m, initParams(m, 2))).toThrow(/y.running_mean. with 3 values, but the network declares \[3, 3\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

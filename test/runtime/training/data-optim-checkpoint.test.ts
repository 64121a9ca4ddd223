/** Data sets from packages, optimizers (against closed forms) and atomic, verified checkpoints. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { readCheckpoint, writeCheckpointAtomic, type Checkpoint } from '../../../runtime/checkpoint.ts';
import { loadData } from '../../../runtime/data/index.ts';
import { irisSplit } from '../../../runtime/data/iris.ts';
import { mnistSplit } from '../../../runtime/data/mnist.ts';
import { sequenceSplit } from '../../../runtime/data/sequence.ts';
import { learningRate, Optimizer } from '../../../runtime/optim.ts';

describe('data sets shipped by packages', () => {
  it('mnist: 8,000 / 2,000 real digits, disjoint, every class present, pixels in [0, 1]', () => {
    const s = mnistSplit();
    expect(s.train.count).toBe(8000);
    expect(s.test.count).toBe(2000);
    expect(s.train.x.length).toBe(8000 * 784);
    const counts = new Array(10).fill(0);
    for (const y of s.test.y) counts[y]++;
    for (const c of counts) expect(c).toBeGreaterThan(150);
    let min = Infinity, max = -Infinity;
    for (const v of s.train.x) (min = Math.min(min, v)), (max = Math.max(max, v));
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    // Disjoint: no test image equals a training image byte for byte (checked on a sample).
    const key = (x: Float32Array, i: number) => Buffer.from(x.buffer, i * 784 * 4, 784 * 4).toString('base64');
    const train = new Set(Array.from({ length: 8000 }, (_, i) => key(s.train.x, i)));
    let dup = 0;
    for (let i = 0; i < 200; i++) if (train.has(key(s.test.x, i))) dup++;
    expect(dup).toBeLessThan(3); // MNIST itself holds a few duplicate digits
  });

  it('mnist: the split is fixed; a smaller training set draws from the same pool', () => {
    const a = mnistSplit(1000, 500), b = mnistSplit();
    expect(Array.from(a.test.y)).toEqual(Array.from(b.test.y.subarray(0, 500)));
    expect(Array.from(a.train.y)).toEqual(Array.from(b.train.y.subarray(0, 1000)));
    expect(() => mnistSplit(9000, 2000)).toThrowError(KilnError);
  });

  it('iris: 120 / 30, standardised on the training set only', () => {
    const s = irisSplit();
    expect([s.train.count, s.test.count]).toEqual([120, 30]);
    for (let f = 0; f < 4; f++) {
      let m = 0;
      for (let i = 0; i < 120; i++) m += s.train.x[i * 4 + f]!;
      expect(Math.abs(m / 120)).toBeLessThan(1e-5);
    }
    expect(new Set(s.train.y).size).toBe(3);
  });

  it('sequence: seeded, next-token targets follow the inputs', () => {
    const a = sequenceSplit({ vocab: 50, length: 10, train: 20, test: 5 });
    const b = sequenceSplit({ vocab: 50, length: 10, train: 20, test: 5 });
    expect(Array.from(a.train.x)).toEqual(Array.from(b.train.x));
    for (let t = 0; t < 9; t++) expect(a.train.x[t + 1]).toBe(a.train.y[t]);
    expect(() => loadData('cifar', {})).toThrowError(/unknown data set/);
  });
});

describe('optimizers', () => {
  it('SGD with momentum follows v ← μv + g, w ← w − lr·v', () => {
    const w = new Map([['w', Float32Array.from([1])]]);
    const o = new Optimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9 });
    o.step(w, new Map([['w', Float32Array.from([1])]]), 0.1); // v = 1, w = 0.9
    o.step(w, new Map([['w', Float32Array.from([1])]]), 0.1); // v = 1.9, w = 0.71
    expect(w.get('w')![0]).toBeCloseTo(0.71, 6);
  });

  it('Adam\'s first step moves every weight by lr against the gradient sign (bias correction)', () => {
    const w = new Map([['w', Float32Array.from([0.5, -0.5, 2])]]);
    new Optimizer({ kind: 'adam', lr: 0.01 }).step(w, new Map([['w', Float32Array.from([3, -0.001, 0])]]), 0.01);
    expect(Array.from(w.get('w')!).map((x) => +x.toFixed(5))).toEqual([0.49, -0.49, 2]);
  });

  it('Kahan-compensated updates keep tiny steps a plain float32 update loses', () => {
    const plain = new Map([['w', Float32Array.from([1])]]);
    const kahan = new Map([['w', Float32Array.from([1])]]);
    const g = new Map([['w', Float32Array.from([-1])]]);
    const a = new Optimizer({ kind: 'sgd', lr: 1e-8 }), b = new Optimizer({ kind: 'sgd', lr: 1e-8, kahan: true });
    for (let i = 0; i < 10000; i++) a.step(plain, g, 1e-8), b.step(kahan, g, 1e-8);
    expect(plain.get('w')![0]).toBe(1); // 1 + 1e-8 rounds back to 1 every time in float32
    expect(kahan.get('w')![0]).toBeCloseTo(1.0001, 6);
  });

  it('schedules', () => {
    expect(learningRate(1, { kind: 'step', every: 2, gamma: 0.5 }, 5)).toBe(0.25);
    expect(learningRate(1, { kind: 'cosine', epochs: 10 }, 10)).toBeCloseTo(0, 12);
    expect(learningRate(1, { kind: 'cosine', epochs: 10 }, 5)).toBeCloseTo(0.5, 12);
  });
});

describe('checkpoints', () => {
  const ckpt = (): Checkpoint => ({
    network: 'mlp', epoch: 3, seed: 1, extra: { rng: 42 },
    params: new Map([['h.dense/weight', Float32Array.from([1.5, -2, Math.PI])]]),
    optimizer: { step: 7, slots: new Map([['h.dense/weight', [Float32Array.from([0.1, 0.2, 0.3])]]]) },
  });

  it('round-trip bit for bit, and leave no temporary file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-ckpt-'));
    const f = path.join(dir, 'c.json');
    writeCheckpointAtomic(f, ckpt());
    const back = readCheckpoint(f);
    expect(Array.from(back.params.get('h.dense/weight')!)).toEqual(Array.from(ckpt().params.get('h.dense/weight')!));
    expect(back.optimizer.step).toBe(7);
    expect(back.extra).toEqual({ rng: 42 });
    expect(readdirSync(dir)).toEqual(['c.json']);
  });

  it('a truncated or edited file is refused with a clear error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-ckpt-'));
    const f = path.join(dir, 'c.json');
    writeCheckpointAtomic(f, ckpt());
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.slice(0, text.length - 20));
    expect(() => readCheckpoint(f)).toThrowError(/checksum mismatch/);
    writeFileSync(f, 'hello');
    expect(() => readCheckpoint(f)).toThrowError(/not a valid Kiln checkpoint/);
  });
});

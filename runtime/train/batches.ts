/**
 * Minibatches: a seeded data order whose generator state can be saved and restored (so a resumed
 * run shuffles exactly as an unbroken one), and gathering samples into the network's input shape.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Dataset } from '../data/dataset.ts';
import { shuffledIndices } from '../data/dataset.ts';
import { type Tensor, formatShape, size, zeros } from '../tensor.ts';

/** mulberry32 (as runtime/tensor.ts) with its 32-bit state in the open, for checkpoints. */
export class DataOrder {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), this.state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A fresh permutation of n samples (Fisher-Yates), advancing the state. */
  permutation(n: number): Int32Array {
    return shuffledIndices(n, () => this.next());
  }
}

/** The network's single input and how one sample fills it. */
export interface InputPlan {
  id: string;
  /** Declared shape, batch first. */
  shape: number[];
  batch: number;
  sampleSize: number;
  /** Labels per sample (1, or the sequence length). */
  labelsPerSample: number;
}

export function inputPlan(m: Module, ds: Dataset): InputPlan {
  if (m.inputs.length !== 1) {
    throw new KilnError(error('train', `network \`${m.name}\` has ${m.inputs.length} inputs; training feeds one data set into one input`, undefined, 'give the network a single `input`'));
  }
  const id = m.inputs[0]!;
  const node = m.nodes[id]!;
  const shape = node.attrs.shape as number[];
  const sampleSize = size(shape.slice(1));
  const dsSample = size(ds.sampleShape);
  if (sampleSize !== dsSample) {
    throw new KilnError(error('train', `input \`${id}\` takes samples of ${formatShape(shape.slice(1))} (${sampleSize} values), but ${ds.name} gives ${formatShape(ds.sampleShape)} (${dsSample} values)`, node.loc,
      `declare the input as [batch, ${ds.sampleShape.join(', ')}] or one that holds ${dsSample} values`));
  }
  return { id, shape, batch: shape[0]!, sampleSize, labelsPerSample: ds.y.length / ds.count };
}

/**
 * Samples idx[start … start + n) into an input of the plan's shape (zero rows pad to the batch),
 * into `into` when given: a training loop's one input array, which no step keeps (a fresh zeroed
 * 200 KB a step was 4 % of the MNIST MLP's loop, with the collections it caused).
 */
export function gather(ds: Dataset, plan: InputPlan, idx: ArrayLike<number> | undefined, start: number, n: number,
  into?: Float32Array): { x: Tensor; labels: Int32Array } {
  const x = into ? { shape: [...plan.shape], data: into.fill(0, n * plan.sampleSize) } : zeros(plan.shape);
  const per = plan.sampleSize, lp = plan.labelsPerSample;
  const labels = new Int32Array(n * lp);
  for (let i = 0; i < n; i++) {
    const s = idx ? idx[start + i]! : start + i;
    x.data.set(ds.x.subarray(s * per, (s + 1) * per), i * per);
    labels.set(ds.y.subarray(s * lp, (s + 1) * lp), i * lp);
  }
  return { x, labels };
}

/**
 * The first `count` samples in order, one batch at a time. `short`: the last batch holds only the
 * samples left instead of being padded to the plan's batch, for measurements whose kernels count
 * work (a delta layer's MACs, a sigma-delta layer's events) and cannot tell padding rows from data.
 */
export function* inOrderBatches(ds: Dataset, plan: InputPlan, count: number, short: boolean): Generator<{ x: Tensor; labels: Int32Array; start: number; n: number }> {
  for (let start = 0; start < count; start += plan.batch) {
    const n = Math.min(plan.batch, count - start);
    const { x, labels } = gather(ds, plan, undefined, start, n);
    yield { x: short && n < x.shape[0]! ? { shape: [n, ...x.shape.slice(1)], data: x.data.subarray(0, (x.data.length / x.shape[0]!) * n) } : x, labels, start, n };
  }
}

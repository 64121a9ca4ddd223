/**
 * Everything a training run is, as checkpointable data: weights (learnable and batch-norm running
 * statistics) keyed `node/param`, the optimizer's moments, the data-order generator, the step
 * counter and the history. Restoring checks that the checkpoint belongs to this network and that
 * every tensor has the shape the network declares, so a wrong file is a diagnostic, not garbage.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { type Checkpoint, readCheckpoint } from '../checkpoint.ts';
import type { Preprocess } from '../data/preprocess.ts';
import type { Weights } from '../interpreter/types.ts';
import type { Optimizer, Params } from '../optim.ts';
import { isLearnable } from '../autodiff/precision.ts';
import { formatShape, size } from '../tensor.ts';
import { isScaleKey } from '../lowered/precision/types.ts';

export interface EpochReport {
  epoch: number;
  loss: number;
  train_accuracy: number;
  test_accuracy: number;
  seconds: number;
}

export interface TrainProgress {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken (minibatches), which also seeds each step's dropout masks. */
  step: number;
  /** The data-order generator's state. */
  order: number;
  seed: number;
  history: EpochReport[];
}

export const paramKey = (node: string, name: string): string => `${node}/${name}`;

/** Learnable parameters by key, sharing storage with `weights` (the optimizer updates in place). */
export function learnableParams(weights: Weights): Params {
  const out: Params = new Map();
  for (const [id, ps] of Object.entries(weights)) for (const [name, t] of Object.entries(ps)) if (isLearnable(name)) out.set(paramKey(id, name), t.data);
  return out;
}

export function gradientMap(grads: Weights): Params {
  const out: Params = new Map();
  for (const [id, ps] of Object.entries(grads)) for (const [name, t] of Object.entries(ps)) out.set(paramKey(id, name), t.data);
  return out;
}

export function toCheckpoint(m: Module, weights: Weights, opt: Optimizer, p: TrainProgress, preprocess?: Preprocess): Checkpoint {
  const params = new Map<string, Float32Array>();
  const shapes: Record<string, number[]> = {};
  for (const [id, ps] of Object.entries(weights)) {
    for (const [name, t] of Object.entries(ps)) {
      params.set(paramKey(id, name), t.data);
      shapes[paramKey(id, name)] = t.shape;
    }
  }
  return {
    network: m.name, epoch: p.epoch, seed: p.seed, params,
    optimizer: { step: opt.state.step, slots: opt.state.slots },
    extra: { step: p.step, order: p.order, history: p.history, shapes, optimizer: opt.spec.kind },
    ...(preprocess ? { preprocess } : {}),
  };
}

function bad(file: string, message: string, hint?: string): KilnError {
  return new KilnError(error('checkpoint', `checkpoint \`${file}\` ${message}`, { file, line: 1, col: 1 }, hint));
}

/** Read a checkpoint and check it against the network; its weights then replace `weights`' values. */
export function loadCheckpointInto(file: string, m: Module, weights: Weights): { checkpoint: Checkpoint; progress: TrainProgress } {
  const c = readCheckpoint(file);
  if (c.network !== m.name) throw bad(file, `holds network \`${c.network}\`, not \`${m.name}\``, `train \`${m.name}\` to make a checkpoint of it, or name the right network`);
  const want = new Map<string, number[]>();
  for (const [id, ps] of Object.entries(weights)) for (const [name, t] of Object.entries(ps)) want.set(paramKey(id, name), t.shape);
  for (const key of want.keys()) if (!c.params.has(key)) throw bad(file, `has no parameter \`${key}\``, `it was written for a different version of \`${m.name}\``);
  // Quantization scales ride along with the parameters (runtime/lowered/precision/scales.ts).
  for (const [key, data] of c.params) {
    if (isScaleKey(key)) continue;
    const shape = want.get(key);
    if (!shape) throw bad(file, `has a parameter \`${key}\` that \`${m.name}\` does not declare`, `it was written for a different version of \`${m.name}\``);
    if (data.length !== size(shape)) {
      const saved = (c.extra.shapes as Record<string, number[]> | undefined)?.[key];
      throw bad(file, `has \`${key}\` with ${saved ? formatShape(saved) : `${data.length} values`}, but the network declares ${formatShape(shape)}`,
        'compile the network with the parameters it was trained with (e.g. --set hidden=…)');
    }
  }
  for (const [key, data] of c.params) {
    if (isScaleKey(key)) continue;
    const [id, name] = splitKey(key);
    weights[id]![name]!.data.set(data);
  }
  const e = c.extra as { step?: number; order?: number; history?: EpochReport[] };
  return { checkpoint: c, progress: { epoch: c.epoch, step: e.step ?? 0, order: e.order ?? 0, seed: c.seed, history: e.history ?? [] } };
}

export function splitKey(key: string): [string, string] {
  const at = key.lastIndexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}

/** Continue an optimizer from a checkpoint's moments (the same kind of optimizer only). */
export function restoreOptimizer(opt: Optimizer, c: Checkpoint, file: string): void {
  const kind = (c.extra as { optimizer?: string }).optimizer;
  if (kind && kind !== opt.spec.kind) throw bad(file, `was trained with ${kind}, but the train block now says ${opt.spec.kind}`, 'resume with the optimizer the run started with');
  const slots = (opt.spec.kind === 'adam' ? 2 : 1) + (opt.spec.kahan ? 1 : 0);
  for (const [k, v] of c.optimizer.slots) {
    if (v.length !== slots) throw bad(file, `keeps ${v.length} optimizer slot(s) for \`${k}\`, but ${opt.spec.kind}${opt.spec.kahan ? ' with kahan' : ''} needs ${slots}`, 'resume with the optimizer settings the run started with');
  }
  opt.state.step = c.optimizer.step;
  opt.state.slots.clear();
  for (const [k, v] of c.optimizer.slots) opt.state.slots.set(k, v);
}

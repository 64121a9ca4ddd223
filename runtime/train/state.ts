/**
 * Everything a training run is, as checkpointable data: weights (learnable and batch-norm running
 * statistics) keyed `node/param`, the optimizer's moments, the data-order generator, the step
 * counter and the history. Restoring checks that the checkpoint belongs to this network and that
 * every tensor has the shape the network declares, so a wrong file is a diagnostic, not garbage.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import type { Precision } from '../../compiler/ir/dtype.ts';
import { type Checkpoint, readCheckpoint, type ReadCheckpointOptions } from '../checkpoint.ts';
import { readSealedHeader, sealedKindOf } from '../sealed.ts';
import { readExport } from '../export/model-file.ts';
import { INPUT_SCALE, OUT_SCALE, isScaleParam, unknownLayers, WEIGHT_SCALE, withPrecisions } from '../quantize/layer-precision.ts';
import type { Preprocess } from '../data/preprocess.ts';
import type { Weights } from '../interpreter/types.ts';
import { type Optimizer, type Params, slotsPerParam } from '../optim.ts';
import { isLearnable, isQuantizedParam } from '../autodiff/precision.ts';
import { formatShape, size } from '../tensor.ts';

export interface EpochReport {
  epoch: number;
  loss: number;
  train_accuracy: number;
  test_accuracy: number;
  seconds: number;
  /** `precision dfp16` only: int16 GEMMs run in the epoch's training, output rows that overflowed int32, row re-runs. */
  int16_gemms?: number;
  int16_overflows?: number;
  int16_rescales?: number;
  /** Sequence models trained with cross-entropy: exp of the mean loss per token. */
  train_perplexity?: number;
  test_perplexity?: number;
  /** Segmentation models: foreground IoU and Dice on the test set (runtime/train/overlap.ts). */
  test_iou?: number;
  test_dice?: number;
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

/** Records keyed by node then parameter, flattened to `node/param` keys (weights, gradients, checkpoint params). */
export function paramMap(w: Weights): Params {
  const out: Params = new Map();
  for (const [id, ps] of Object.entries(w)) for (const [name, t] of Object.entries(ps)) out.set(paramKey(id, name), t.data);
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

/** What a weights file is, as its header names it: errors call it that, whichever flag brought it. */
export type WeightsFileKind = 'checkpoint' | 'export';

/**
 * How to make a weights file of `kind` for `network` afresh, the one wording of every hint about a
 * file whose header was read (a file too new or too old to read gets its version hint instead): an export is only as complete as the checkpoint it packs, so it names both.
 * A checkpoint kiln quantize or kiln convert wrote (`file`'s `extra` says which) copies what its
 * source checkpoint recorded, so training alone would not remake it: the hint names the command to
 * run again, and the converted network's source when `file` is of `network` itself.
 */
export function remakeHint(kind: WeightsFileKind, network: string, file?: Pick<Checkpoint, 'network' | 'extra'>): string {
  if (kind === 'export') return `write an export of \`${network}\` with kiln export, from a checkpoint this version of kiln train wrote`;
  const converted = file?.extra.convert as { from?: unknown } | undefined;
  if (converted && typeof converted === 'object') {
    const source = file!.network === network && typeof converted.from === 'string' ? ` (\`${converted.from}\`)` : '';
    return `train the network \`${network}\` is converted from${source} with this version of kiln train, then run kiln convert on that checkpoint again`;
  }
  if (file?.extra.quantize && typeof file.extra.quantize === 'object') {
    return `train \`${network}\` with this version of kiln train, then run kiln quantize on that checkpoint again`;
  }
  return `write a checkpoint of \`${network}\` with this version of kiln train`;
}

function bad(kind: WeightsFileKind, file: string, message: string, hint?: string): KilnError {
  return new KilnError(error('checkpoint', `${kind} \`${file}\` ${message}`, { file, line: 1, col: 1 }, hint));
}

export interface LoadCheckpointOptions extends ReadCheckpointOptions {
  /** What the caller's flag reads, naming a file that cannot be read: 'checkpoint' where exports are refused. */
  reads?: string;
}

/**
 * Read a checkpoint (or an export, kiln export's packed model) and check it against the network;
 * its weights then replace `weights`' values, and its static scales join them. `module` is the
 * network at the checkpoint's precisions (a post-training-quantized one's layers are quantized).
 * Commands that only run the network pass `weightsOnly` (the optimizer's moments stay unread).
 */
export function loadCheckpointInto(file: string, m: Module, weights: Weights, o: LoadCheckpointOptions = {}): { checkpoint: Checkpoint; progress: TrainProgress; module: Module; kind: WeightsFileKind } {
  const header = readSealedHeader(file, o.reads ?? 'checkpoint or export');
  const kind: WeightsFileKind = sealedKindOf(header) === 'export' ? 'export' : 'checkpoint';
  const c = kind === 'export' ? readExport(file) : readCheckpoint(file, { ...o, header });
  if (c.network !== m.name) throw bad(kind, file, `holds network \`${c.network}\`, not \`${m.name}\``, `${remakeHint(kind, m.name, c)}, or name the right network`);
  const missing = unknownLayers(m, c.precision);
  if (missing.length) throw bad(kind, file, `gives a precision to layer \`${missing[0]}\`, which \`${m.name}\` does not have`, `it was written for a different version of \`${m.name}\``);
  const module = withPrecisions(m, c.precision);
  addScaleSlots(kind, file, module, weights, c.params);
  const want = new Map<string, number[]>();
  for (const [id, ps] of Object.entries(weights)) for (const [name, t] of Object.entries(ps)) want.set(paramKey(id, name), t.shape);
  for (const key of want.keys()) if (!c.params.has(key)) throw bad(kind, file, `has no parameter \`${key}\``, `it was written for a different version of \`${m.name}\``);
  // Quantization scales ride along with the parameters: addScaleSlots checked them and made their slots.
  for (const [key, data] of c.params) {
    const shape = want.get(key);
    if (!shape) throw bad(kind, file, `has a parameter \`${key}\` that \`${m.name}\` does not declare`, `it was written for a different version of \`${m.name}\``);
    if (data.length !== size(shape)) {
      const saved = (c.extra.shapes as Record<string, number[]> | undefined)?.[key];
      throw bad(kind, file, `has \`${key}\` with ${saved ? formatShape(saved) : `${data.length} values`}, but the network declares ${formatShape(shape)}`,
        'compile the network with the parameters it was trained with (e.g. --set hidden=…)');
    }
  }
  for (const [key, data] of c.params) {
    const [id, name] = splitKey(key);
    weights[id]![name]!.data.set(data);
  }
  const e = c.extra as { step?: number; order?: number; history?: EpochReport[] };
  return { module, kind, checkpoint: c, progress: { epoch: c.epoch, step: e.step ?? 0, order: e.order ?? 0, seed: c.seed, history: e.history ?? [] } };
}

/**
 * Make room in `weights` for the checkpoint's static scales, after checking each belongs to a
 * quantized tensor of the network and has a usable length and values: a `<param>_scale` one value
 * or one per output channel, an `out_scale` or `act_scale` one value, all positive (a ternary α may be 0).
 */
function addScaleSlots(kind: WeightsFileKind, file: string, m: Module, weights: Weights, params: Map<string, Float32Array>): void {
  for (const [key, data] of params) {
    const [id, name] = splitKey(key);
    if (!isScaleParam(name)) continue;
    const node = m.nodes[id];
    const fail = (why: string) => bad(kind, file, `has a static scale \`${key}\` that ${why}`, 'write it again with kiln quantize or kiln export');
    if (!node || !weights[id]) throw fail(`belongs to no layer of \`${m.name}\` with parameters`);
    // An input scale (`act_scale`) belongs to the layer's integer GEMM, which its weights' precision makes.
    const role = name === OUT_SCALE ? 'activations' : 'weights';
    const p = node.attrs[role] as Precision | undefined;
    if (!p || !['i8', 'i16', 'ternary'].includes(p.dtype)) throw fail(`belongs to ${role} that are ${p?.dtype ?? 'f32'}, which take no scale`);
    let lengths = [1];
    if (role === 'weights' && name !== INPUT_SCALE) {
      const param = name === WEIGHT_SCALE ? 'weight' : name.slice(0, -'_scale'.length);
      const t = weights[id]![param];
      if (!t || !isQuantizedParam(node.op, param)) throw fail(`names no quantized parameter of \`${id}\``);
      lengths = [1, t.shape[0]!];
    }
    if (!lengths.includes(data.length)) throw fail(`holds ${data.length} values, not ${lengths.join(' or ')}`);
    if (data.some((s) => !(s > 0) && !(p.dtype === 'ternary' && s === 0))) throw fail('holds a value that is not a positive scale');
    weights[id]![name] = { shape: [data.length], data: new Float32Array(data.length) };
  }
}

export function splitKey(key: string): [string, string] {
  const at = key.lastIndexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}

/** Continue an optimizer from a checkpoint's moments (the same kind of optimizer only). */
export function restoreOptimizer(opt: Optimizer, c: Checkpoint, file: string): void {
  const kind = (c.extra as { optimizer?: string }).optimizer;
  if (kind && kind !== opt.spec.kind) throw bad('checkpoint', file, `was trained with ${kind}, but the train block now says ${opt.spec.kind}`, 'resume with the optimizer the run started with');
  const slots = slotsPerParam(opt.spec);
  for (const [k, v] of c.optimizer.slots) {
    if (v.length !== slots) throw bad('checkpoint', file, `keeps ${v.length} optimizer slot(s) for \`${k}\`, but ${opt.spec.kind}${opt.spec.kahan ? ' with kahan' : ''} needs ${slots}`, 'resume with the optimizer settings the run started with');
  }
  opt.state.step = c.optimizer.step;
  opt.state.slots.clear();
  for (const [k, v] of c.optimizer.slots) opt.state.slots.set(k, v);
}

/**
 * The training loop: seeded minibatches (a fresh permutation per epoch from a generator whose
 * state is checkpointed), forward + loss + backward (runtime/autodiff.ts), an optimizer step with
 * the epoch's learning rate, batch-norm running statistics carried over, binary latent weights
 * clipped to [−1, 1] (BinaryConnect) — or another optimizer's step (runtime/train/updates.ts) —
 * then a test-set evaluation per epoch. A run is a function
 * of its seed: the same seed gives bit-identical weights, and a run resumed from a checkpoint
 * gives the same weights as one that never stopped.
 *
 * A last minibatch smaller than the batch is dropped (the next epoch's permutation uses those
 * samples), so batch-norm statistics always see a full batch. Evaluation pads its last batch with
 * zero samples instead and ignores their outputs (in inference every op is per-sample).
 */
import type { Module } from '../compiler/ir/module.ts';
import { error, KilnError } from '../compiler/lang/diagnostics.ts';
import { type Dfp16Counts, dfp16Counts } from './autodiff/dfp16-train.ts';
import { forward } from './autodiff/forward.ts';
import { argmaxRows, meanCrossEntropy } from './autodiff/loss.ts';
import { classAxis, classesLast } from './autodiff/class-axis.ts';
import { foregroundOverlap, type Overlap } from './train/overlap.ts';
import { writeCheckpointAtomic } from './checkpoint.ts';
import type { Dataset, Split } from './data/dataset.ts';
import { initParams, streamSeed } from './interpreter.ts';
import type { Inputs, SpikeEncoding, Weights } from './interpreter/types.ts';
import type { Tensor } from './tensor.ts';
import { learningRate, Optimizer } from './optim.ts';
import { shiftImages } from './train/augment.ts';
import { roundStored } from './train/storage.ts';
import { DataOrder, gather, inOrderBatches, inputPlan } from './train/batches.ts';
import type { TrainConfig } from './train/config.ts';
import { type EpochReport, type TrainProgress, learnableParams, loadCheckpointInto, restoreOptimizer, toCheckpoint } from './train/state.ts';
import { makeUpdate } from './train/updates.ts';

export type { EpochReport } from './train/state.ts';
export { trainConfig, type TrainConfig } from './train/config.ts';

export interface TrainSetup {
  module: Module;
  config: TrainConfig;
  data: Split;
}

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Mean loss of the epoch so far. */
  loss: number;
  /** Seconds since the epoch started. */
  seconds: number;
  samples: number;
  /** `precision dfp16`: int16 GEMM output rows that overflowed int32 so far this epoch. */
  overflows?: number;
}

export interface TrainOptions {
  /** Epochs the whole run lasts (default: the train block's); a resumed run continues up to it. */
  epochs?: number;
  /** Seed of a fresh run (default: the train block's); a resumed run keeps its checkpoint's. */
  seed?: number;
  /** Write a checkpoint here (atomically) after every epoch. */
  checkpoint?: string;
  /** Continue from this checkpoint. */
  resume?: string;
  /** Held-out samples to evaluate per epoch (default all; 0 skips evaluation). */
  testLimit?: number;
  encoding?: SpikeEncoding;
  /** Layers next to a batchwise dropout multiply only the kept units (default true); false masks instead. */
  submatrix?: boolean;
  /** Once the run can start (a resumed checkpoint has been read), before the first batch. */
  onStart?(): void;
  onEpoch?(r: EpochReport): void;
  onBatch?(p: BatchProgress): void;
}

export interface TrainResult {
  weights: Weights;
  history: EpochReport[];
  /** Epochs this call ran (0 when a resumed run was already complete). */
  epochsRun: number;
  steps: number;
}

export function train(setup: TrainSetup, o: TrainOptions = {}): TrainResult {
  const { module: m, config, data } = setup;
  const plan = inputPlan(m, data.train);
  const batches = Math.floor(data.train.count / plan.batch);
  if (batches === 0) {
    throw new KilnError(error('train', `the training set has ${data.train.count} samples, fewer than one batch of ${plan.batch}`, undefined, 'use a smaller batch or more training data'));
  }
  const epochs = o.epochs ?? config.epochs;
  let progress: TrainProgress = { epoch: 0, step: 0, order: streamSeed(o.seed ?? config.seed, '<data order>'), seed: o.seed ?? config.seed, history: [] };
  const weights = initParams(m, progress.seed);
  const optimizer = new Optimizer(config.optimizer);
  if (o.resume) {
    // Exports are refused below, so a file that cannot be read is called what --resume takes.
    const r = loadCheckpointInto(o.resume, m, weights, { reads: 'checkpoint' });
    if (r.checkpoint.precision) {
      throw new KilnError(error('train', `\`${o.resume}\` is a quantized checkpoint or an export, which keeps no latent weights or optimizer state to resume from`, undefined,
        'resume from the training checkpoint it was made from'));
    }
    restoreOptimizer(optimizer, r.checkpoint, o.resume);
    progress = r.progress;
  }
  o.onStart?.();
  const params = learnableParams(weights);
  // Low-precision storage starts from the stored form of the initial weights (a no-op on resume).
  for (const w of params.values()) roundStored(w, config.optimizer.storage ?? 'f32');
  const update = makeUpdate(m, config, weights, params, optimizer, o);
  const order = new DataOrder(progress.order);
  const startEpoch = progress.epoch;
  const input = new Float32Array(plan.batch * plan.sampleSize);
  for (let epoch = startEpoch; epoch < epochs; epoch++) {
    const t0 = performance.now();
    const lr = learningRate(config.optimizer.lr, config.schedule, epoch);
    const perm = order.permutation(data.train.count);
    let lossSum = 0, correct = 0, rows = 0;
    const counts = config.precision === 'dfp16' ? dfp16Counts() : undefined;
    for (let b = 0; b < batches; b++) {
      const { x, labels } = gather(data.train, plan, perm, b * plan.batch, plan.batch, input);
      shiftImages(x, plan.batch, data.train.sampleShape, config.augment.shift, order);
      const r = update(x, labels, lr, streamSeed(progress.seed, `step ${progress.step}`), { dfp16: counts, epochs: epoch + b / batches });
      if (!Number.isFinite(r.loss)) {
        throw new KilnError(error('train', `the loss became ${r.loss} at epoch ${epoch + 1}, batch ${b + 1}`, undefined, 'lower the learning rate (optimizer …(lr = …))'));
      }
      progress.step++;
      lossSum += r.loss;
      correct += r.correct;
      rows += r.rows;
      o.onBatch?.({ epoch: epoch + 1, epochs, batch: b + 1, batches, loss: lossSum / (b + 1), seconds: (performance.now() - t0) / 1000, samples: (b + 1) * plan.batch, overflows: counts?.overflows });
    }
    // A dfp16 network is evaluated in the arithmetic it trained in; only training's counts are reported.
    const test = o.testLimit === 0 ? undefined : evaluate(m, weights, data.test, { limit: o.testLimit, encoding: o.encoding, dfp16: counts && dfp16Counts() });
    const report: EpochReport = {
      epoch: epoch + 1, loss: lossSum / batches, train_accuracy: correct / rows, test_accuracy: test?.accuracy ?? NaN, seconds: (performance.now() - t0) / 1000,
      // A language model is judged by perplexity: the training one is exp of the (dropout-noised) loss.
      ...(isSequenceModel(m) && config.loss === 'cross_entropy' ? { train_perplexity: Math.exp(lossSum / batches), test_perplexity: test?.perplexity ?? NaN } : {}),
      ...(isSegmentationModel(m) ? { test_iou: test?.overlap?.iou ?? NaN, test_dice: test?.overlap?.dice ?? NaN } : {}),
    };
    if (counts) Object.assign(report, { int16_gemms: counts.gemms, int16_overflows: counts.overflows, int16_rescales: counts.rescales });
    progress = { ...progress, epoch: epoch + 1, order: order.state, history: [...progress.history, report] };
    if (o.checkpoint) writeCheckpointAtomic(o.checkpoint, toCheckpoint(m, weights, optimizer, progress, data.train.preprocess));
    o.onEpoch?.(report);
  }
  return { weights, history: progress.history, epochsRun: Math.max(0, epochs - startEpoch), steps: progress.step };
}

/** The output has a class distribution per position of a sequence: [batch, steps, classes]. */
export function isSequenceModel(m: Module): boolean {
  const out = m.nodes[m.outputs[0]!]!;
  return out.type!.shape.length === 3 && classAxis(out, 3) === 2;
}

/** The output has a class distribution per pixel, on the channel axis: [batch, classes, H, W]. */
export function isSegmentationModel(m: Module): boolean {
  const out = m.nodes[m.outputs[0]!]!;
  return out.type!.shape.length === 4 && classAxis(out, 4) === 1;
}

export interface Evaluation {
  accuracy: number;
  /** exp of the mean cross-entropy per row (per token for a sequence output), from the outputs. */
  perplexity: number;
  correct: number;
  /** Rows evaluated (samples, or sample positions for sequence outputs). */
  rows: number;
  /** Argmax class of every row. */
  predictions: Int32Array;
  /** The output rows themselves, [rows × classes]. */
  outputs: Float32Array;
  classes: number;
  /** Segmentation outputs: foreground IoU and Dice over every pixel evaluated. */
  overlap?: Overlap;
}

/** Inference over a data set in the network's batch size, the last batch padded. */
export function evaluate(m: Module, weights: Weights, ds: Dataset, o: { limit?: number; encoding?: SpikeEncoding; run?: (inputs: Inputs) => Tensor; dfp16?: Dfp16Counts } = {}): Evaluation {
  const plan = inputPlan(m, ds);
  const count = Math.min(ds.count, o.limit ?? ds.count);
  const outNode = m.nodes[m.outputs[0]!]!;
  const axis = classAxis(outNode, outNode.type!.shape.length);
  const classes = outNode.type!.shape[axis]!;
  const rowsPerSample = outNode.type!.shape.length > 0 ? (outNode.type!.shape.reduce((a, b) => a * b, 1) / classes) / plan.batch : 1;
  const predictions = new Int32Array(count * rowsPerSample);
  const outputs = new Float32Array(count * rowsPerSample * classes);
  let correct = 0;
  for (const { x, labels, start, n } of inOrderBatches(ds, plan, count, false)) {
    // `run` executes another form of the network (its integer lowering) on the same batches.
    const out = classesLast(o.run ? o.run({ [plan.id]: x }) : forward(m, weights, { [plan.id]: x }, { training: false, record: false, encoding: o.encoding, dfp16: o.dfp16 }).outputs[outNode.id]!, axis);
    const pred = argmaxRows(out);
    const used = n * rowsPerSample;
    predictions.set(pred.subarray(0, used), start * rowsPerSample);
    outputs.set(out.data.subarray(0, used * classes), start * rowsPerSample * classes);
    for (let i = 0; i < used; i++) if (pred[i] === labels[i]) correct++;
  }
  const rows = count * rowsPerSample;
  const perplexity = rows ? Math.exp(meanCrossEntropy(outputs, classes, ds.y.subarray(0, rows), outNode.op)) : NaN;
  const overlap = isSegmentationModel(m) ? foregroundOverlap(predictions, ds.y.subarray(0, rows)) : undefined;
  return { accuracy: rows ? correct / rows : NaN, perplexity, correct, rows, predictions, outputs, classes, overlap };
}

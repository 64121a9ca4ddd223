/**
 * Reverse-mode automatic differentiation over Kiln's graph IR. A forward pass (autodiff/forward.ts)
 * runs the interpreter's op definitions with the layers' precisions fake-quantized and records a
 * tape; a loss (autodiff/loss.ts) seeds the output gradient; the reverse sweep
 * (autodiff/backward.ts) replays the tape through each op's backward rule, using straight-through
 * estimators where the forward is not differentiable (sign, quantization) and surrogate
 * gradients through LIF spikes over the time steps. docs/training.md explains the choices.
 */
import type { Module, NodeId } from '../compiler/ir/module.ts';
import type { Tensor } from './tensor.ts';
import type { Inputs, SpikeEncoding, Weights } from './interpreter/types.ts';
import { backward, type Gradients } from './autodiff/backward.ts';
import { forward } from './autodiff/forward.ts';
import { computeLoss, type LossKind } from './autodiff/loss.ts';
import { deltaPenalty } from './autodiff/delta-rules.ts';
import type { Dfp16Counts } from './autodiff/dfp16-train.ts';
import { addSeeds, rateBandLoss, type RateBand } from './autodiff/rate-band.ts';

export { forward, effectiveWeights, timeVarying, type ForwardOptions, type ForwardResult, type TrainTapeEntry } from './autodiff/forward.ts';
export { backward, DIFFERENTIABLE_OPS, RULES, type BackwardOptions, type Gradients } from './autodiff/backward.ts';
export { rateBandLoss, percentileIndex, type RateBand } from './autodiff/rate-band.ts';
export { computeLoss, argmaxRows, countCorrect, type LossKind, type LossResult } from './autodiff/loss.ts';
export { fakeQuantize, f16Round, bf16Round, isLearnable, isQuantizedParam, type FakeQuant, type Role } from './autodiff/precision.ts';

export interface StepOptions {
  loss?: LossKind;
  /** Seed of this step's dropout masks and rate-coded inputs. */
  seed?: number;
  /** Training mode (batch statistics, dropout); default true. */
  training?: boolean;
  encoding?: SpikeEncoding;
  /** Also differentiate with respect to the inputs. */
  inputGrads?: boolean;
  /** Layers next to a batchwise dropout multiply only the kept units (default true; see ForwardOptions). */
  submatrix?: boolean;
  /** Weight of the L1 cost on delta layers' changes, added to the loss (autodiff/delta-rules.ts). */
  deltaL1?: number;
  /** Dense and conv2d GEMMs in int16 dynamic fixed point, counted here (autodiff/dfp16-train.ts). */
  dfp16?: Dfp16Counts;
  /** Add the rate-band penalty on every relu layer (train block `regularize rate_band(…)`). */
  rateBand?: RateBand;
  /** Sigma-delta units' blend from non-spiking (0) to spiking (1, the default). */
  spiking?: number;
  /** Every delta layer's θ times this (train block `delta_anneal`; default 1). */
  deltaScale?: number;
}

export interface StepResult {
  loss: number;
  correct: number;
  rows: number;
  grads: Gradients;
  /** Batch-norm running statistics the forward pass updated. */
  state: Weights;
  outputs: Record<NodeId, Tensor>;
}

/** Forward, loss and backward for one minibatch: what a training step needs before the update. */
export function lossAndGradients(m: Module, weights: Weights, inputs: Inputs, labels: ArrayLike<number>, o: StepOptions = {}): StepResult {
  const training = o.training ?? true;
  const fwd = forward(m, weights, inputs, { training, seed: o.seed ?? 0, encoding: o.encoding, submatrix: o.submatrix, dfp16: o.dfp16, spiking: o.spiking, deltaScale: o.deltaScale });
  const l = computeLoss(m, fwd, labels, o.loss ?? 'cross_entropy');
  const band = o.rateBand ? rateBandLoss(m, fwd, o.rateBand) : undefined;
  const grads = backward(m, fwd, band ? addSeeds(l.seeds, band.seeds) : l.seeds, { training, inputs: o.inputGrads, deltaL1: o.deltaL1 });
  return { loss: l.loss + deltaPenalty(m, fwd.tape, o.deltaL1 ?? 0) + (band?.loss ?? 0), correct: l.correct, rows: l.rows, grads, state: fwd.state, outputs: fwd.outputs };
}

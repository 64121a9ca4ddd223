/**
 * What one training step does with a minibatch, per optimizer: backpropagation and a gradient
 * step (sgd, adam), expectation backpropagation's moment matching (ebp), or coordinate descent
 * over discrete weights with Adam on the rest (coordinate_descent). The loop in runtime/train.ts
 * is the same for all three.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { weightDType } from '../../compiler/ir/node-precision.ts';
import { lossAndGradients } from '../autodiff.ts';
import { StepBuffers, withStepBuffers } from '../kernels/step-buffers.ts';
import type { Dfp16Counts } from '../autodiff/dfp16-train.ts';
import { isQuantizedParam } from '../autodiff/precision.ts';
import type { SpikeEncoding, Weights } from '../interpreter/types.ts';
import { type Optimizer, type Params } from '../optim.ts';
import type { Tensor } from '../tensor.ts';
import { coordinateStep, discreteParams } from './coordinate-descent.ts';
import { ebpLayers, ebpStep } from './ebp.ts';
import type { TrainConfig } from './config.ts';
import { paramKey, paramMap } from './state.ts';

export interface StepOutcome { loss: number; correct: number; rows: number }
/**
 * Where a step is: `dfp16`, the epoch's int16 GEMM counts when the train block asks for
 * `precision dfp16`; `epochs`, the epochs done so far (fractional), which sets the blend of
 * sigma-delta units (`spiking_anneal`) and delta layers' θ (`delta_anneal`).
 */
export interface StepAt { dfp16?: Dfp16Counts; epochs: number }
export type Update = (x: Tensor, labels: Int32Array, lr: number, seed: number, at: StepAt) => StepOutcome;

/**
 * How far an annealed quantity is from its start (0) to its end (1) at a point of training (epochs
 * done, fractional): linear over the first `anneal` epochs. Sigma-delta units move from
 * non-spiking to spiking by it (`spiking_anneal`, docs/lmu.md), delta layers' θ from 0 to their own
 * (`delta_anneal`, docs/delta-networks.md).
 */
export function annealBlend(anneal: number, epochs: number): number {
  return anneal > 0 ? Math.min(1, epochs / anneal) : 1;
}

/** Keys of latent binary weights, which BinaryConnect keeps within [−1, 1]. */
function binaryKeys(m: Module, weights: Weights): string[] {
  const keys: string[] = [];
  for (const node of Object.values(m.nodes)) {
    if (weightDType(node) !== 'binary') continue;
    for (const name of Object.keys(weights[node.id] ?? {})) if (isQuantizedParam(node.op, name)) keys.push(paramKey(node.id, name));
  }
  return keys;
}

/** Batch-norm running statistics as the forward pass left them. */
function keepState(weights: Weights, state: Weights): void {
  for (const [id, ps] of Object.entries(state)) for (const [name, t] of Object.entries(ps)) weights[id]![name]!.data.set(t.data);
}

export function makeUpdate(m: Module, config: TrainConfig, weights: Weights, params: Params, optimizer: Optimizer,
  o: { encoding?: SpikeEncoding; submatrix?: boolean }): Update {
  const input = m.inputs[0]!;
  switch (config.optimizer.kind) {
    case 'ebp': {
      const layers = ebpLayers(m, weights);
      return (x, labels, lr) => ebpStep(layers, x.data, x.shape[0]!, labels, lr);
    }
    case 'coordinate_descent': {
      const discrete = discreteParams(m, weights, config.optimizer.source);
      const opts = { fraction: config.optimizer.fraction!, tries: config.optimizer.tries!, loss: config.loss };
      return (x, labels, lr, seed) => {
        const r = coordinateStep(m, weights, discrete, { [input]: x }, labels, seed, opts);
        optimizer.step(params, r.realGrads, lr);
        keepState(weights, r.state);
        return r;
      };
    }
    default: {
      const binaries = new Set(binaryKeys(m, weights));
      // The step's activations and gradients are dead once the optimizer has run: the next step
      // reuses their arrays (step-buffers.ts).
      const buffers = new StepBuffers();
      return (x, labels, lr, seed, { dfp16, epochs }) => {
        const r = withStepBuffers(buffers, () => lossAndGradients(m, weights, { [input]: x }, labels, {
          loss: config.loss, seed, encoding: o.encoding, submatrix: o.submatrix, deltaL1: config.deltaL1, rateBand: config.rateBand, dfp16,
          spiking: annealBlend(config.spikingAnneal, epochs), deltaScale: annealBlend(config.deltaAnneal, epochs),
        }));
        if (!Number.isFinite(r.loss)) return r;
        optimizer.step(params, paramMap(r.grads.params), lr, binaries);
        keepState(weights, r.state);
        return r;
      };
    }
  }
}

/** What a backward rule sees and returns. */
import type { Module, Node } from '../../compiler/ir/module.ts';
import type { Tensor } from '../tensor.ts';
import type { TapeEntry } from '../interpreter/types.ts';
import type { FakeQuant } from './precision.ts';

export interface RuleArgs {
  node: Node;
  entry: TrainTapeEntry;
  /** dL/d(output) of this evaluation; undefined only for ops in STATEFUL (a carry may still flow). */
  dy: Tensor | undefined;
  /** Per input: whether its gradient is wanted (false skips e.g. dense's dx for a data input). */
  want: boolean[];
  /** This node's memory across the backward sweep (LIF's membrane gradient between time steps). */
  memory: Map<string, unknown>;
  /** The forward ran in training mode (batch statistics in batch norm). */
  training: boolean;
  /** The module, for rules that look at their neighbours (a delta layer's producer). */
  module?: Module;
  /** Weight of the L1 cost on delta layers' changes (train block `delta_l1`; delta-rules.ts). */
  deltaL1?: number;
}

export interface RuleResult {
  inputs?: (Tensor | undefined)[];
  /** Gradients of the parameters the op used, by name (w.r.t. the possibly quantized weights). */
  params?: Record<string, Tensor>;
}

export type BackwardRule = (a: RuleArgs) => RuleResult;

/**
 * A tape entry of training's forward pass. Beyond what TapeEntry lists, `saved` holds what
 * training's own op implementations leave for their backward rules: `nonzeros` (a dense layer
 * that took the sparse path: its input's nonzero lists), `sparse` (a conv2d that scattered),
 * `spikes` (a conv2d that walked its input's active spikes), `lifStep` (a fused LIF step: its
 * pre-reset membrane u), `submatrix` (a layer cut by a dropout plan: kept units and the
 * operands it multiplied), and with time folded into the batch (time-fold.ts) `lifSteps` (a lif
 * over all steps: u of every step and the step count) and `perStep` (a batch norm's entry per
 * step's slice).
 */
export interface TrainTapeEntry extends TapeEntry {
  /** Straight-through backward of the output's activation quantization. */
  outputQuant?: FakeQuant;
}

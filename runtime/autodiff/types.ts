/** What a backward rule sees and returns. */
import type { Node } from '../../compiler/ir/module.ts';
import type { Tensor } from '../tensor.ts';
import type { TrainTapeEntry } from './forward.ts';

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
}

export interface RuleResult {
  inputs?: (Tensor | undefined)[];
  /** Gradients of the parameters the op used, by name (w.r.t. the possibly quantized weights). */
  params?: Record<string, Tensor>;
}

export type BackwardRule = (a: RuleArgs) => RuleResult;

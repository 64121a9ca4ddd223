/**
 * The interpreter's plain-data vocabulary: weights and inputs keyed by node id, run options, and
 * the tape a backward pass would replay. Everything here is records of tensors and numbers, so a
 * run can be inspected, serialized or handed to an autodiff engine written later.
 */
import type { Node, NodeId } from '../../compiler/ir/module.ts';
import type { Rng, Tensor } from '../tensor.ts';
import type { MacCount } from '../kernels/delta-encode.ts';

export type { Weights } from '../../compiler/ir/tensor.ts';
import type { Weights } from '../../compiler/ir/tensor.ts';

/** Values of the module's inputs by input node id. Integer inputs (token ids) are stored as floats. */
export type Inputs = Record<NodeId, Tensor>;

/**
 * How a spiking network (timesteps T > 1) sees its input at every step:
 *   direct  the same analogue values every step (constant current injection)
 *   rate    Bernoulli spikes with probability clamp(x, 0, 1), drawn afresh each step (rate coding)
 */
export type SpikeEncoding = 'direct' | 'rate';

export interface RunOptions {
  /** Training mode: batch statistics in batchnorm, dropout active. Default false (inference). */
  training?: boolean;
  /** Seed for dropout masks and rate-coded inputs; equal seeds give equal runs. Default 0. */
  seed?: number;
  /** Also return every node's value (`values`). */
  keepValues?: boolean;
  /** Record the tape a backward pass needs (`tape`). */
  record?: boolean;
  encoding?: SpikeEncoding;
  /**
   * Replacement implementations of some ops: how a lowered program runs a layer its own way (the
   * folds of a systolic array, the tiles of a CPU, the cores of a neuromorphic chip).
   */
  impls?: Readonly<Partial<Record<string, OpImpl>>>;
  /**
   * Called after every op evaluation: the node's consumers and the run's outputs see what it
   * returns, the tape keeps the op's own output. Training fake-quantizes `activations =` here.
   */
  onNode?: (e: NodeEvaluation) => Tensor;
  /**
   * Hold inputs and op outputs to the shapes the module declares (default true). Training turns
   * this off so that a module compiled for one batch runs on any other, as long as no op bakes
   * the batch size into an attribute; parameters are checked either way.
   */
  checkShapes?: boolean;
  /**
   * Layers with `delta =` add the multiply-accumulates they did, and the dense layer's count, here
   * by node id, summed over the run (docs/delta-networks.md).
   */
  macs?: Map<NodeId, MacCount>;
}

/** One evaluation of one node, as RunOptions.onNode sees it. */
export interface NodeEvaluation {
  node: Node;
  step: number;
  /** The op's output. */
  output: Tensor;
  /** This evaluation's tape entry, when the run records a tape. */
  entry?: TapeEntry;
}

/**
 * One evaluation of one node. Forward values are kept by reference (they are never mutated), and
 * `saved` holds what the op's backward needs beyond its inputs, output and parameters:
 *   maxpool2d        argmax: Int32Array, the flat input index of each output (kernels/pool.ts)
 *   batchnorm        mean, invStd: the statistics used (batch ones in training, running in inference)
 *   dropout          mask: the broadcast mask, values 0 or 1/(1 − p) (training only)
 *   lif              lif: the kernel's LifCache of that step (membrane before and after reset)
 *   rnn, lstm, gru   layers: [{ input [T, B, F] time first, cache }] per stacked layer; masks
 *                    between layers in training; with `delta =` the caches are DeltaRecurrentCache
 *   dense (delta)    xhat: the input references the product used, in the input's layout
 * Every other op's backward needs only its inputs and output. Spiking networks evaluate a node
 * once per time step (`step`); nodes whose value cannot change over time only at step 0.
 */
export interface TapeEntry {
  node: NodeId;
  op: string;
  step: number;
  inputs: Tensor[];
  output: Tensor;
  saved: Record<string, unknown>;
  /** The parameters and state the op saw, by name. */
  params: Record<string, Tensor>;
}

export interface RunResult {
  /**
   * Output values by output node id. For a spiking network (T > 1) each is the mean over the T
   * steps: a spike output becomes its firing rate (spike count / T) in [0, 1].
   */
  outputs: Record<NodeId, Tensor>;
  /** With keepValues: every node's value, averaged over time steps like the outputs. */
  values?: Record<NodeId, Tensor>;
  /** Stateful parameters the run changed: batchnorm running_mean / running_var after a training run. */
  state: Weights;
  tape?: TapeEntry[];
}

/** What an op implementation sees. */
export interface OpContext {
  node: Node;
  inputs: Tensor[];
  params: Record<string, Tensor>;
  training: boolean;
  /** The time step being evaluated (0 outside spiking networks). */
  step: number;
  /** A generator seeded from the run seed and this node's id (stable when other nodes change). */
  rng: () => Rng;
  /** Keep a value for the backward pass (a no-op unless the run records a tape). */
  save(key: string, value: unknown): void;
  /** Replace a stateful parameter (batchnorm running statistics). */
  setState(param: string, value: Tensor): void;
  /** Per-run memory of this node: LIF membranes carried between steps, dropout masks shared by steps. */
  memory: Map<string, unknown>;
  /** A delta layer reports the products it did and skipped (RunOptions.macs). */
  countMacs(c: MacCount): void;
}

export type OpImpl = (ctx: OpContext) => Tensor;

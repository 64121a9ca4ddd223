/**
 * Training's forward pass of a spiking network with time folded into the batch. The interpreter
 * runs a spiking network step by step (every node once per step), which for training means T small
 * products per layer and T tape entries, each with its own allocations. Only a lif carries state
 * from one step to the next; convolutions, dense layers, pools and flattens treat every sample of
 * every step alike. So here each node runs once over all steps: a stateless layer on a
 * [T·B, …] batch (one large GEMM instead of T small ones), a lif over its T steps in one fused
 * kernel whose backward is the whole BPTT sweep (lif-fused.ts), and a batch norm per step, because
 * in training its statistics are those of each step's batch, as in the step-by-step run
 * (bn-over-time.ts, which also takes a training batch norm that runs once). In training a lif
 * read only by a 2×2 max pool runs with it as one kernel (lif-pool.ts).
 *
 * The result equals the step-by-step forward within float32 rounding (test/runtime/autodiff/
 * time-fold.test.ts). Networks with anything else on the time-varying path (rate-coded inputs,
 * dropout, recurrent or multi-input ops, quantized activations) keep the step-by-step run.
 */
import type { Module, Node, NodeId } from '../../compiler/ir/module.ts';
import type { Tensor } from '../tensor.ts';
import { evalNode, timeVarying } from '../interpreter.ts';
import { LAYER_OPS, lifOptions } from '../interpreter/ops-layers.ts';
import { SIMPLE_OPS } from '../interpreter/ops-simple.ts';
import type { Inputs, OpImpl, SpikeEncoding, TapeEntry, Weights } from '../interpreter/types.ts';
import { lifForwardOverTime } from '../kernels/lif-fused.ts';
import { batchNormOverTime } from './bn-over-time.ts';
import { fusablePool, lifPoolForward } from './lif-pool.ts';

/** Ops that compute each sample on its own, so that T steps of B samples are one batch of T·B. */
const PER_SAMPLE = new Set(['conv2d', 'dense', 'maxpool2d', 'avgpool2d', 'flatten']);

/** What a folded run tells backward: which nodes hold all steps, and how many steps. */
export interface Folded {
  steps: number;
  varying: ReadonlySet<NodeId>;
}

/**
 * Whether a module's forward can fold time into the batch: a spiking network with direct encoding
 * whose time-varying nodes are all single-input per-sample layers, batch norms or lifs, and no
 * node quantizes its activations.
 */
export function foldsTime(m: Module, encoding: SpikeEncoding): boolean {
  if (m.timesteps <= 1 || encoding !== 'direct') return false;
  const varying = timeVarying(m, encoding);
  return Object.values(m.nodes).every((n) => {
    const a = n.attrs.activations as { dtype?: string } | undefined;
    if (a && typeof a === 'object' && a.dtype !== 'f32') return false;
    if (!varying.has(n.id)) return true;
    if (n.inputs.length !== 1 || (n.op === 'dense' && n.attrs.delta !== undefined)) return false;
    return PER_SAMPLE.has(n.op) || n.op === 'batchnorm' || n.op === 'lif';
  });
}

export interface FoldedRun {
  outputs: Record<NodeId, Tensor>;
  state: Weights;
  tape: TapeEntry[];
  folded: Folded;
}

/** Mean over the T steps of a [T·B, …] tensor. */
function meanOverTime(t: Tensor, steps: number): Tensor {
  const n = t.data.length / steps;
  const out = new Float32Array(n);
  for (let s = 0; s < steps; s++) {
    const d = t.data.subarray(s * n, (s + 1) * n);
    for (let i = 0; i < n; i++) out[i] = out[i]! + d[i]!;
  }
  for (let i = 0; i < n; i++) out[i] = out[i]! / steps;
  return { shape: [t.shape[0]! / steps, ...t.shape.slice(1)], data: out };
}

/** dL/d(mean over time) as the gradient of every step's value: 1/T of it at each step. */
export function spreadOverTime(g: Tensor, steps: number): Tensor {
  const n = g.data.length;
  const out = new Float32Array(n * steps);
  for (let i = 0; i < n; i++) out[i] = g.data[i]! / steps;
  for (let s = 1; s < steps; s++) out.copyWithin(s * n, 0, n);
  return { shape: [g.shape[0]! * steps, ...g.shape.slice(1)], data: out };
}

/**
 * Training's forward over all time steps at once. `impls` are training's op implementations (the
 * event-driven convolution sees the whole [T·B] batch of spikes). Tape entries all say step 0:
 * each node is evaluated once.
 */
export function forwardFolded(m: Module, weights: Weights, inputs: Inputs, impls: Readonly<Partial<Record<string, OpImpl>>>,
  o: { training: boolean; seed: number; record: boolean }): FoldedRun {
  const steps = m.timesteps;
  const varying = timeVarying(m, 'direct');
  const values = new Map<NodeId, Tensor>();
  const memory = new Map<NodeId, Map<string, unknown>>();
  const state: Weights = {};
  const tape: TapeEntry[] = [];
  const rec = o.record ? tape : undefined;
  const implOf = (op: string): OpImpl => impls[op] ?? LAYER_OPS[op] ?? SIMPLE_OPS[op]!;
  // Pool outputs computed with their lif (lif-pool.ts), by pool node.
  const pooled = new Map<NodeId, Tensor>();
  for (const node of Object.values(m.nodes)) {
    let out: Tensor;
    const early = pooled.get(node.id);
    if (early) out = early;
    else if (node.op === 'input') out = inputs[node.id]!;
    else if (varying.has(node.id) && node.op === 'lif') {
      const x = values.get(node.inputs[0]!)!, constant = !varying.has(node.inputs[0]!);
      const shape = constant ? [x.shape[0]! * steps, ...x.shape.slice(1)] : x.shape;
      const pool = o.training && o.record ? fusablePool(m, node, shape) : undefined;
      if (pool) {
        pooled.set(pool.id, lifPoolForward(node, pool, x, constant, steps, rec));
        out = { shape, data: new Float32Array(0) };
      } else out = lifOverTime(node, x, constant, steps, rec);
    }
    else if (node.op === 'batchnorm' && (o.training || (node.attrs.per_step && varying.has(node.id)))) {
      out = batchNormOverTime(node, values, weights, state, memory, varying.has(node.id) ? steps : 1, o.seed, rec, implOf('batchnorm'), o.training);
    } else out = evalNode(implOf(node.op), node, values, weights, state, memory, o.training, o.seed, 0, rec, undefined);
    values.set(node.id, out);
  }
  const outputs: Record<NodeId, Tensor> = {};
  for (const id of m.outputs) outputs[id] = varying.has(id) ? meanOverTime(values.get(id)!, steps) : values.get(id)!;
  return { outputs, state, tape, folded: { steps, varying } };
}

/** A lif over all steps; its input is [T·B, …], or [B, …] when it cannot change over time. */
function lifOverTime(node: Node, x: Tensor, constant: boolean, steps: number, tape: TapeEntry[] | undefined): Tensor {
  const shape = constant ? [x.shape[0]! * steps, ...x.shape.slice(1)] : x.shape;
  const size = constant ? x.data.length * steps : x.data.length;
  const out: Tensor = { shape, data: new Float32Array(size) };
  const u = new Float32Array(size);
  lifForwardOverTime(lifOptions(node), x.data, steps, out.data, u);
  tape?.push({ node: node.id, op: 'lif', step: 0, inputs: [x], output: out, saved: { lifSteps: { u, steps } }, params: {} });
  return out;
}

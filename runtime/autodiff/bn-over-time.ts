/**
 * Training-mode batch norm of a spiking layer with time folded into the batch (time-fold.ts): an
 * input [T·B, C, …] holds T steps, and each step is normalized with its own batch's statistics
 * and moves the running statistics once, as the step-by-step run does. With the WebAssembly
 * kernels all steps are one call (wasm/batchnorm.ts); otherwise each step's slice goes through
 * the interpreter's batchnorm op, with one tape entry per step.
 */
import type { Node, NodeId } from '../../compiler/ir/module.ts';
import { type Tensor, zeros } from '../tensor.ts';
import { evalNode } from '../interpreter.ts';
import type { OpImpl, TapeEntry, Weights } from '../interpreter/types.ts';
import { batchNormBackward, movingAverage } from '../kernels/batchnorm.ts';
import { stepSlot } from '../kernels/bn-slots.ts';
import { useWasmKernels } from '../kernels/wasm/instance.ts';
import { outputTensor } from '../kernels/step-buffers.ts';
import { type BlockShape, type BlockStats, wasmBatchNormBlocks, wasmBatchNormBlocksBackward } from '../kernels/wasm/batchnorm.ts';
import type { RuleArgs, RuleResult } from './types.ts';

/** What the tape keeps of a batch norm over T steps in one call. */
interface SavedBlocks { shape: BlockShape; stats: BlockStats }

function blockShape(x: Tensor, steps: number): BlockShape {
  const c = x.shape[1]!, n = x.shape[0]! / steps;
  return { blocks: steps, n, c, inner: x.data.length / (x.shape[0]! * c) };
}

/**
 * A batch norm over each step's batch in turn: in training with each step's statistics, in
 * inference (a per-step batch norm only) with each step's row of the running statistics.
 */
export function batchNormOverTime(node: Node, values: Map<NodeId, Tensor>, weights: Weights, state: Weights, memory: Map<NodeId, Map<string, unknown>>,
  steps: number, seed: number, tape: TapeEntry[] | undefined, impl: OpImpl, training = true): Tensor {
  const x = values.get(node.inputs[0]!)!;
  if (!training || !useWasmKernels() || x.shape.length < 2) return perStep(node, x, weights, state, memory, steps, seed, tape, impl, training);
  const own = { ...weights[node.id], ...state[node.id] };
  const shape = blockShape(x, steps);
  const out = outputTensor(x.shape);
  const stats = wasmBatchNormBlocks(shape, x.data, own.gamma!.data, own.beta!.data, node.attrs.eps as number, out.data);
  // batchnorm.ts's running update (ONNX momentum = 1 − the attribute), once per step, each step's
  // result rounded to float32 as the step-by-step run stores it.
  // A per-step batch norm ([T, C] running statistics, bn-slots.ts) moves row t with step t.
  const momentum = 1 - (node.attrs.momentum as number), c = shape.c;
  const mean: Tensor = { shape: [...own.running_mean!.shape], data: Float32Array.from(own.running_mean!.data) };
  const variance: Tensor = { shape: [...own.running_var!.shape], data: Float32Array.from(own.running_var!.data) };
  for (let t = 0; t < steps; t++) {
    const m = stepSlot(mean, t).data, v = stepSlot(variance, t).data;
    for (let ch = 0; ch < c; ch++) {
      m[ch] = movingAverage(m[ch]!, stats.mu[t * c + ch]!, momentum);
      v[ch] = movingAverage(v[ch]!, stats.variance[t * c + ch]!, momentum);
    }
  }
  (state[node.id] ??= {}).running_mean = mean;
  state[node.id]!.running_var = variance;
  tape?.push({ node: node.id, op: 'batchnorm', step: 0, inputs: [x], output: out, saved: { blocks: { shape, stats } satisfies SavedBlocks }, params: own });
  return out;
}

function perStep(node: Node, x: Tensor, weights: Weights, state: Weights, memory: Map<NodeId, Map<string, unknown>>,
  steps: number, seed: number, tape: TapeEntry[] | undefined, impl: OpImpl, training: boolean): Tensor {
  const n = x.data.length / steps;
  const shape = [x.shape[0]! / steps, ...x.shape.slice(1)];
  const y = new Float32Array(x.data.length);
  const entries: TapeEntry[] = [];
  for (let t = 0; t < steps; t++) {
    const xs: Tensor = { shape, data: x.data.subarray(t * n, (t + 1) * n) };
    const ys = evalNode(impl, node, new Map([[node.inputs[0]!, xs]]), weights, state, memory, training, seed, t, entries, undefined);
    y.set(ys.data, t * n);
  }
  const out: Tensor = { shape: x.shape, data: y };
  tape?.push({ node: node.id, op: 'batchnorm', step: 0, inputs: [x], output: out, saved: { perStep: entries }, params: entries[0]!.params });
  return out;
}

/** The backward rule of either form; undefined for an ordinary batch norm. */
export function batchNormOverTimeBackward(a: RuleArgs): RuleResult | undefined {
  const s = a.entry.saved;
  if (s.blocks) {
    const b = s.blocks as SavedBlocks;
    // wasmBatchNormBlocksBackward writes dx whole.
    const dx = outputTensor(a.dy!.shape);
    const g = wasmBatchNormBlocksBackward(b.shape, a.entry.inputs[0]!.data, a.dy!.data, a.entry.params.gamma!.data, b.stats, dx.data);
    return { inputs: [dx], params: { gamma: { shape: [b.shape.c], data: g.dgamma }, beta: { shape: [b.shape.c], data: g.dbeta } } };
  }
  if (!s.perStep) return undefined;
  const entries = s.perStep as TapeEntry[];
  const n = a.dy!.data.length / entries.length;
  const dx = zeros(a.dy!.shape);
  let dgamma: Tensor | undefined, dbeta: Tensor | undefined;
  entries.forEach((e, t) => {
    const dy: Tensor = { shape: e.output.shape, data: a.dy!.data.subarray(t * n, (t + 1) * n) };
    const g = batchNormBackward(e.inputs[0]!, e.params.gamma!, dy, e.saved.mean as Float32Array, e.saved.invStd as Float32Array, a.training);
    dx.data.set(g.dx.data, t * n);
    if (!dgamma || !dbeta) { dgamma = g.dgamma; dbeta = g.dbeta; return; }
    for (let i = 0; i < dgamma.data.length; i++) { dgamma.data[i] = dgamma.data[i]! + g.dgamma.data[i]!; dbeta.data[i] = dbeta.data[i]! + g.dbeta.data[i]!; }
  });
  return { inputs: [dx], params: { gamma: dgamma!, beta: dbeta! } };
}

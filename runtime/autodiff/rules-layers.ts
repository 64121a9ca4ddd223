/**
 * Backward rules of the ops with parameters or state, on the kernels' backward passes: dense and
 * conv2d (GEMM; on a submatrix next to a batchwise dropout, submatrix.ts), pools, batch norm, embedding, dropout (the forward's mask, reused), the recurrent
 * layers (BPTT per stacked layer, through the between-layer dropout masks) and LIF neurons
 * (surrogate-gradient BPTT across the network's time steps, carried in the node's memory).
 */
import { type Tensor, reshape, zeros } from '../tensor.ts';
import { batchNormBackward } from '../kernels/batchnorm.ts';
import { mul, reduceToShape } from '../kernels/broadcast.ts';
import { conv2dBackward } from '../kernels/conv2d-backward.ts';
import { denseBackward } from '../kernels/dense.ts';
import { lifBackward, type LifCache } from '../kernels/lif.ts';
import { lifBackwardOverTime, lifStepBackward } from '../kernels/lif-fused.ts';
import { embeddingBackward } from '../kernels/movement.ts';
import { avgPoolBackward, globalAvgPoolBackward, maxPoolBackward, type PoolOptions } from '../kernels/pool.ts';
import { gruBackward, type GruCache } from '../kernels/gru.ts';
import { lstmBackward, type LstmCache } from '../kernels/lstm.ts';
import { rnnBackward, type RnnCache } from '../kernels/rnn.ts';
import type { DeltaRecurrentCache } from '../kernels/delta-recurrent.ts';
import type { RecurrentGrads, RecurrentWeights } from '../kernels/rnn-common.ts';
import { applyMask } from '../interpreter/dropout.ts';
import { matmul, transpose } from '../interpreter/tensor-ops.ts';
import { convOptions, lifOptions } from '../interpreter/ops-layers.ts';
import { deltaDenseRule, deltaLayerBackward } from './delta-rules.ts';
import { sparseConv2dWeightGrad } from './sparse-conv.ts';
import { batchNormOverTimeBackward } from './bn-over-time.ts';
import { lifPoolBackward, pooledLifBackward } from './lif-pool.ts';
import { type Nonzeros, sparseDenseWeightGrad } from './sparse-dense.ts';
import { type SavedSubmatrix, cutConvBackward, cutDenseBackward } from './submatrix.ts';
import { dfp16Backward } from './dfp16-train.ts';
import { type SavedLstmCut, cutLstmBackward } from './lstm-cut.ts';
import type { Node } from '../../compiler/ir/module.ts';
import { markMasked, readsRelu } from './relu-fusion.ts';
import type { BackwardRule, RuleArgs, RuleResult } from './types.ts';

const pair = (v: unknown) => v as [number, number];

function poolOptions(node: Node): PoolOptions {
  const a = node.attrs;
  return {
    kernel: pair(a.kernel), strides: pair(a.stride), dilations: pair(a.dilation),
    pads: a.pad as number[], ceilMode: a.ceil_mode as boolean, countIncludePad: (a.count_include_pad as boolean | undefined) ?? false,
  };
}

function dense(a: RuleArgs): RuleResult {
  if (a.entry.saved.xhat) return deltaDenseRule(a, a.module, a.deltaL1 ?? 0);
  const int16 = dfp16Backward(a);
  if (int16) return int16;
  const cut = a.entry.saved.submatrix as SavedSubmatrix | undefined;
  if (cut) return cutDenseBackward(a, cut);
  const p = a.entry.params;
  const x = a.entry.inputs[0]!;
  const nz = a.entry.saved.nonzeros as Nonzeros | undefined;
  const g = denseBackward(x, p.weight!, a.dy!, { input: a.want[0], weight: !nz, bias: p.bias !== undefined });
  const [outF, inF] = p.weight!.shape as [number, number];
  const dw = nz ? sparseDenseWeightGrad(x, a.dy!, outF, inF, nz) : g.dw!;
  return { inputs: [g.dx], params: { weight: dw, ...(g.db ? { bias: g.db } : {}) } };
}

/** Swap the last two axes. */
const swapLast = (t: Tensor): Tensor => {
  const r = t.shape.length;
  return transpose(t, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
};

/** NumPy matmul: dA = dY·Bᵀ, dB = Aᵀ·dY, summed over broadcast batch axes; 1-D operands promoted. */
function matmulRule(a: RuleArgs): RuleResult {
  const [x, y] = a.entry.inputs as [Tensor, Tensor];
  const x2 = x.shape.length === 1 ? reshape(x, [1, x.shape[0]!]) : x;
  const y2 = y.shape.length === 1 ? reshape(y, [y.shape[0]!, 1]) : y;
  const m = x2.shape[x2.shape.length - 2]!, n = y2.shape[y2.shape.length - 1]!;
  const batch = a.dy!.shape.slice(0, a.dy!.shape.length - (x.shape.length === 1 ? 0 : 1) - (y.shape.length === 1 ? 0 : 1));
  const g = reshape(a.dy!, [...batch, m, n]);
  const dx = a.want[0] ? reshape(reduceToShape(matmul(g, swapLast(y2)), x2.shape), x.shape) : undefined;
  const dyb = a.want[1] ? reshape(reduceToShape(matmul(swapLast(x2), g), y2.shape), y.shape) : undefined;
  return { inputs: [dx, dyb] };
}

function conv2d(a: RuleArgs): RuleResult {
  const int16 = dfp16Backward(a);
  if (int16) return int16;
  const p = a.entry.params;
  const opts = convOptions(a.node);
  const cut = a.entry.saved.submatrix as SavedSubmatrix | undefined;
  if (cut) return cutConvBackward(a, cut, opts);
  const x = a.entry.inputs[0]!;
  // After a scatter forward (sparse-conv.ts) the weight gradient takes the same walk. After a
  // spike forward (spike-conv.ts) it does not: the active-tap walk of dW lost to the SIMD GEMM
  // even at 2 % active (62 against 33 ms on spiking_cnn's second layer, docs/benchmarks.md).
  const sparse = a.entry.saved.sparse === true;
  const g = conv2dBackward(x, p.weight!, a.dy!, opts, { input: a.want[0], weight: !sparse, bias: p.bias !== undefined });
  const dw = sparse ? sparseConv2dWeightGrad(x, p.weight!.shape, a.dy!, opts) : g.dw!;
  return { inputs: [g.dx], params: { weight: dw, ...(g.db ? { bias: g.db } : {}) } };
}

function batchnorm(a: RuleArgs): RuleResult {
  const overTime = batchNormOverTimeBackward(a);
  if (overTime) return overTime;
  const s = a.entry.saved;
  const g = batchNormBackward(a.entry.inputs[0]!, a.entry.params.gamma!, a.dy!, s.mean as Float32Array, s.invStd as Float32Array, a.training);
  return { inputs: [g.dx], params: { gamma: g.dgamma, beta: g.dbeta } };
}

function dropout(a: RuleArgs): RuleResult {
  const mask = a.entry.saved.mask as Tensor | undefined;
  return { inputs: [mask ? applyMask(a.dy!, mask) : a.dy!] };
}

/**
 * BPTT through one LIF step; dL/dv flows to the previous step through the node's memory. After
 * training's fused forward (saved `lifStep`: u) the fused backward updates one carry buffer in
 * place; after the interpreter's own step, the reference kernel. A membrane readout's output is
 * its membrane v, so its gradient joins the carry as dL/dv.
 */
function lif(a: RuleArgs): RuleResult {
  const pooled = pooledLifBackward(a);
  if (pooled) return pooled;
  const x = a.entry.inputs[0]!;
  const over = a.entry.saved.lifSteps as { u: Float32Array; steps: number } | undefined;
  if (over) {
    if (!a.dy) return {};
    const dx = zeros(x.shape);
    lifBackwardOverTime(lifOptions(a.node), over.u, a.entry.output.data, a.dy.data, over.steps, dx.data);
    return { inputs: [dx] };
  }
  const u = a.entry.saved.lifStep as Float32Array | undefined;
  if (u) {
    let carry = a.memory.get('carry') as Float32Array | undefined;
    if (!a.dy && !carry) return {};
    if (!carry) a.memory.set('carry', (carry = new Float32Array(u.length)));
    const dx = zeros(x.shape);
    lifStepBackward(lifOptions(a.node), u, a.entry.output.data, a.dy?.data, carry, dx.data);
    return { inputs: [dx] };
  }
  const cache = a.entry.saved.lif as LifCache;
  const carry = a.memory.get('dv') as Tensor | undefined;
  if (!a.dy && !carry) return {};
  let dSpikes = a.dy, dv = carry;
  if (!cache.opts.fire && a.dy) {
    dv = carry ? { shape: carry.shape, data: carry.data.map((c, i) => c + a.dy!.data[i]!) } : a.dy;
    dSpikes = undefined;
  }
  const r = lifBackward(cache, dSpikes && reshape(dSpikes, cache.shape), dv && reshape(dv, cache.shape));
  a.memory.set('dv', r.dv0);
  return { inputs: [reshape(r.dInput, x.shape)] };
}

interface LayerCache { input: Tensor; cache: unknown }

/** Layer by layer from the top: each layer's input gradient, through its dropout mask, feeds the one below. */
function recurrent(a: RuleArgs): RuleResult {
  const cut = a.entry.saved.lstmCut as SavedLstmCut | undefined;
  if (cut) return cutLstmBackward(a, cut);
  const { node, entry } = a;
  const caches = entry.saved.layers as LayerCache[];
  const masks = (entry.saved.masks as Tensor[] | undefined) ?? [];
  const p = entry.params;
  let dy: Tensor | undefined = node.attrs.sequence === 'last' ? undefined : transpose(a.dy!, [1, 0, 2]);
  let dhT: Tensor | undefined = node.attrs.sequence === 'last' ? a.dy! : undefined;
  const params: Record<string, Tensor> = {};
  for (let l = caches.length - 1; l >= 0; l--) {
    const { input, cache } = caches[l]!;
    const wt: RecurrentWeights = { w: p[`w_ih${l}`]!, r: p[`w_hh${l}`]!, wb: p[`b${l}`]! };
    const g: RecurrentGrads = node.attrs.delta !== undefined ? deltaLayerBackward(input, wt, cache as DeltaRecurrentCache, dy, dhT, a.deltaL1 ?? 0)
      : node.op === 'lstm' ? lstmBackward(input, wt, cache as LstmCache, dy, dhT)
      : node.op === 'gru' ? gruBackward(input, wt, cache as GruCache, dy, dhT)
      : rnnBackward(input, wt, cache as RnnCache, dy, dhT);
    params[`w_ih${l}`] = g.dw;
    params[`w_hh${l}`] = g.dr;
    params[`b${l}`] = g.dwb;
    // Layer l > 0 saw its input through masks[l − 1] when dropout was active.
    const mask = l > 0 ? masks[l - 1] : undefined;
    dy = mask ? mul(g.dx, mask) : g.dx;
    dhT = undefined;
  }
  return { inputs: [a.want[0] && dy ? transpose(dy, [1, 0, 2]) : undefined], params };
}

/** Through a relu feeding the pool, its backward in the same pass (relu-fusion.ts). */
function maxpool2d(a: RuleArgs): RuleResult {
  // A pool fused with the LIF layer below it saved no argmax: its backward is the fused sweep's.
  const fused = lifPoolBackward(a);
  if (fused) return fused;
  const shape = a.entry.inputs[0]!.shape, argmax = a.entry.saved.argmax as Int32Array, o = poolOptions(a.node);
  if (!readsRelu(a.node, a.module)) return { inputs: [maxPoolBackward(a.dy!, argmax, shape, o)] };
  return { inputs: [markMasked(maxPoolBackward(a.dy!, argmax, shape, o, a.entry.output.data))] };
}

export const LAYER_RULES: Record<string, BackwardRule> = {
  dense,
  matmul: matmulRule,
  conv2d,
  maxpool2d,
  avgpool2d: (a) => ({ inputs: [avgPoolBackward(a.dy!, a.entry.inputs[0]!.shape, poolOptions(a.node))] }),
  global_avgpool: (a) => ({ inputs: [globalAvgPoolBackward(a.dy!, a.entry.inputs[0]!.shape)] }),
  batchnorm,
  embedding: (a) => {
    const ids = a.entry.inputs[0]!;
    return { inputs: [undefined], params: { table: embeddingBackward(ids.data, a.dy!, a.entry.params.table!.shape) } };
  },
  dropout,
  rnn: recurrent,
  lstm: recurrent,
  gru: recurrent,
  lif,
};

/** Ops whose backward runs even without an output gradient (a carried state may still flow). */
export const STATEFUL = new Set(['lif']);

/**
 * The forward pass autodiff differentiates: the interpreter's own `run` (runtime/interpreter.ts),
 * so time steps, dropout and seeding follow its rules exactly, plus what training needs that the
 * interpreter leaves out: layers' `weights =` precisions are fake-quantized before the run and
 * `activations =` ones after each op (precision.ts, through run's onNode hook), and every
 * evaluation is recorded on a tape with the parameters it used and the straight-through backward
 * of its output quantization. Training also swaps in faster op implementations that differ from
 * the interpreter's only in summation order: dense and conv2d layers on mostly-zero inputs skip the
 * zeros (sparse-dense.ts, sparse-conv.ts), conv2d layers on spikes add the weights of the active
 * inputs (spike-conv.ts), layers next to a batchwise dropout multiply only the kept units
 * (dropout-plan.ts, submatrix.ts), and so does an lstm with structured dropout inside its cell
 * (lstm-cut.ts). A conv2d whose only reader is a relu applies it itself (relu-fusion.ts; same bits).
 *
 * It does not check shapes against the module's declared batch: a module compiled for batch 64
 * runs on any batch as long as no op bakes the batch size into an attribute.
 */
import type { Module, NodeId } from '../../compiler/ir/module.ts';
import { precisionOf } from '../../compiler/ir/node-precision.ts';
import type { Ste } from '../../compiler/ir/ops.ts';
import { type Tensor, zeros } from '../tensor.ts';
import { run } from '../interpreter.ts';
import type { Inputs, NodeEvaluation, OpImpl, SpikeEncoding, Weights } from '../interpreter/types.ts';
import { type FakeQuant, fakeQuantize, isQuantizedParam } from './precision.ts';
import { LAYER_OPS, convOptions, lifOptions } from '../interpreter/ops-layers.ts';
import { lifStepForward } from '../kernels/lif-fused.ts';
import { lmuOp, sigmaDeltaOp } from '../interpreter/lmu.ts';
import { planDropout } from './dropout-plan.ts';
import { OUT_SCALE, scaleParamFor } from '../quantize/layer-precision.ts';
import { scatterPays, sparseConv2d } from './sparse-conv.ts';
import { trainingDense } from './sparse-dense.ts';
import { scratchIn, spikeConv2d, spikeConvApplies } from './spike-conv.ts';
import { plannedImpls } from './submatrix.ts';
import { type Dfp16Counts, dfp16Impls } from './dfp16-train.ts';
import { cutLstm } from './lstm-cut.ts';
import type { TrainTapeEntry } from './types.ts';
import { isRectified, markRectified, reluFolded } from './relu-fusion.ts';
import { conv2d } from '../kernels/conv2d.ts';
import { relu } from '../kernels/activations.ts';
import { type Folded, foldsTime, forwardFolded } from './time-fold.ts';
export type { TrainTapeEntry } from './types.ts';

export { timeVarying } from '../interpreter.ts';

/**
 * A dense layer on a mostly-zero input (pixels, spikes) skips the zeros (sparse-dense.ts); the
 * result differs from the GEMM's only in summation order. Small products stay on the GEMM.
 */
const denseOp: OpImpl = (ctx) => ctx.node.attrs.delta !== undefined ? LAYER_OPS.dense!(ctx) : trainingDense(ctx.inputs[0]!, ctx.params.weight!, ctx.params.bias, ctx.save);

/**
 * A conv2d whose input is a spike tensor adds the weights of its active inputs (spike-conv.ts),
 * with one scratch per layer and run; likewise a stride-1 conv2d on mostly-zero input (MNIST
 * pixels) scatters from its nonzeros.
 */
const convOp = (spikeFed: ReadonlySet<NodeId>, folded: ReadonlySet<NodeId>): OpImpl => (ctx) => {
  const x = ctx.inputs[0]!;
  if (spikeConvApplies(ctx.node, spikeFed, x)) {
    const y = spikeConv2d(x, ctx.params.weight!, ctx.params.bias, convOptions(ctx.node), scratchIn(ctx.memory));
    if (y) { ctx.save('spikes', true); return y; }
  }
  if (!scatterPays(ctx.node, x)) {
    if (!folded.has(ctx.node.id)) return LAYER_OPS.conv2d!(ctx);
    return markRectified(conv2d(x, ctx.params.weight!, ctx.params.bias, convOptions(ctx.node), true));
  }
  ctx.save('sparse', true);
  return sparseConv2d(x, ctx.params.weight!, ctx.params.bias, convOptions(ctx.node));
};

/** Nodes whose (first) input is a spike tensor: a lif's output, or a pool, flatten, … of one. */
function spikeFedNodes(m: Module): Set<NodeId> {
  const fed = new Set<NodeId>();
  for (const n of Object.values(m.nodes)) {
    const from = n.inputs[0] === undefined ? undefined : m.nodes[n.inputs[0]];
    if (from?.type?.dtype === 'spike') fed.add(n.id);
  }
  return fed;
}

/** LIF steps fused, the membrane kept in one buffer per layer and run (lif-fused.ts). */
const lifOp: OpImpl = (ctx) => {
  const x = ctx.inputs[0]!;
  let v = ctx.memory.get('membrane') as Float32Array | undefined;
  if (!v) ctx.memory.set('membrane', (v = new Float32Array(x.data.length)));
  const out = zeros(x.shape);
  const u = new Float32Array(x.data.length);
  lifStepForward(lifOptions(ctx.node), x.data, v, out.data, u);
  ctx.save('lifStep', u);
  return out;
};

/** A relu after a conv2d that already rectified its output passes it on (relu-fusion.ts). */
const reluOp: OpImpl = (ctx) => (isRectified(ctx.inputs[0]!) ? ctx.inputs[0]! : relu(ctx.inputs[0]!));

/** Per module, built once: spikeFedNodes and reluFolded each walk the whole graph, and forward runs every step. */
const implCache = new WeakMap<Module, Record<string, OpImpl>>();
function impls(m: Module): Record<string, OpImpl> {
  let out = implCache.get(m);
  if (!out) implCache.set(m, (out = { dense: denseOp, conv2d: convOp(spikeFedNodes(m), reluFolded(m)), lif: lifOp, relu: reluOp }));
  return out;
}

/** Sigma-delta layers part way from non-spiking to spiking (train block `spiking_anneal`). */
const blendedImpls = (spiking: number | undefined): Record<string, OpImpl> =>
  spiking === undefined || spiking === 1 ? {} : { lmu: (ctx) => lmuOp(ctx, spiking), sigma_delta: (ctx) => sigmaDeltaOp(ctx, spiking) };

/**
 * Delta layers at a fraction of their θ (train block `delta_anneal`): a network that starts at the
 * full threshold sends almost nothing from its small initial states and learns slowly, if at all.
 */
function annealedDelta(m: Module, all: Record<string, OpImpl>, scale: number | undefined): Record<string, OpImpl> {
  const out: Record<string, OpImpl> = {};
  if (scale === undefined || scale === 1) return out;
  for (const n of Object.values(m.nodes)) {
    if (n.attrs.delta === undefined || out[n.op]) continue;
    const impl = all[n.op] ?? LAYER_OPS[n.op]!;
    out[n.op] = (ctx) => ctx.node.attrs.delta === undefined ? impl(ctx)
      : impl({ ...ctx, node: { ...ctx.node, attrs: { ...ctx.node.attrs, delta: (ctx.node.attrs.delta as number) * scale } } });
  }
  return out;
}

export interface ForwardOptions {
  training?: boolean;
  seed?: number;
  encoding?: SpikeEncoding;
  /** Record the tape (default true). */
  record?: boolean;
  /**
   * In training, let layers next to a batchwise or structured dropout, and lstm cells with
   * structured dropout inside, multiply only the units it keeps (default true; dropout-plan.ts,
   * lstm-cut.ts). false multiplies every unit and masks, as `run` does;
   * the two agree within float32 rounding.
   */
  submatrix?: boolean;
  /**
   * Run dense and conv2d in int16 dynamic fixed point (dfp16-train.ts), counting into this. Their
   * own int16 forms replace the sparse and submatrix paths, so no dropout plan is made.
   */
  dfp16?: Dfp16Counts;
  /** Sigma-delta units' blend from non-spiking (0) to spiking (1, the default; interpreter/lmu.ts). */
  spiking?: number;
  /** Every delta layer's θ times this (train block `delta_anneal`; default 1). */
  deltaScale?: number;
  /**
   * A spiking network runs each node once over all time steps where it can (time-fold.ts; default
   * true); false runs step by step, as the interpreter does. The two agree within float32 rounding.
   */
  foldTime?: boolean;
}

export interface ForwardResult {
  outputs: Record<NodeId, Tensor>;
  /** Batch-norm running statistics the run updated (training only). */
  state: Weights;
  tape: TrainTapeEntry[];
  /** Time steps evaluated. */
  steps: number;
  /** Per node and parameter: the straight-through backward from quantized to latent weight. */
  weightQuant: Map<NodeId, Map<string, FakeQuant>>;
  /** Set when time was folded into the batch (time-fold.ts): time-varying nodes hold all steps. */
  folded?: Folded;
}

/** The weights the forward pass uses: latent weights fake-quantized per the layer's precision. */
export function effectiveWeights(m: Module, weights: Weights): { weights: Weights; quant: Map<NodeId, Map<string, FakeQuant>> } {
  const out: Weights = {};
  const quant = new Map<NodeId, Map<string, FakeQuant>>();
  for (const node of Object.values(m.nodes)) {
    const own = weights[node.id];
    if (!own) continue;
    const p = precisionOf(node, 'weights');
    if (!p) { out[node.id] = own; continue; }
    const q = new Map<string, FakeQuant>();
    const eff: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(own)) {
      const fq = isQuantizedParam(node.op, name) ? fakeQuantize(t, p, 'weight', own[scaleParamFor(name)]?.data, node.attrs.ste as Ste | undefined) : undefined;
      if (fq) q.set(name, fq);
      eff[name] = fq ? fq.y : t;
    }
    out[node.id] = eff;
    quant.set(node.id, q);
  }
  return { weights: out, quant };
}

/**
 * Consumers see the quantized output; the tape keeps the op's own (its backward wants that). A
 * layer with a static `out_scale` (kiln quantize) uses it, so no sample depends on its batch-mates.
 */
const quantizeActivation = (weights: Weights) => (e: NodeEvaluation): Tensor => {
  const p = precisionOf(e.node, 'activations');
  if (!p) return e.output;
  const fq = fakeQuantize(e.output, p, 'activation', weights[e.node.id]?.[OUT_SCALE]?.data, e.node.attrs.ste as Ste | undefined);
  if (!fq) return e.output;
  if (e.entry) Object.assign(e.entry, { outputQuant: fq } satisfies Partial<TrainTapeEntry>);
  return fq.y;
};

export function forward(m: Module, latent: Weights, inputs: Inputs, opts: ForwardOptions = {}): ForwardResult {
  const { weights, quant } = effectiveWeights(m, latent);
  const cut = opts.training && (opts.submatrix ?? true) && !opts.dfp16;
  const plan = cut ? planDropout(m, opts.seed ?? 0) : undefined;
  const base = opts.dfp16 ? dfp16Impls(opts.dfp16) : impls(m);
  const own = { ...(plan ? plannedImpls(plan, base) : base), ...(cut ? { lstm: cutLstm } : {}), ...blendedImpls(opts.spiking) };
  const all = { ...own, ...annealedDelta(m, own, opts.deltaScale) };
  if ((opts.foldTime ?? true) && !opts.dfp16 && foldsTime(m, opts.encoding ?? 'direct')) {
    const f = forwardFolded(m, weights, inputs, all, { training: opts.training ?? false, seed: opts.seed ?? 0, record: opts.record ?? true });
    return { ...f, steps: m.timesteps, weightQuant: quant };
  }
  const r = run(m, weights, inputs, {
    training: opts.training, seed: opts.seed, encoding: opts.encoding, record: opts.record ?? true,
    impls: all, onNode: quantizeActivation(latent), checkShapes: false,
  });
  return { outputs: r.outputs, state: r.state, tape: r.tape ?? [], steps: Math.max(1, m.timesteps), weightQuant: quant };
}

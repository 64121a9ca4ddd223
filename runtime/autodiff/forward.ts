/**
 * The forward pass autodiff differentiates: the interpreter's own op definitions (LAYER_OPS,
 * SIMPLE_OPS), run in the same order with the same time-step, dropout and seeding rules as
 * `run` in runtime/interpreter.ts (a test holds the two to bit-equal outputs), plus what
 * training needs that the interpreter leaves out: layers' `weights =` / `activations =`
 * precisions are fake-quantized (precision.ts), and every evaluation is recorded on a tape with
 * the parameters it used and the straight-through backward of its output quantization.
 *
 * It does not check input shapes against the module's declared batch: a module compiled for
 * batch 64 runs on any batch as long as no op bakes the batch size into an attribute.
 */
import { type DType, type Precision, isInteger } from '../../compiler/ir/dtype.ts';
import type { Module, Node, NodeId } from '../../compiler/ir/module.ts';
import { KilnError, error } from '../../compiler/lang/diagnostics.ts';
import { type Rng, type Tensor, mulberry32, zeros } from '../tensor.ts';
import { LAYER_OPS } from '../interpreter/ops-layers.ts';
import { SIMPLE_OPS } from '../interpreter/ops-simple.ts';
import { streamSeed } from '../interpreter/seed.ts';
import type { Inputs, OpContext, OpImpl, SpikeEncoding, TapeEntry, Weights } from '../interpreter/types.ts';
import { type FakeQuant, fakeQuantize, isQuantizedParam } from './precision.ts';
import { SPARSE_DENSITY, density, sparseDense } from './sparse-dense.ts';

/**
 * A dense layer on a mostly-zero input (pixels, spikes) skips the zeros (sparse-dense.ts); the
 * result differs from the GEMM's only in summation order. Small products stay on the GEMM.
 */
const denseOp: OpImpl = (ctx) => {
  const x = ctx.inputs[0]!;
  const w = ctx.params.weight!;
  if (x.data.length * w.shape[0]! < 1 << 16 || density(x.data) >= SPARSE_DENSITY) return LAYER_OPS.dense!(ctx);
  ctx.save('sparse', true);
  return sparseDense(x, w, ctx.params.bias);
};

const IMPLS: Readonly<Record<string, OpImpl>> = { ...LAYER_OPS, ...SIMPLE_OPS, dense: denseOp };

export interface TrainTapeEntry extends TapeEntry {
  /** The parameters (and state) the op saw: quantized weights where a precision asks for it. */
  params: Record<string, Tensor>;
  /** Straight-through backward of the output's activation quantization. */
  outputQuant?: FakeQuant;
}

export interface ForwardOptions {
  training?: boolean;
  seed?: number;
  encoding?: SpikeEncoding;
  /** Record the tape (default true). */
  record?: boolean;
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
}

function precisionOf(node: Node, attr: 'weights' | 'activations'): Precision | undefined {
  const p = node.attrs[attr] as Precision | undefined;
  return p && typeof p === 'object' && p.dtype !== 'f32' ? p : undefined;
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
      const fq = isQuantizedParam(node.op, name) ? fakeQuantize(t, p, 'weight') : undefined;
      if (fq) q.set(name, fq);
      eff[name] = fq ? fq.y : t;
    }
    out[node.id] = eff;
    quant.set(node.id, q);
  }
  return { weights: out, quant };
}

/** Nodes whose value can differ between time steps (as the interpreter decides). */
export function timeVarying(m: Module, encoding: SpikeEncoding): Set<NodeId> {
  const varying = new Set<NodeId>();
  for (const n of Object.values(m.nodes)) {
    const rateCoded = n.op === 'input' && encoding === 'rate' && !isInteger(n.attrs.dtype as DType);
    if (n.op === 'lif' || rateCoded || n.inputs.some((i) => varying.has(i))) varying.add(n.id);
  }
  return varying;
}

function rateCode(x: Tensor, rng: Rng): Tensor {
  const s = zeros(x.shape);
  for (let i = 0; i < s.data.length; i++) s.data[i] = rng() < Math.min(1, Math.max(0, x.data[i]!)) ? 1 : 0;
  return s;
}

export function forward(m: Module, latent: Weights, inputs: Inputs, opts: ForwardOptions = {}): ForwardResult {
  const training = opts.training ?? false;
  const seed = opts.seed ?? 0;
  const encoding = opts.encoding ?? 'direct';
  const record = opts.record ?? true;
  const steps = Math.max(1, m.timesteps);
  const varying = timeVarying(m, encoding);
  const { weights, quant } = effectiveWeights(m, latent);
  const values = new Map<NodeId, Tensor>();
  const sums = new Map<NodeId, Float32Array>();
  const memory = new Map<NodeId, Map<string, unknown>>();
  const state: Weights = {};
  const tape: TrainTapeEntry[] = [];
  const outputs = new Set(m.outputs);
  const nodes = Object.values(m.nodes);
  const inputRng = mulberry32(streamSeed(seed, '<inputs>'));
  for (let step = 0; step < steps; step++) {
    for (const node of nodes) {
      if (step > 0 && !varying.has(node.id)) continue;
      let out: Tensor;
      if (node.op === 'input') {
        const x = inputs[node.id];
        if (!x) throw new KilnError(error('run', `no value for input \`${node.id}\``, node.loc));
        out = encoding === 'rate' && steps > 1 && !isInteger(node.attrs.dtype as DType) ? rateCode(x, inputRng) : x;
      } else {
        out = evalNode(node, values, weights, state, memory, training, seed, step, record ? tape : undefined);
      }
      values.set(node.id, out);
      if (outputs.has(node.id) && varying.has(node.id)) {
        // Summed in f32 and divided at the end, exactly as the interpreter does.
        const s = sums.get(node.id);
        if (!s) sums.set(node.id, Float32Array.from(out.data));
        else for (let i = 0; i < s.length; i++) s[i] = s[i]! + out.data[i]!;
      }
    }
  }
  const result: Record<NodeId, Tensor> = {};
  for (const id of m.outputs) {
    const s = sums.get(id);
    const v = values.get(id)!;
    if (s) for (let i = 0; i < s.length; i++) s[i] = s[i]! / steps;
    result[id] = s ? { shape: [...v.shape], data: s } : v;
  }
  return { outputs: result, state, tape, steps, weightQuant: quant };
}

function evalNode(node: Node, values: Map<NodeId, Tensor>, weights: Weights, state: Weights, memory: Map<NodeId, Map<string, unknown>>,
  training: boolean, seed: number, step: number, tape: TrainTapeEntry[] | undefined): Tensor {
  const impl = IMPLS[node.op];
  if (!impl) throw new KilnError(error('run', `autodiff has no forward definition of op \`${node.op}\``, node.loc));
  const ins = node.inputs.map((i) => values.get(i)!);
  const saved: Record<string, unknown> = {};
  let mem = memory.get(node.id);
  if (!mem) memory.set(node.id, (mem = new Map()));
  let rng: Rng | undefined;
  const params = { ...weights[node.id], ...state[node.id] };
  const ctx: OpContext = {
    node,
    inputs: ins,
    params,
    training,
    rng: () => (rng ??= mulberry32(streamSeed(seed + step * 0x9e3779b1, node.id))),
    save: tape ? (k, v) => { saved[k] = v; } : () => {},
    setState: (name, v) => { (state[node.id] ??= {})[name] = v; },
    memory: mem,
  };
  let out = impl(ctx);
  const aq = precisionOf(node, 'activations');
  const outputQuant = aq ? fakeQuantize(out, aq, 'activation') : undefined;
  const entry: TrainTapeEntry = { node: node.id, op: node.op, step, inputs: ins, output: out, saved, params };
  // The tape keeps the op's own output (its backward wants that); consumers see the quantized one.
  if (outputQuant) {
    entry.outputQuant = outputQuant;
    out = outputQuant.y;
  }
  tape?.push(entry);
  return out;
}

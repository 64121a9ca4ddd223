/**
 * The reference interpreter for Kiln's graph IR: the living definition of what every op computes.
 * `run` evaluates a typed module (one that went through infer-shapes) forward on given weights and
 * inputs, in f32. Precision attributes (`weights = i8`, …) are not emulated here: this is the
 * real-valued network those precisions approximate.
 *
 * Spiking networks (module.timesteps T > 1) run T steps. Every step evaluates the graph once; each
 * `lif` node keeps its membrane potential from step to step, and the input is presented at every
 * step as given (`encoding: 'direct'`) or, for float inputs, as Bernoulli spikes of rate
 * clamp(x, 0, 1) ('rate'; integer inputs such as token ids stay as given).
 * Nodes that cannot change over time (upstream of every lif, with direct encoding) are evaluated
 * once. Outputs are means over the T steps, so a spike output is its firing rate. Dropout draws one
 * mask per run, shared by all steps.
 */
import { KilnError, error } from '../compiler/lang/diagnostics.ts';
import { type DType, isInteger } from '../compiler/ir/dtype.ts';
import type { Module, Node, NodeId } from '../compiler/ir/module.ts';
import { type Rng, type Tensor, formatShape, mulberry32, sameShape, zeros } from './tensor.ts';
import { LAYER_OPS } from './interpreter/ops-layers.ts';
import { SIMPLE_OPS } from './interpreter/ops-simple.ts';
import { nodeSeed, streamSeed } from './interpreter/seed.ts';
import type { Inputs, OpContext, OpImpl, RunOptions, RunResult, SpikeEncoding, TapeEntry, Weights } from './interpreter/types.ts';

export type { Inputs, NodeEvaluation, RunOptions, RunResult, SpikeEncoding, TapeEntry, Weights } from './interpreter/types.ts';
export { emptyParams, initParams } from './interpreter/init.ts';
export { streamSeed } from './interpreter/seed.ts';

const IMPLS: Readonly<Record<string, OpImpl>> = { ...LAYER_OPS, ...SIMPLE_OPS };

/** Ops the interpreter defines: every op of the vocabulary (a test holds this to OPS). */
export const INTERPRETED_OPS: readonly string[] = Object.keys(IMPLS);

function runError(message: string, node?: Node, hint?: string): KilnError {
  return new KilnError(error('run', message, node?.loc, hint));
}

function checkModule(m: Module, params: Weights, inputs: Inputs, shapes: boolean): void {
  for (const id of m.inputs) {
    const node = m.nodes[id]!;
    const t = inputs[id];
    if (!t) throw runError(`no value for input \`${id}\``, node, `give inputs for ${m.inputs.map((i) => '`' + i + '`').join(', ')}`);
    const want = node.attrs.shape as number[];
    // A tensor whose data does not fill its shape would read past its end as NaN, silently.
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) throw runError(`input \`${id}\` says ${formatShape(t.shape)} (${size} values) but holds ${t.data.length}`, node, 'give exactly one value per element of the shape');
    if (shapes && !sameShape(t.shape, want)) {
      throw runError(`input \`${id}\` is ${formatShape(t.shape)} but the network declares ${formatShape(want)}`, node,
        'recompile with the matching parameters, e.g. --set batch=N');
    }
  }
  for (const node of Object.values(m.nodes)) {
    if (node.op === 'input') continue;
    if (!node.type) throw runError(`node \`${node.id}\` has no type`, node, 'run the module through infer-shapes (the default pipeline) first');
    if (!IMPLS[node.op]) throw runError(`the interpreter has no definition of op \`${node.op}\``, node);
    for (const [name, type] of Object.entries(node.params ?? {})) {
      const t = params[node.id]?.[name];
      if (!t) throw runError(`no value for parameter \`${name}\` of \`${node.id}\``, node, 'initParams(module, seed) makes a full set');
      if (!sameShape(t.shape, type.shape)) {
        throw runError(`parameter \`${name}\` of \`${node.id}\` is ${formatShape(t.shape)}, expected ${formatShape(type.shape)}`, node);
      }
    }
  }
}

/** Nodes whose value can differ between time steps. */
export function timeVarying(m: Module, encoding: SpikeEncoding): Set<NodeId> {
  const varying = new Set<NodeId>();
  for (const n of Object.values(m.nodes)) {
    const rateCoded = n.op === 'input' && encoding === 'rate' && !isInteger(n.attrs.dtype as DType);
    const v = n.op === 'lif' || rateCoded || n.inputs.some((i) => varying.has(i));
    if (v) varying.add(n.id);
  }
  return varying;
}

function rateCode(x: Tensor, rng: Rng): Tensor {
  const s = zeros(x.shape);
  for (let i = 0; i < s.data.length; i++) s.data[i] = rng() < Math.min(1, Math.max(0, x.data[i]!)) ? 1 : 0;
  return s;
}

function accumulate(sum: Map<NodeId, Tensor>, id: NodeId, v: Tensor): void {
  const acc = sum.get(id);
  if (!acc) { sum.set(id, { shape: [...v.shape], data: Float32Array.from(v.data) }); return; }
  for (let i = 0; i < acc.data.length; i++) acc.data[i] = acc.data[i]! + v.data[i]!;
}

export function run(m: Module, params: Weights, inputs: Inputs, opts: RunOptions = {}): RunResult {
  const checkShapes = opts.checkShapes ?? true;
  checkModule(m, params, inputs, checkShapes);
  const training = opts.training ?? false;
  const seed = opts.seed ?? 0;
  const encoding = opts.encoding ?? 'direct';
  const steps = Math.max(1, m.timesteps);
  const varying = timeVarying(m, encoding);
  const values = new Map<NodeId, Tensor>();
  const sums = new Map<NodeId, Tensor>();
  const memory = new Map<NodeId, Map<string, unknown>>();
  const state: Weights = {};
  const tape: TapeEntry[] | undefined = opts.record ? [] : undefined;
  const keep = new Set<NodeId>(opts.keepValues ? Object.keys(m.nodes) : m.outputs);
  const nodes = Object.values(m.nodes);
  const inputRng = mulberry32(streamSeed(seed, '<inputs>'));
  for (let step = 0; step < steps; step++) {
    for (const node of nodes) {
      if (step > 0 && !varying.has(node.id)) continue;
      let out: Tensor;
      if (node.op === 'input') {
        const x = inputs[node.id]!;
        out = encoding === 'rate' && steps > 1 && !isInteger(node.attrs.dtype as DType) ? rateCode(x, inputRng) : x;
      } else {
        out = evalNode(opts.impls?.[node.op] ?? IMPLS[node.op]!, node, values, params, state, memory, training, seed, step, tape, opts.macs);
        if (checkShapes && !sameShape(out.shape, node.type!.shape)) {
          throw runError(`internal: ${node.op} \`${node.id}\` produced ${formatShape(out.shape)}, its type says ${formatShape(node.type!.shape)}`, node);
        }
        if (opts.onNode) out = opts.onNode({ node, step, output: out, entry: tape?.[tape.length - 1] });
      }
      values.set(node.id, out);
      if (keep.has(node.id) && varying.has(node.id)) accumulate(sums, node.id, out);
    }
  }
  const result = (id: NodeId): Tensor => {
    const s = sums.get(id);
    if (!s) return values.get(id)!;
    for (let i = 0; i < s.data.length; i++) s.data[i] = s.data[i]! / steps;
    sums.delete(id);
    values.set(id, s);
    return s;
  };
  const outputs: Record<NodeId, Tensor> = {};
  for (const id of keep) if (m.nodes[id]) result(id);
  for (const id of m.outputs) outputs[id] = values.get(id)!;
  const res: RunResult = { outputs, state };
  if (opts.keepValues) res.values = Object.fromEntries(Object.keys(m.nodes).map((id) => [id, values.get(id)!]));
  if (tape) res.tape = tape;
  return res;
}

/** One evaluation of one node with its own context; pushes its tape entry when `tape` is given. */
export function evalNode(impl: OpImpl, node: Node, values: Map<NodeId, Tensor>, params: Weights, state: Weights, memory: Map<NodeId, Map<string, unknown>>,
  training: boolean, seed: number, step: number, tape: TapeEntry[] | undefined, macs: RunOptions['macs']): Tensor {
  const ins = node.inputs.map((i) => values.get(i)!);
  const saved: Record<string, unknown> = {};
  let mem = memory.get(node.id);
  if (!mem) { mem = new Map(); memory.set(node.id, mem); }
  let rng: Rng | undefined;
  const own = { ...params[node.id], ...state[node.id] };
  const ctx: OpContext = {
    node,
    inputs: ins,
    params: own,
    training,
    step,
    rng: () => (rng ??= mulberry32(nodeSeed(seed, step, node.id))),
    save: tape ? (k, v) => { saved[k] = v; } : () => {},
    setState: (name, v) => { (state[node.id] ??= {})[name] = v; },
    memory: mem,
    countMacs: (c) => {
      if (!macs) return;
      const sum = macs.get(node.id) ?? { done: 0, dense: 0 };
      macs.set(node.id, { done: sum.done + c.done, dense: sum.dense + c.dense });
    },
  };
  const out = impl(ctx);
  tape?.push({ node: node.id, op: node.op, step, inputs: ins, output: out, saved, params: own });
  return out;
}

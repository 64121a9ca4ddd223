/**
 * The reverse sweep: walk the forward tape backwards, hand each evaluation's output gradient to
 * its op's rule, and accumulate what comes out into the producers' gradients (by node and time
 * step) and the parameters' (summed over steps). Gradients of quantized weights are mapped to
 * the latent weights through their straight-through estimators at the end.
 *
 * A spiking network's node is evaluated once per time step, except nodes upstream of every lif,
 * which are evaluated once and read at every step: their gradient is the sum over the steps that
 * read them. The tape order (steps in order, nodes topologically within a step) reversed visits
 * every consumer before its producer, including LIF's membrane carried to the next step.
 */
import type { Module, NodeId } from '../../compiler/ir/module.ts';
import { KilnError, error } from '../../compiler/lang/diagnostics.ts';
import type { Tensor } from '../tensor.ts';
import type { Weights } from '../interpreter/types.ts';
import type { ForwardResult } from './forward.ts';
import { isLearnable } from './precision.ts';
import { LAYER_RULES, STATEFUL } from './rules-layers.ts';
import { LMU_RULES } from './rules-lmu.ts';
import { SIMPLE_RULES } from './rules-simple.ts';
import type { BackwardRule } from './types.ts';
import { spreadOverTime } from './time-fold.ts';

export const RULES: Readonly<Record<string, BackwardRule>> = { ...LAYER_RULES, ...SIMPLE_RULES, ...LMU_RULES };

/** Ops autodiff can differentiate (every op of the vocabulary; a test holds this to OPS). */
export const DIFFERENTIABLE_OPS: readonly string[] = Object.keys(RULES);

export interface BackwardOptions {
  /** The forward ran in training mode. */
  training: boolean;
  /** Also return gradients with respect to the module's inputs. */
  inputs?: boolean;
  /** Weight of the L1 cost on delta layers' changes (delta-rules.ts). */
  deltaL1?: number;
}

export interface Gradients {
  /** dL/d(latent parameter) for every learnable parameter the loss depends on. */
  params: Weights;
  /** With `inputs`: dL/d(input) by input node id. */
  inputs: Record<NodeId, Tensor>;
}

/** Nodes whose output depends on a learnable parameter (or on an input, when input gradients are wanted). */
function requiringGrad(m: Module, inputs: boolean): Set<NodeId> {
  const need = new Set<NodeId>();
  for (const n of Object.values(m.nodes)) {
    const own = n.op === 'input' ? inputs : Object.keys(n.params ?? {}).some(isLearnable);
    if (own || n.inputs.some((i) => need.has(i))) need.add(n.id);
  }
  return need;
}

function sum(a: Tensor, b: Tensor): Tensor {
  const out = new Float32Array(a.data.length);
  const ad = a.data, bd = b.data;
  for (let i = 0; i < out.length; i++) out[i] = ad[i]! + bd[i]!;
  return { shape: [...a.shape], data: out };
}

function accumulate<K>(map: Map<K, Tensor>, key: K, g: Tensor): void {
  const prev = map.get(key);
  map.set(key, prev ? sum(prev, g) : g);
}

/**
 * Gradients of a loss given `seeds`: dL/d(value) of some nodes, where a node's value is what the
 * run reports for it (the mean over time steps for a node evaluated at every step).
 */
export function backward(m: Module, fwd: ForwardResult, seeds: ReadonlyMap<NodeId, Tensor>, opts: BackwardOptions): Gradients {
  const need = requiringGrad(m, opts.inputs ?? false);
  const evaluated = new Map<NodeId, number[]>();
  for (const e of fwd.tape) {
    let s = evaluated.get(e.node);
    if (!s) evaluated.set(e.node, (s = []));
    s.push(e.step);
  }
  const key = (id: NodeId, step: number) => `${id}@${step}`;
  // A producer evaluated only once (upstream of every lif, or an input) is read at step 0's value.
  const producerStep = (id: NodeId, step: number) => ((evaluated.get(id)?.length ?? 1) > 1 ? step : 0);
  const grads = new Map<string, Tensor>();
  for (const [id, g] of seeds) {
    if (fwd.folded?.varying.has(id)) { accumulate(grads, key(id, 0), spreadOverTime(g, fwd.folded.steps)); continue; }
    const steps = evaluated.get(id) ?? [0];
    const share = steps.length > 1 ? scaled(g, 1 / steps.length) : g;
    for (const s of steps) accumulate(grads, key(id, s), share);
  }
  const paramGrads = new Map<string, Tensor>();
  const memories = new Map<NodeId, Map<string, unknown>>();
  for (let i = fwd.tape.length - 1; i >= 0; i--) {
    const e = fwd.tape[i]!;
    if (!need.has(e.node)) continue;
    const node = m.nodes[e.node]!;
    const k = key(e.node, e.step);
    let dy = grads.get(k);
    grads.delete(k);
    if (!dy && !STATEFUL.has(e.op)) continue;
    if (dy && e.outputQuant) dy = e.outputQuant.backward(dy);
    const rule = RULES[e.op];
    if (!rule) throw new KilnError(error('train', `cannot differentiate op \`${e.op}\` (node \`${e.node}\`)`, node.loc, 'train a network made of differentiable ops'));
    let memory = memories.get(e.node);
    if (!memory) memories.set(e.node, (memory = new Map()));
    const want = node.inputs.map((id) => need.has(id));
    const r = rule({ node, entry: e, dy, want, memory, training: opts.training, module: m, deltaL1: opts.deltaL1 });
    r.inputs?.forEach((g, j) => {
      const from = node.inputs[j]!;
      if (g && want[j]) accumulate(grads, key(from, producerStep(from, e.step)), g);
    });
    for (const [name, g] of Object.entries(r.params ?? {})) accumulate(paramGrads, `${e.node}\u0000${name}`, g);
  }
  const params: Weights = {};
  for (const [k, g] of paramGrads) {
    const [id, name] = k.split('\u0000') as [string, string];
    const ste = fwd.weightQuant.get(id)?.get(name);
    (params[id] ??= {})[name] = ste ? ste.backward(g) : g;
  }
  const inputs: Record<NodeId, Tensor> = {};
  if (opts.inputs) {
    for (const id of m.inputs) {
      const g = grads.get(key(id, 0));
      if (g) inputs[id] = g;
    }
  }
  return { params, inputs };
}

function scaled(t: Tensor, k: number): Tensor {
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = t.data[i]! * k;
  return { shape: [...t.shape], data: out };
}

/**
 * Where training can skip the units a dropout drops (Graham, Reizenstein & Robinson 2015,
 * "Efficient batchwise dropout training using submatrices"). A batchwise or structured mask is
 * the same for every sample, so when it varies along one feature axis only — the last axis of
 * [B, F] or [B, T, F] (structured), the channel axis of [B, C, H, W] (structured) — the layers
 * next to it work on a submatrix of their weights:
 *   consumer  a dense (or conv2d) reading the dropout's output uses only the kept input columns
 *             (input channels): the dropped ones are zero;
 *   producer  the dense (or conv2d) whose output reaches the dropout through elementwise
 *             activations computes only the kept output units: the dropped ones are multiplied
 *             by zero anyway, and their gradient is zero.
 * A mask depends on nothing but its node's random stream, so it can be drawn before the producer
 * runs: the plan draws it exactly as the dropout op would and hands it to that op.
 *
 * A producer qualifies only if its output and every activation on the way have no other reader,
 * are no module output and quantize no activations (a per-tensor scale would see the dropped
 * values); conv2d only with groups = 1.
 */
import { type Module, type Node, type NodeId, readersOf } from '../../compiler/ir/module.ts';
import { type Tensor, mulberry32 } from '../tensor.ts';
import { type DropoutMode, dropoutMask, maskShape } from '../interpreter/dropout.ts';
import { nodeSeed } from '../interpreter/seed.ts';

/** Kept indices along a layer's input feature axis and/or output feature axis. */
export interface Submatrix {
  keepIn?: Int32Array;
  keepOut?: Int32Array;
}

export interface DropoutPlan {
  /** Dropout node → the mask it must use. */
  masks: Map<NodeId, Tensor>;
  /** dense / conv2d node → the units it computes with. */
  layers: Map<NodeId, Submatrix>;
}

/** Activations with f(0) finite and f'·0 = 0, so a dropped unit's value may be anything. */
const PASS_THROUGH = new Set(['relu', 'leaky_relu', 'sigmoid', 'tanh', 'hard_tanh', 'sign']);

interface Site {
  dropout: Node;
  producer?: NodeId;
  consumers: NodeId[];
}

export function quantizesActivations(n: Node): boolean {
  const p = n.attrs.activations as { dtype?: string } | undefined;
  return p !== undefined && typeof p === 'object' && p.dtype !== 'f32';
}

/** The feature axis a dense (last) or conv2d (1) layer can cut along, if the mask varies on it alone. */
function featureAxis(n: Node): { axis: number; rank: number } | undefined {
  const mode = n.attrs.mode as DropoutMode;
  const p = n.attrs.p as number;
  const shape = n.type?.shape;
  if (!shape || shape.length < 2 || mode === 'elementwise' || !(p > 0 && p < 1)) return undefined;
  const varying = maskShape(shape, mode).flatMap((d, i) => (d > 1 ? [i] : []));
  if (varying.length !== 1 || varying[0] === 0) return undefined;
  return { axis: varying[0]!, rank: shape.length };
}

function cuttable(n: Node, axis: number, rank: number): boolean {
  // A delta layer's products already skip by their own encoder, which a cut would bypass.
  if (n.attrs.delta !== undefined) return false;
  if (n.op === 'dense') return axis === rank - 1;
  return n.op === 'conv2d' && rank === 4 && axis === 1 && (n.attrs.groups as number | undefined ?? 1) === 1;
}

function findSites(m: Module): Site[] {
  const readers = readersOf(m);
  const outputs = new Set(m.outputs);
  const private_ = (n: Node) => (readers.get(n.id)?.length ?? 0) === 1 && !outputs.has(n.id) && !quantizesActivations(n);
  const sites: Site[] = [];
  for (const d of Object.values(m.nodes)) {
    if (d.op !== 'dropout') continue;
    const f = featureAxis(d);
    if (!f) continue;
    const consumers = (readers.get(d.id) ?? []).filter((c) => c.inputs[0] === d.id && cuttable(c, f.axis, f.rank)).map((c) => c.id);
    let n = m.nodes[d.inputs[0]!];
    while (n && PASS_THROUGH.has(n.op) && private_(n)) n = m.nodes[n.inputs[0]!];
    const producer = n && cuttable(n, f.axis, f.rank) && private_(n) ? n.id : undefined;
    if (producer || consumers.length) sites.push({ dropout: d, producer, consumers });
  }
  return sites;
}

/** Modules are plain immutable data, so their sites are found once. */
const SITES = new WeakMap<Module, Site[]>();

/** The plan of a training run with this seed, or undefined when no layer can be cut. */
export function planDropout(m: Module, seed: number): DropoutPlan | undefined {
  let sites = SITES.get(m);
  if (!sites) SITES.set(m, (sites = findSites(m)));
  if (sites.length === 0) return undefined;
  const plan: DropoutPlan = { masks: new Map(), layers: new Map() };
  for (const s of sites) {
    const d = s.dropout;
    // Dropout draws its mask at its first evaluation, which is always at step 0.
    const mask = dropoutMask(d.type!.shape, d.attrs.mode as DropoutMode, d.attrs.p as number, mulberry32(nodeSeed(seed, 0, d.id)));
    plan.masks.set(d.id, mask);
    const keep = Int32Array.from(Array.from(mask.data).flatMap((v, i) => (v !== 0 ? [i] : [])));
    // Nothing dropped, or everything: the plain product is as cheap, or the output all zeros.
    if (keep.length === mask.data.length || keep.length === 0) continue;
    const at = (id: NodeId) => plan.layers.get(id) ?? plan.layers.set(id, {}).get(id)!;
    if (s.producer) at(s.producer).keepOut = keep;
    for (const c of s.consumers) at(c).keepIn = keep;
  }
  return plan;
}

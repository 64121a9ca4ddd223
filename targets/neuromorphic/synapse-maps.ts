/**
 * Which neurons a presynaptic neuron reaches: the index maps of the layers between two
 * populations (pooling windows, convolution windows, dense fan-out, nearest upsampling, the
 * offset of a concat input, and layers that keep every value in place), composed per projection,
 * and the key under which two presynaptic neurons are known to reach exactly the same neurons,
 * so the targets are computed once per key.
 *
 * Nearest upsampling copies a neuron to an s×s block; the convolution after it may read two of
 * those copies through different taps, which on a chip is one synapse whose weight is the sum of
 * the taps. Targets are deduplicated after every map, so a synapse is a distinct (pre, post) pair
 * and an upsampled convolution costs the synapses of the folded kernel, not of its taps.
 */
import type { Module, Node } from '../../compiler/ir/module.ts';
import { opSpec } from '../../compiler/ir/ops.ts';
import { SpikingGraphError, type PathStep, type Projection } from './populations.ts';

/** Flat-index targets of one flat input index through a node, appended to `out` (may repeat). */
export type IndexMap = (i: number, out: number[]) => void;

/** Ops that keep every value where it is (one input, no mixing across positions). */
function keepsIndices(n: Node): boolean {
  if (n.op === 'softmax' || n.op === 'log_softmax') return false;
  const g = opSpec(n.op)?.group;
  return g === 'activation' || g === 'normalization' || g === 'regularization' || n.op === 'flatten' || n.op === 'reshape';
}

const isPool = (n: Node) => n.op === 'maxpool2d' || n.op === 'avgpool2d';
const perSample = (n: Node) => n.type!.shape.slice(1);

function windowMap(inShape: number[], outShape: number[], a: Node['attrs'], coutOf: (c: number) => [number, number]): IndexMap {
  const [, H, W] = inShape as [number, number, number];
  const [, Ho, Wo] = outShape as [number, number, number];
  const [kh, kw] = a.kernel as [number, number];
  const [sh, sw] = a.stride as [number, number];
  const [dh, dw] = (a.dilation as [number, number] | undefined) ?? [1, 1];
  const [pt, pl] = (a.pad as number[] | undefined) ?? [0, 0];
  return (i, out) => {
    const c = Math.floor(i / (H * W));
    const y = Math.floor(i / W) % H;
    const x = i % W;
    const [c0, c1] = coutOf(c);
    for (let ky = 0; ky < kh; ky++) {
      const ty = y + pt! - ky * dh;
      if (ty < 0 || ty % sh !== 0 || ty / sh >= Ho) continue;
      for (let kx = 0; kx < kw; kx++) {
        const tx = x + pl! - kx * dw;
        if (tx < 0 || tx % sw !== 0 || tx / sw >= Wo) continue;
        for (let oc = c0; oc < c1; oc++) out.push((oc * Ho + ty / sh) * Wo + tx / sw);
      }
    }
  };
}

function convGroupOf(n: Node, cin: number): (c: number) => number {
  return (c) => Math.floor(c / (cin / (n.attrs.groups as number)));
}

function upsampleMap(inShape: number[], a: Node['attrs']): IndexMap {
  const [, H, W] = inShape as [number, number, number];
  const [sh, sw] = a.scale as [number, number];
  return (i, out) => {
    const c = Math.floor(i / (H * W));
    const y = Math.floor(i / W) % H;
    const x = i % W;
    for (let dy = 0; dy < sh; dy++) for (let dx = 0; dx < sw; dx++) out.push((c * H * sh + y * sh + dy) * W * sw + x * sw + dx);
  };
}

/** Input `port` of a concat lands at an offset along the axis: the inputs before it stack there. */
function concatMap(m: Module, n: Node, port: number): IndexMap {
  const outShape = perSample(n);
  const axis = ((n.attrs.axis as number) + outShape.length + 1) % (outShape.length + 1) - 1;
  const partShape = perSample(m.nodes[n.inputs[port]!]!);
  let offset = 0;
  for (let p = 0; p < port; p++) offset += perSample(m.nodes[n.inputs[p]!]!)[axis]!;
  const inner = partShape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const part = partShape[axis]!, total = outShape[axis]!;
  return (i, out) => {
    const o = Math.floor(i / (part * inner));
    out.push((o * total + offset + (Math.floor(i / inner) % part)) * inner + (i % inner));
  };
}

function nodeMap(m: Module, step: PathStep, proj: Projection): IndexMap {
  const n = step.node;
  if (keepsIndices(n)) return (i, out) => { out.push(i); };
  if (n.op === 'concat') return concatMap(m, n, step.port);
  if (n.op === 'add') {
    // A sum of currents keeps each input's positions, unless the input is broadcast over others.
    const from = perSample(m.nodes[n.inputs[step.port]!]!);
    if (from.join() === perSample(n).join()) return (i, out) => { out.push(i); };
    throw new SpikingGraphError(`\`${n.id}\` (add) broadcasts \`${n.inputs[step.port]}\` over a larger shape between \`${proj.from}\` and \`${proj.to}\`; the neuromorphic mapping takes a sum of currents of the same shape`);
  }
  const inShape = perSample(m.nodes[n.inputs[0]!]!);
  const outShape = perSample(n);
  if (isPool(n) && inShape.length === 3) return windowMap(inShape, outShape, n.attrs, (c) => [c, c + 1]);
  if (n.op === 'upsample2d' && inShape.length === 3) {
    if (n.attrs.mode !== 'nearest') throw new SpikingGraphError(`\`${n.id}\` upsamples with mode = ${String(n.attrs.mode)}; a spike cannot be interpolated, so the neuromorphic mapping takes upsample2d only with mode = nearest`);
    return upsampleMap(inShape, n.attrs);
  }
  if (n.op === 'conv2d' && inShape.length === 3) {
    const group = convGroupOf(n, inShape[0]!);
    const coutG = outShape[0]! / (n.attrs.groups as number);
    return windowMap(inShape, outShape, n.attrs, (c) => [group(c) * coutG, (group(c) + 1) * coutG]);
  }
  if (n.op === 'dense' && inShape.length === 1) {
    const units = outShape[0]!;
    return (_i, out) => { for (let u = 0; u < units; u++) out.push(u); };
  }
  throw new SpikingGraphError(`\`${n.id}\` (${n.op}) sits between \`${proj.from}\` and \`${proj.to}\`; the neuromorphic mapping follows synapses only through dense, conv2d, pooling, nearest upsample2d, concat, flatten, reshape and elementwise layers`);
}

export function projectionMaps(m: Module, proj: Projection): IndexMap[] {
  return proj.path.map((s) => nodeMap(m, s, proj));
}

/**
 * Neurons with equal keys reach the same targets. Through pooling (which keeps channels) into a
 * convolution, the targets depend only on the position and the convolution's channel group;
 * into a dense layer, on nothing but whether the neuron reaches the layer at all (a pool with
 * stride above its kernel skips some). Any other path keys each neuron by itself.
 */
export function twinKeyOf(m: Module, proj: Projection, preShape: number[]): (u: number) => number {
  const at = proj.path.findIndex((s) => s.node === proj.layer);
  const before = proj.path.slice(0, at);
  // Pooling, nearest upsampling and a concat along channels move a neuron's position alike for
  // every channel; the concat only shifts which channel of the layer's input it becomes.
  const channelConcat = (s: PathStep) => s.node.op === 'concat' && ((s.node.attrs.axis as number) + 4) % 4 === 1;
  const plain = before.every((s) => isPool(s.node) || s.node.op === 'upsample2d' || channelConcat(s) || (keepsIndices(s.node) && s.node.op !== 'flatten' && s.node.op !== 'reshape'));
  if (proj.layer.op === 'conv2d' && plain && preShape.length === 3) {
    const hw = preShape[1]! * preShape[2]!;
    let offset = 0;
    for (const s of before.filter(channelConcat)) for (let p = 0; p < s.port; p++) offset += m.nodes[s.node.inputs[p]!]!.type!.shape[1]!;
    const group = convGroupOf(proj.layer, m.nodes[proj.layer.inputs[0]!]!.type!.shape[1]!);
    return (u) => (u % hw) + hw * group(Math.floor(u / hw) + offset);
  }
  if (proj.layer.op === 'dense') {
    const maps = before.map((s) => nodeMap(m, s, proj));
    return (u) => {
      let cur = [u];
      for (const map of maps) { const next: number[] = []; for (const i of cur) map(i, next); cur = next; }
      return cur.length > 0 ? 0 : -(u + 1);
    };
  }
  return (u) => u;
}

/** A growable Int32 buffer: pin lists of large networks run to millions. */
export class IntBuffer {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): Int32Array { return this.data.slice(0, this.length); }
}

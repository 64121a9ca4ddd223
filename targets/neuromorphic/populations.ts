/**
 * A spiking network seen as a neuromorphic chip sees it: populations of neurons (one per `lif`
 * layer, plus the network input as a spike source) joined by projections, each projection being
 * the weighted layer (dense or conv2d) between two populations. Pooling, flattening, nearest
 * upsampling and concatenation between a population and the next weighted layer only rewire
 * synapses, so they fold into the projection: a layer reading `concat(a, b)` gets one projection
 * from `a` and one from `b`, and a population read by two layers (a skip connection) sources two
 * projections. No relay neurons are added, so a U-Net costs no more neurons on chip than it has
 * lif units.
 *
 * A weighted layer on spikes that drives no lif layer is a readout: its neurons integrate their
 * synaptic input on chip and never spike, and the host reads their potentials (a converted
 * network's output layer, whose logits may be negative, which a firing rate cannot say). Whatever
 * follows (a softmax) is computed by the host. A `lif(readout = membrane)` is one too.
 */
import { numElements } from '../../compiler/ir/dtype.ts';
import type { Module, Node } from '../../compiler/ir/module.ts';

export interface Population {
  name: string;
  /** Neurons per sample (batch 1: a neuromorphic chip runs one sample at a time). */
  neurons: number;
  /** True for the network input, whose spikes come from the host. */
  source: boolean;
  /** A readout layer: on chip, never spikes (its potentials are read by the host). */
  readout?: boolean;
  /** Output channels and spatial size for convolutional layouts (channel-innermost order). */
  channels: number;
}

/** One node a spike passes, and which of its inputs it enters by (a concat has several). */
export interface PathStep {
  node: Node;
  port: number;
}

export interface Projection {
  from: string;
  to: string;
  /** The weighted layer that carries the synapses. */
  layer: Node;
  /** The nodes from `from` to `to` (both excluded), in the order a spike passes them. */
  path: PathStep[];
  /** Synapses per postsynaptic neuron from this presynaptic population (an upper bound: padding and upsampling lower it). */
  fanIn: number;
  /** Pooling windows between the population and the layer multiply the presynaptic neurons per synapse by this. */
  poolArea: number;
  conv?: { kh: number; kw: number; sh: number; sw: number; cin: number; cout: number };
}

export interface SpikingGraph {
  populations: Population[];
  projections: Projection[];
}

const WEIGHTED = new Set(['dense', 'conv2d']);

export class SpikingGraphError extends Error {}

/**
 * Every population a value reaches `id` from, with the path (population excluded) each comes by:
 * up through the first input of each node, and through every input of a concat. A weighted layer
 * on the way means two weighted layers in a row, with no spikes between.
 */
function upstreamPaths(m: Module, id: string, below: PathStep[]): { from: string; path: PathStep[] }[] | undefined {
  const cur = m.nodes[id]!;
  if (cur.op === 'lif' || cur.op === 'input') return [{ from: cur.id, path: below }];
  if (WEIGHTED.has(cur.op)) return undefined;
  const out: { from: string; path: PathStep[] }[] = [];
  for (let port = 0; port < (cur.op === 'concat' ? cur.inputs.length : 1); port++) {
    const up = upstreamPaths(m, cur.inputs[port]!, [{ node: cur, port }, ...below]);
    if (!up) return undefined;
    out.push(...up);
  }
  return out;
}

/**
 * Walk up from a lif node to the weighted layers that drive it, and the nodes between: one, or
 * one per input of a concat or a sum of currents (each layer's synapses keep their own width).
 * An `add` of two layers' currents is both layers' synapses into one population; following only
 * its first input left the second layer's synapses unmapped and unpriced.
 */
function drivingLayers(m: Module, id: string, below: PathStep[] = []): { layer: Node; after: PathStep[] }[] {
  const cur = m.nodes[id];
  if (!cur || cur.op === 'lif' || cur.op === 'input') return [];
  if (WEIGHTED.has(cur.op)) return [{ layer: cur, after: below }];
  const ports = cur.op === 'concat' || cur.op === 'add' ? cur.inputs.length : 1;
  return Array.from({ length: ports }, (_, port) => drivingLayers(m, cur.inputs[port]!, [{ node: cur, port }, ...below])).flat();
}

/**
 * Channels a path brings into a convolution: those entering the first channel concat on the way
 * (pooling and upsampling keep channels), or all of the convolution's input channels.
 */
function channelsIn(m: Module, path: PathStep[], layer: Node): number {
  const at = path.findIndex((s) => s.node === layer);
  const channelConcat = path.slice(0, at).find((s) => s.node.op === 'concat' && ((s.node.attrs.axis as number) + 4) % 4 === 1);
  const entering = channelConcat ? m.nodes[channelConcat.node.inputs[channelConcat.port]!]! : m.nodes[layer.inputs[0]!]!;
  return entering.type!.shape[1]!;
}

export function spikingGraph(m: Module): SpikingGraph {
  const populations: Population[] = [];
  const projections: Projection[] = [];
  const perSample = (shape: number[]) => numElements(shape.slice(1));
  for (const id of m.inputs) {
    const t = m.nodes[id]!.type!;
    populations.push({ name: id, neurons: perSample(t.shape), source: true, channels: t.shape[1] ?? 1 });
  }
  const addProjections = (to: string, layer: Node, after: PathStep[]) => {
    const sources = upstreamPaths(m, layer.inputs[0]!, [{ node: layer, port: 0 }, ...after]);
    if (!sources) throw new SpikingGraphError(`\`${layer.id}\` takes a non-spiking input; put a lif layer before it (neuromorphic cores pass spikes, not values)`);
    const xin = m.nodes[layer.inputs[0]!]!.type!;
    const [kh, kw] = (layer.attrs.kernel as [number, number] | undefined) ?? [1, 1];
    const [sh, sw] = (layer.attrs.stride as [number, number] | undefined) ?? [1, 1];
    for (const { from, path } of sources) {
      const at = path.findIndex((s) => s.node === layer);
      const cin = layer.op === 'conv2d' ? channelsIn(m, path, layer) : xin.shape[1]!;
      const fanIn = layer.op === 'dense' ? xin.shape[xin.shape.length - 1]! : kh * kw * Math.max(1, cin / (layer.attrs.groups as number));
      let poolArea = 1;
      for (const s of path.slice(0, at)) {
        if (s.node.op === 'maxpool2d' || s.node.op === 'avgpool2d') poolArea *= (s.node.attrs.kernel as number[]).reduce((a, b) => a * b, 1);
      }
      projections.push({
        from, to, layer, path, fanIn, poolArea,
        conv: layer.op === 'conv2d' ? { kh, kw, sh, sw, cin, cout: layer.type!.shape[1]! } : undefined,
      });
    }
  };
  const driving = new Set<string>();
  for (const node of Object.values(m.nodes)) {
    if (node.op !== 'lif') continue;
    const t = node.type!;
    // `lif(readout = membrane)` never fires: the host reads its potentials, as it reads a readout layer's.
    populations.push({ name: node.id, neurons: perSample(t.shape), source: false, ...(node.attrs.readout === 'membrane' ? { readout: true } : {}), channels: t.shape[1] ?? 1 });
    const ds = drivingLayers(m, node.inputs[0]!);
    if (ds.length === 0) throw new SpikingGraphError(`\`${node.id}\` has no dense or conv2d layer driving it; a neuromorphic core needs synapses into every population`);
    for (const d of ds) {
      driving.add(d.layer.id);
      addProjections(node.id, d.layer, d.after);
    }
  }
  if (projections.length > 0) {
    for (const node of Object.values(m.nodes)) {
      if (!WEIGHTED.has(node.op) || driving.has(node.id)) continue;
      const t = node.type!;
      populations.push({ name: node.id, neurons: perSample(t.shape), source: false, readout: true, channels: t.shape[1] ?? 1 });
      addProjections(node.id, node, []);
    }
  }
  if (projections.length === 0) throw new SpikingGraphError('the network has no lif layers: neuromorphic targets run spiking networks (add lif layers and `timesteps`)');
  return { populations, projections };
}

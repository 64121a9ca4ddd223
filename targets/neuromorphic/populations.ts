/**
 * A spiking network seen as a neuromorphic chip sees it: populations of neurons (one per `lif`
 * layer, plus the network input as a spike source) joined by projections, each projection being
 * the weighted layer (dense or conv2d) between two populations. Pooling and flattening between a
 * population and the next weighted layer only rewire synapses, so they fold into the projection.
 */
import { numElements } from '../../compiler/ir/dtype.ts';
import type { Module, Node } from '../../compiler/ir/module.ts';

export interface Population {
  name: string;
  /** Neurons per sample (batch 1: a neuromorphic chip runs one sample at a time). */
  neurons: number;
  /** True for the network input, whose spikes come from the host. */
  source: boolean;
  /** Output channels and spatial size for convolutional layouts (channel-innermost order). */
  channels: number;
}

export interface Projection {
  from: string;
  to: string;
  /** The weighted layer that carries the synapses. */
  layer: Node;
  synapses: number;
  /** Synapses per postsynaptic neuron (of the weighted layer's input). */
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

/** Walk up from a node to the nearest population (a lif node or a network input). */
function upstreamPopulation(m: Module, id: string): string | undefined {
  let cur = m.nodes[id];
  while (cur && cur.op !== 'lif' && cur.op !== 'input') {
    if (WEIGHTED.has(cur.op)) return undefined; // two weighted layers in a row: no spikes between
    cur = m.nodes[cur.inputs[0]!];
  }
  return cur?.id;
}

/** Walk up from a lif node to the weighted layer that drives it. */
function drivingLayer(m: Module, lif: Node): Node | undefined {
  let cur = m.nodes[lif.inputs[0]!];
  while (cur && !WEIGHTED.has(cur.op) && cur.op !== 'lif' && cur.op !== 'input') cur = m.nodes[cur.inputs[0]!];
  return cur && WEIGHTED.has(cur.op) ? cur : undefined;
}

export class SpikingGraphError extends Error {}

export function spikingGraph(m: Module): SpikingGraph {
  const populations: Population[] = [];
  const projections: Projection[] = [];
  const perSample = (shape: number[]) => numElements(shape.slice(1));
  for (const id of m.inputs) {
    const t = m.nodes[id]!.type!;
    populations.push({ name: id, neurons: perSample(t.shape), source: true, channels: t.shape[1] ?? 1 });
  }
  for (const node of Object.values(m.nodes)) {
    if (node.op !== 'lif') continue;
    const t = node.type!;
    populations.push({ name: node.id, neurons: perSample(t.shape), source: false, channels: t.shape[1] ?? 1 });
    const layer = drivingLayer(m, node);
    if (!layer) throw new SpikingGraphError(`\`${node.id}\` has no dense or conv2d layer driving it; a neuromorphic core needs synapses into every population`);
    const from = upstreamPopulation(m, layer.inputs[0]!);
    if (!from) throw new SpikingGraphError(`\`${layer.id}\` takes a non-spiking input; put a lif layer before it (neuromorphic cores pass spikes, not values)`);
    const xin = m.nodes[layer.inputs[0]!]!.type!;
    const fanIn = layer.op === 'dense' ? xin.shape[xin.shape.length - 1]! : (layer.attrs.kernel as number[]).reduce((a, b) => a * b, 1) * (xin.shape[1]! / (layer.attrs.groups as number));
    const neurons = perSample(layer.type!.shape);
    const [kh, kw] = (layer.attrs.kernel as [number, number] | undefined) ?? [1, 1];
    const [sh, sw] = (layer.attrs.stride as [number, number] | undefined) ?? [1, 1];
    let poolArea = 1;
    for (let cur = m.nodes[layer.inputs[0]!]!; cur.id !== from; cur = m.nodes[cur.inputs[0]!]!) {
      if (cur.op === 'maxpool2d' || cur.op === 'avgpool2d') poolArea *= (cur.attrs.kernel as number[]).reduce((a, b) => a * b, 1);
    }
    projections.push({
      from, to: node.id, layer, synapses: neurons * fanIn, fanIn, poolArea,
      conv: layer.op === 'conv2d' ? { kh, kw, sh, sw, cin: xin.shape[1]!, cout: layer.type!.shape[1]! } : undefined,
    });
  }
  if (projections.length === 0) throw new SpikingGraphError('the network has no lif layers: neuromorphic targets run spiking networks (add lif layers and `timesteps`)');
  return { populations, projections };
}

/**
 * A spiking network unrolled for a partitioner, as a chip sees it. Every `lif` population is cut
 * into blocks of neurons that listen to the same presynaptic neurons — the channels at one
 * position of a convolution (a "column", in groups of at most `group` channels), or chunks of a
 * dense layer — and each block is a vertex weighing its neurons. Every presynaptic neuron (a lif
 * neuron, or an input pixel whose spikes come from the host) sends to a set of blocks; neurons
 * of one block with the same target blocks and synapse counts share one net that records how
 * many neurons it stands for (`mult`) and how many synapses each of them makes into each target
 * block (`pinSynapses`), so spike messages, axons and synapse memory stay exact while a layer of
 * 262 k neurons and 151 M synapses becomes a few thousand vertices and nets.
 *
 * Pooling and flattening between a population and the next weighted layer only rewire synapses
 * and are folded in. Neurons are numbered in NCHW order within a population (batch 1), the
 * interpreter's layout, so measured per-neuron rates line up.
 */
import type { Module, Node } from '../../compiler/ir/module.ts';
import type { Loc } from '../../compiler/lang/ast.ts';
import { spikingGraph, type Projection } from './populations.ts';
import { IntBuffer, projectionMaps, twinKeyOf } from './synapse-maps.ts';
import { layerWeightBits } from './weight-bits.ts';
import type { Hypergraph } from './partition/types.ts';

export interface NeuronPopulation {
  name: string;
  neurons: number;
  /** The network input: its spikes come from the host, it takes no core. */
  source: boolean;
  /** A readout layer: its neurons take cores but never spike (populations.ts). */
  readout?: boolean;
  /** Per-sample shape, e.g. [C, H, W] or [F]. */
  shape: number[];
  /** First vertex (block) of this population; -1 for sources. */
  offset: number;
  blocks: number;
  /** Neurons per block (the last block of a column or chunk may hold fewer). */
  group: number;
  /** Blocks are channel groups of a column ([C, H, W] populations); otherwise contiguous chunks. */
  columns: boolean;
  /** The weighted layer driving it (for errors); absent for sources. */
  layer?: string;
  loc?: Loc;
}

export interface NeuronNets {
  /** Presynaptic population of each net. */
  population: Int32Array;
  eptr: Int32Array;
  /** The source block first (absent for host-sourced nets), then the target blocks. */
  pins: Int32Array;
  /** Per pin: synapses each presynaptic neuron of the net makes into that block (0 for the source pin). */
  pinSynapses: Float64Array;
  /** Per pin: weight bits of the layer whose synapses it holds, at the layer's own width (0 for the source pin). */
  pinBits: Float64Array;
  sourceless: Uint8Array;
  /** Presynaptic neurons the net stands for. */
  mult: Float64Array;
  /** Those neurons (indices within `population`), net by net. */
  memberPtr: Int32Array;
  members: Int32Array;
}

export interface NeuronGraph {
  populations: NeuronPopulation[];
  /** Vertices: the blocks of every non-source population, population after population. */
  nv: number;
  /** Neurons per vertex. */
  vwgt: Float64Array;
  nets: NeuronNets;
  synapses: number;
  projections: Projection[];
}

export interface BlockLimits {
  /** Most neurons in one block. */
  maxNeurons?: number;
  /** Most synapses into one block (fan-in × neurons). */
  maxSynapses?: number;
}

/** Local block of neuron i of a population. */
export function blockOf(p: NeuronPopulation, i: number): number {
  if (!p.columns) return Math.floor(i / p.group);
  const hw = p.shape[1]! * p.shape[2]!;
  const groups = Math.ceil(p.shape[0]! / p.group);
  return (i % hw) * groups + Math.floor(Math.floor(i / hw) / p.group);
}

/** Flat neuron indices of local block b, ascending. */
export function blockNeurons(p: NeuronPopulation, b: number): number[] {
  const out: number[] = [];
  if (!p.columns) {
    for (let i = b * p.group; i < Math.min(p.neurons, (b + 1) * p.group); i++) out.push(i);
    return out;
  }
  const hw = p.shape[1]! * p.shape[2]!;
  const groups = Math.ceil(p.shape[0]! / p.group);
  const pos = Math.floor(b / groups), cg = b % groups;
  for (let c = cg * p.group; c < Math.min(p.shape[0]!, (cg + 1) * p.group); c++) out.push(c * hw + pos);
  return out;
}

function layoutOf(shape: number[], neurons: number, fanIn: number, limits: BlockLimits): { columns: boolean; group: number; blocks: number } {
  const cap = Math.max(1, Math.min(limits.maxNeurons ?? Infinity, Math.floor((limits.maxSynapses ?? Infinity) / Math.max(1, fanIn))));
  if (shape.length === 3) {
    const c = shape[0]!;
    const group = Math.ceil(c / Math.ceil(c / Math.min(c, cap)));
    return { columns: true, group, blocks: shape[1]! * shape[2]! * Math.ceil(c / group) };
  }
  const group = Math.min(neurons, cap);
  return { columns: false, group, blocks: Math.ceil(neurons / group) };
}

export function neuronGraph(m: Module, limits: BlockLimits = {}): NeuronGraph {
  const sg = spikingGraph(m);
  const populations: NeuronPopulation[] = [];
  const index = new Map<string, number>();
  let nv = 0;
  for (const p of sg.populations) {
    const node: Node = m.nodes[p.name]!;
    const shape = node.type!.shape.slice(1);
    const inbound = sg.projections.filter((q) => q.to === p.name);
    const fanIn = inbound.reduce((a, q) => a + q.fanIn * q.poolArea, 0);
    const layout = p.source ? { columns: false, group: 1, blocks: 0 } : layoutOf(shape, p.neurons, fanIn, limits);
    index.set(p.name, populations.length);
    populations.push({ name: p.name, neurons: p.neurons, source: p.source, ...(p.readout ? { readout: true } : {}), shape, offset: p.source ? -1 : nv, ...layout, layer: inbound[0]?.layer.id, loc: inbound[0]?.layer.loc ?? node.loc });
    nv += layout.blocks;
  }
  const vwgt = new Float64Array(nv);
  for (const p of populations) for (let i = 0; i < p.neurons && !p.source; i++) vwgt[p.offset + blockOf(p, i)]!++;

  // Target blocks (with synapse counts) of one presynaptic neuron per projection, computed once
  // per twin key: neurons that differ only in channel reach the same blocks through a convolution.
  const outgoing = populations.map(() => [] as { proj: number; bits: number; post: NeuronPopulation; maps: ReturnType<typeof projectionMaps>; key: (u: number) => number; cache: Map<number, { blocks: Int32Array; counts: Float64Array }> }[]);
  sg.projections.forEach((proj, pi) => {
    const from = populations[index.get(proj.from)!]!;
    outgoing[index.get(proj.from)!]!.push({ proj: pi, bits: layerWeightBits(proj.layer), post: populations[index.get(proj.to)!]!, maps: projectionMaps(m, proj), key: twinKeyOf(m, proj, from.shape), cache: new Map() });
  });
  const stamp = new Int32Array(nv).fill(-1);
  const count = new Float64Array(nv);
  const targetsOf = (o: (typeof outgoing)[number][number], u: number, tick: number) => {
    const k = o.key(u);
    const hit = o.cache.get(k);
    if (hit) return { key: k, entry: hit };
    let cur = [u];
    for (const map of o.maps) {
      const next: number[] = [];
      for (const i of cur) map(i, next);
      cur = next.length > 1 ? [...new Set(next)] : next;
    }
    const blocks: number[] = [];
    for (const t of cur) {
      const b = o.post.offset + blockOf(o.post, t);
      if (stamp[b] !== tick) { stamp[b] = tick; count[b] = 0; blocks.push(b); }
      count[b]!++;
    }
    blocks.sort((a, b) => a - b);
    const entry = { blocks: Int32Array.from(blocks), counts: Float64Array.from(blocks, (b) => count[b]!) };
    o.cache.set(k, entry);
    return { key: k, entry };
  };

  const netOf = new Map<string, number>();
  const netPop = new IntBuffer(), eptr = new IntBuffer(), pins = new IntBuffer();
  const pinSyn: number[] = [], pinBits: number[] = [], sourceless: number[] = [], mult: number[] = [];
  const membersOf: number[][] = [];
  let synapses = 0, tick = 0;
  eptr.push(0);
  populations.forEach((pop, pi) => {
    if (outgoing[pi]!.length === 0) return;
    for (let u = 0; u < pop.neurons; u++) {
      const src = pop.source ? -1 : pop.offset + blockOf(pop, u);
      const parts = outgoing[pi]!.map((o) => targetsOf(o, u, tick++));
      let fan = 0;
      for (const p of parts) for (const c of p.entry.counts) fan += c;
      if (fan === 0) continue;
      synapses += fan;
      const key = `${pi}|${src}|${parts.map((p) => p.key).join(',')}`;
      const existing = netOf.get(key);
      if (existing !== undefined) {
        mult[existing]!++;
        membersOf[existing]!.push(u);
        continue;
      }
      netOf.set(key, mult.length);
      if (src >= 0) { pins.push(src); pinSyn.push(0); pinBits.push(0); }
      parts.forEach((p, j) => p.entry.blocks.forEach((b, i) => { pins.push(b); pinSyn.push(p.entry.counts[i]!); pinBits.push(outgoing[pi]![j]!.bits); }));
      eptr.push(pins.length);
      netPop.push(pi);
      sourceless.push(src < 0 ? 1 : 0);
      mult.push(1);
      membersOf.push([u]);
    }
  });
  const memberPtr = new Int32Array(membersOf.length + 1);
  membersOf.forEach((l, e) => { memberPtr[e + 1] = memberPtr[e]! + l.length; });
  const members = new Int32Array(memberPtr[membersOf.length]!);
  membersOf.forEach((l, e) => members.set(l, memberPtr[e]!));
  return {
    populations, nv, vwgt,
    nets: { population: netPop.done(), eptr: eptr.done(), pins: pins.done(), pinSynapses: Float64Array.from(pinSyn), pinBits: Float64Array.from(pinBits), sourceless: Uint8Array.from(sourceless), mult: Float64Array.from(mult), memberPtr, members },
    synapses, projections: sg.projections,
  };
}

/** Population index of every vertex. */
function vertexPopulations(g: NeuronGraph): Int32Array {
  const out = new Int32Array(g.nv);
  g.populations.forEach((p, i) => { if (!p.source) out.fill(i, p.offset, p.offset + p.blocks); });
  return out;
}

/**
 * The graph as the partitioner takes it: its nets weighted by `ewgt`, and every population a layer
 * (Hypergraph.layer's hint), so a level clustered without communities keeps each cluster inside
 * one population (partition/coarsen.ts says where that helps; network-mapping.ts, where the mapper uses it).
 */
export function layeredHypergraph(g: NeuronGraph, ewgt: Float64Array): Hypergraph & { ewgt: Float64Array; sourceless: Uint8Array; layer: Int32Array } {
  const { eptr, pins, sourceless } = g.nets;
  return { nv: g.nv, ne: eptr.length - 1, eptr, pins, ewgt, sourceless, layer: vertexPopulations(g) };
}

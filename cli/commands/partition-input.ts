/**
 * The inputs `kiln partition` reads — a .kiln network (or module JSON), a METIS graph (.graph,
 * .metis) or an hMETIS hypergraph (.hgr, .hmetis) — and the plain K-way partition of the last
 * two, written as gpmetis writes it (one 0-based part id per line, `INPUT.part.K` by default)
 * and scored with the one scorer the benchmark uses.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { error, KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import type { NeuromorphicConfig } from '../../targets/neuromorphic/config.ts';
import { placeCores } from '../../targets/neuromorphic/place-cores.ts';
import { compile } from '../../compiler/driver.ts';
import { PRESET_LIBRARY } from '../../targets/resolve.ts';
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import {
  formatPartition, graphEdgeCut, isInfeasible, partitionGraph, partitionHypergraph, readHmetisFile, readMetisGraphFile, scorePartition, type Graph, type Hypergraph, type PartitionScore,
} from '../../targets/neuromorphic/partition/index.ts';

export type PartitionInput =
  | { kind: 'network'; module: Module; warnings: Diagnostic[] }
  | { kind: 'graph'; graph: Graph; file: string; warnings: Diagnostic[] }
  | { kind: 'hypergraph'; hypergraph: Hypergraph; file: string; warnings: Diagnostic[] };

export function readPartitionInput(source: string, overrides: Map<string, number>): PartitionInput {
  if (/\.(graph|metis)$/i.test(source)) return { kind: 'graph', graph: readMetisGraphFile(source), file: source, warnings: [] };
  if (/\.(hgr|hmetis)$/i.test(source)) return { kind: 'hypergraph', hypergraph: readHmetisFile(source), file: source, warnings: [] };
  const r = compile(source, { overrides, libraries: PRESET_LIBRARY });
  return { kind: 'network', module: r.module, warnings: r.diagnostics };
}

export interface PlainOptions {
  k: number;
  epsilon: number;
  seed: number;
  effort?: 'fast' | 'default' | 'strong';
  out?: string;
}

export function partitionPlainInput(input: Extract<PartitionInput, { kind: 'graph' | 'hypergraph' }>, o: PlainOptions, progress?: (m: string) => void): { text: string; json: object } {
  const what = input.kind === 'graph' ? `${input.graph.nv.toLocaleString('en-US')}-vertex graph` : `${input.hypergraph.nv.toLocaleString('en-US')}-vertex hypergraph`;
  progress?.(`partitioning the ${what} into ${o.k} parts`);
  const opts = { k: o.k, epsilon: o.epsilon, seed: o.seed, effort: o.effort };
  const r = input.kind === 'graph' ? partitionGraph(input.graph, opts) : partitionHypergraph(input.hypergraph, opts);
  const score: PartitionScore = scorePartition(input.kind === 'graph' ? { graph: input.graph } : { hypergraph: input.hypergraph }, r.parts, { k: o.k });
  const file = o.out ?? `${input.file}.part.${o.k}`;
  writeFileAtomic(file, formatPartition(r.parts), 'partition file');
  const objective = input.kind === 'graph' ? 'edge cut' : 'spike messages (λ−1)';
  const lines = [
    `${input.file}: ${o.k}-way partition of the ${what} (imbalance ≤ ${o.epsilon}, seed ${o.seed}) in ${(r.timeMs.total / 1e3).toFixed(2)} s`,
    ...(score.edgeCut !== undefined ? [`  edge cut         ${score.edgeCut.toLocaleString('en-US')}`] : []),
    ...(score.spikeMessages !== undefined ? [`  spike messages   ${score.spikeMessages.toLocaleString('en-US')}   (λ−1 over nets; sourceless nets count λ)`] : []),
    ...(score.synapseCut !== undefined ? [`  synapse cut      ${score.synapseCut.toLocaleString('en-US')}`] : []),
    `  imbalance        ${score.imbalance.toFixed(3)}   (heaviest part ${score.maxPartWeight.toLocaleString('en-US')}; ${score.emptyParts} empty)`,
    `  objective        ${objective}`,
    `  wrote ${file}`,
  ];
  return {
    text: lines.join('\n') + '\n',
    json: { source: input.file, k: o.k, epsilon: o.epsilon, seed: o.seed, objective, edge_cut: score.edgeCut ?? null, spike_messages: score.spikeMessages ?? null, synapse_cut: score.synapseCut ?? null, imbalance: score.imbalance, seconds: r.timeMs.total / 1e3, partition_file: file },
  };
}

/**
 * A METIS graph onto a target's cores: vertex weights are neurons, so only the neuron limit can
 * be checked (a graph does not say which neuron sends to which, so axons and synapse memory are
 * unknown) and the objective is the edge cut, as gpmetis's. Cores are then placed on chips and
 * tiles like a network's.
 */
export function mapGraphInput(input: Extract<PartitionInput, { kind: 'graph' }>, cfg: NeuromorphicConfig, o: { seed: number; effort?: 'fast' | 'default' | 'strong'; out?: string }, progress?: (m: string) => void): { text: string; json: object } {
  const g = input.graph;
  const vw = new Float64Array(g.nv);
  for (let v = 0; v < g.nv; v++) vw[v] = g.vwgt ? g.vwgt[v * g.ncon]! : 1;
  const total = vw.reduce((a, b) => a + b, 0);
  const heaviest = vw.reduce((a, b) => Math.max(a, b), 0);
  const limit = cfg.limits.neurons;
  if (heaviest > limit) throw new KilnError(error('capacity', `a vertex of ${input.file} weighs ${heaviest.toLocaleString('en-US')} neurons; a core of \`${cfg.name}\` holds ${limit.toLocaleString('en-US')}`, undefined, 'split that vertex into core-sized groups'));
  const available = cfg.chips * cfg.coresPerChip;
  let k = Math.max(1, Math.ceil(total / (limit * 0.97)));
  let parts: Int32Array | undefined;
  let seconds = 0;
  while (!parts) {
    if (k > available) throw new KilnError(error('capacity', `${input.file} needs at least ${k.toLocaleString('en-US')} cores of ${limit.toLocaleString('en-US')} neurons, more than the ${available.toLocaleString('en-US')} cores of \`${cfg.name}\``, undefined, 'use a target with more chips (--chips N)'));
    progress?.(`partitioning the ${g.nv.toLocaleString('en-US')}-vertex graph into ${k} cores`);
    try {
      const r = partitionGraph(g, { k, seed: o.seed, effort: o.effort, capacity: { names: ['neurons'], perVertex: vw, limits: [limit] } });
      parts = r.parts;
      seconds = r.timeMs.total / 1e3;
    } catch (e) {
      if (!isInfeasible(e)) throw e;
      k = Math.ceil(k * 1.1) + 1;
    }
  }
  const used = new Set(parts).size;
  progress?.(`placing ${k} cores on chips and tiles`);
  // Each undirected edge once, as a two-pin net, for the placement of cores on the meshes.
  const eptr: number[] = [0], pins: number[] = [], ewgt: number[] = [];
  for (let u = 0; u < g.nv; u++) {
    for (let j = g.xadj[u]!; j < g.xadj[u + 1]!; j++) {
      const v = g.adjncy[j]!;
      if (v <= u) continue;
      pins.push(u, v);
      eptr.push(pins.length);
      ewgt.push(g.adjwgt ? g.adjwgt[j]! : 1);
    }
  }
  const h: Hypergraph = { nv: g.nv, ne: ewgt.length, eptr: Int32Array.from(eptr), pins: Int32Array.from(pins), ewgt: Float64Array.from(ewgt) };
  const place = placeCores(h, parts, k, cfg, o.seed);
  let acrossChips = 0;
  for (let e = 0; e < h.ne; e++) if (place.chip[parts[pins[2 * e]!]!] !== place.chip[parts[pins[2 * e + 1]!]!]) acrossChips += ewgt[e]!;
  const cut = graphEdgeCut(g, parts);
  const load = new Float64Array(k);
  for (let v = 0; v < g.nv; v++) load[parts[v]!]! += vw[v]!;
  const chipsUsed = new Set(Array.from(parts, (p) => place.chip[p]!)).size;
  const file = o.out ?? `${input.file}.part.${k}`;
  writeFileAtomic(file, formatPartition(parts), 'partition file');
  const text = [
    `${input.file} on ${cfg.name}: ${used} cores on ${chipsUsed} chip${chipsUsed === 1 ? '' : 's'} (neuron limit only: a METIS graph has no synapse directions, so axons and synapse memory are not checked)`,
    `  edge cut               ${cut.toLocaleString('en-US')}`,
    `  edge cut across chips  ${acrossChips.toLocaleString('en-US')}`,
    `  neurons per core       fullest ${(100 * Math.max(...load) / limit).toFixed(1)}%, mean ${(100 * total / used / limit).toFixed(1)}% of ${limit.toLocaleString('en-US')}`,
  ];
  return {
    text: [...text, `  wrote ${file} (the core of every vertex; --json gives each core's chip and tile)`].join('\n') + '\n',
    json: { source: input.file, target: cfg.name, cores_used: used, chips_used: chipsUsed, edge_cut: cut, edge_cut_across_chips: acrossChips, seconds, partition_file: file, core_chip: Array.from(place.chip), core_tile: Array.from(place.tile) },
  };
}

/**
 * The inputs `kiln partition` reads — a .kiln network (or module JSON), a METIS graph (.graph,
 * .metis) or an hMETIS hypergraph (.hgr, .hmetis) — and the plain K-way partition of the last
 * two, written as gpmetis writes it (one 0-based part id per line, `INPUT.part.K` by default)
 * and scored with the one scorer the benchmark uses.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { Diagnostic } from '../lang/diagnostics.ts';
import { compile } from '../driver.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import {
  formatPartition, partitionGraph, partitionHypergraph, readHmetisFile, readMetisGraphFile, scorePartition, type Graph, type Hypergraph, type PartitionScore,
} from '../../targets/neuromorphic/partition/index.ts';

export type PartitionInput =
  | { kind: 'network'; module: Module; warnings: Diagnostic[] }
  | { kind: 'graph'; graph: Graph; file: string; warnings: Diagnostic[] }
  | { kind: 'hypergraph'; hypergraph: Hypergraph; file: string; warnings: Diagnostic[] };

export function readPartitionInput(source: string, overrides: Map<string, number>): PartitionInput {
  if (/\.(graph|metis)$/i.test(source)) return { kind: 'graph', graph: readMetisGraphFile(source), file: source, warnings: [] };
  if (/\.(hgr|hmetis)$/i.test(source)) return { kind: 'hypergraph', hypergraph: readHmetisFile(source), file: source, warnings: [] };
  const r = compile(source, { overrides });
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

/**
 * Kiln's neuromorphic partitioner: formats (METIS, hMETIS, partition files), the scorer, the
 * multilevel partitioner, the spiking-network generator and the gpmetis wrapper. The public
 * surface; everything else in this folder is the engine behind it.
 */
export type { Graph, Hypergraph, CapacitySpec, PartitionOptions, PartitionResult } from './types.ts';
export { parseMetisGraph, readMetisGraphFile, formatMetisGraph, writeMetisGraphFile, findAsymmetry, type ReadGraphOptions } from './metis-format.ts';
export { parseHmetis, readHmetisFile, formatHmetis, writeHmetisFile } from './hmetis-format.ts';
export { parsePartition, readPartitionFile, formatPartition, writePartitionFile, type ReadPartitionOptions } from './partition-file.ts';
export { scorePartition, graphEdgeCut, type PartitionScore, type ScoreOptions } from './score.ts';
export { partitionHypergraph, partitionGraph, engineConfig, type EngineTuning } from './partitioner.ts';
export { isInfeasible } from './constraints.ts';
export { synapseGraphOf } from './synapse-graph.ts';
export { generateSnn, BENCH_SNNS, type LayerSpec, type SnnSpec, type SnnNetwork, type LayerInfo } from './snn-generator.ts';
export { runGpmetis, gpmetisMissing, type GpmetisRun, type GpmetisOptions } from './gpmetis.ts';
export { quotientHypergraph } from './quotient.ts';
export { placeOnMesh, placementHops } from './place-mesh.ts';

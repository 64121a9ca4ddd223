/**
 * The data the partitioner exchanges with the rest of Kiln: graphs (METIS) and hypergraphs (hMETIS)
 * in compressed sparse row form. Typed arrays throughout, because the inputs reach millions of
 * neurons and tens of millions of synapses and per-vertex objects would not fit in time or memory.
 */

/**
 * An undirected graph as METIS stores it: every edge appears in the adjacency of both endpoints,
 * vertex ids are 0-based here (the file format is 1-based).
 */
export interface Graph {
  readonly nv: number;
  /** nv + 1 offsets into `adjncy`. */
  readonly xadj: Int32Array;
  readonly adjncy: Int32Array;
  /** One weight per adjacency entry (same length as `adjncy`); absent means every edge weighs 1. */
  readonly adjwgt?: Float64Array;
  /** Number of balance constraints (METIS `ncon`); vertex weights are `nv × ncon`, row-major. */
  readonly ncon: number;
  /** Absent means every vertex weighs 1 in its single constraint. */
  readonly vwgt?: Float64Array;
  /** METIS vertex sizes (communication volume); carried through the formats, unused by Kiln's partitioner. */
  readonly vsize?: Float64Array;
}

/**
 * A hypergraph as hMETIS stores it: net `e` holds pins `pins[eptr[e] .. eptr[e+1])`. For spiking
 * networks Kiln builds one net per presynaptic neuron u, {u} ∪ targets(u), with u as the first pin
 * (so a scorer can recover the synapse edge cut) and the firing rate as the net weight.
 */
export interface Hypergraph {
  readonly nv: number;
  readonly ne: number;
  /** ne + 1 offsets into `pins`. */
  readonly eptr: Int32Array;
  readonly pins: Int32Array;
  /** One weight per net; absent means 1. */
  readonly ewgt?: Float64Array;
  /** One weight per vertex; absent means 1. */
  readonly vwgt?: Float64Array;
  /**
   * One flag per net; 1 marks a net without an on-chip source, whose every pin is a target (spikes
   * from the host, the network's input): it costs λ messages, one per core it reaches, not λ−1.
   * Minimising (λ−1) still minimises them (the difference is the constant w(e) per net); coarsening
   * rates such nets on sampled pins instead of as a star around the first pin. Absent means 0.
   */
  readonly sourceless?: Uint8Array;
  /**
   * Optional hint for layered networks: the layer (population) of every vertex, ids in [0, 2^30) (clusters
   * spanning layers get fresh ids above them).
   * Where the partitioner clusters vertices by their nets alone, clusters stay inside one layer
   * (coarsen.ts says why). The files (hMETIS) do not carry it; the scorer ignores it.
   */
  readonly layer?: Int32Array;
}

/**
 * Resource limits per part for the capacity-constrained mode (a neuromorphic core: neurons, input
 * axons, output axons, synapse words). Resources are additive: a part's use in dimension j is the
 * sum of `perVertex[v * dims + j]` over its vertices, and it must never exceed the limit.
 */
export interface CapacitySpec {
  /** Names of the dimensions, used in error messages (e.g. `synapse words`). */
  readonly names: readonly string[];
  /** nv × names.length, row-major. */
  readonly perVertex: Float64Array;
  /** names.length values (every part alike) or k × names.length (part-specific, row-major). */
  readonly limits: Float64Array | readonly number[];
}

export interface PartitionOptions {
  /** Number of parts (cores), at least 1. */
  readonly k: number;
  /** Allowed imbalance ε: every part weighs at most (1+ε)·ceil(total/k). Default 0.03 (gpmetis -ufactor=30). */
  readonly epsilon?: number;
  /** Seed of the pseudo-random choices; equal seeds give equal partitions. Default 1. */
  readonly seed?: number;
  /** Hard per-part resource limits; when given, the vertex-weight balance applies only if `balance` is true. */
  readonly capacity?: CapacitySpec;
  /** Enforce the (1+ε) weight balance; default true without `capacity`, false with it. */
  readonly balance?: boolean;
  /**
   * Hypergraphs only: the first pin of every net is its source (Kiln's spiking nets are built
   * so). Coarsening then rates large nets as stars around the source, which follows the synapses;
   * set false for hypergraphs without sources (large nets are then rated on sampled pins). Default true.
   */
  readonly firstPinIsSource?: boolean;
  /** Trade time for quality: `fast` skips the k-way FM searches, `strong` runs them on every level. */
  readonly effort?: 'fast' | 'default' | 'strong';
}

export interface PartitionResult {
  /** Part id of every vertex, 0-based. */
  readonly parts: Int32Array;
  readonly k: number;
  /**
   * The optimised objective of the final partition: for hypergraphs the spike messages, Σ w(e)·(λ(e)−1)
   * plus w(e) per sourceless net (scorePartition's spikeMessages); for graphs the edge cut.
   */
  readonly objective: number;
  /** Names of the constrained dimensions, in the order of `partLoads` columns. */
  readonly dims: readonly string[];
  /** k × dims.length loads of the final partition. */
  readonly partLoads: Float64Array;
  /** k × dims.length limits that were enforced. */
  readonly limits: Float64Array;
  /** Number of levels in the multilevel hierarchy, the input included. */
  readonly levels: number;
  readonly timeMs: { readonly coarsen: number; readonly initial: number; readonly refine: number; readonly total: number };
}

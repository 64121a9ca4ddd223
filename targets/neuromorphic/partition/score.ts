/**
 * One scorer for every partition, whoever computed it (Kiln, gpmetis): edge cut as gpmetis
 * reports it, spike messages as a Loihi-class mesh sends them (one per spike per destination
 * core other than the source's), inter-chip messages, and the balance.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import type { Graph, Hypergraph } from './types.ts';

export interface ScoreOptions {
  /** Number of parts; default max(part id) + 1. */
  readonly k?: number;
  /** Parts p are grouped into chips floor(p / coresPerChip); default 128 (Loihi). */
  readonly coresPerChip?: number;
  /** Explicit chip of every part (overrides coresPerChip). */
  readonly chipOf?: Int32Array;
}

export interface PartitionScore {
  readonly k: number;
  readonly chips: number;
  /** Sum of the weights of edges whose endpoints lie in different parts, each undirected edge once (gpmetis "Edgecut"). */
  readonly edgeCut?: number;
  /**
   * Weighted spike messages between cores: Σ over nets with a source of w(e)·(λ(e) − 1) (one per
   * destination core other than the source's), plus Σ over sourceless nets of w(e)·λ(e) (the host
   * sends one per core reached; also reported alone as hostMessages).
   */
  readonly spikeMessages?: number;
  /** The sourceless nets' part of spikeMessages: Σ w(e)·λ(e); 0 when no net is flagged. */
  readonly hostMessages?: number;
  /**
   * Σ over nets with a source of w(e)·|{destination cores on another chip than the source's}|; the
   * source is a net's first pin. Sourceless nets count nothing here: their messages come from the
   * host, which is no chip (they are in hostMessages).
   */
  readonly interChipMessages?: number;
  /** Σ over nets of w(e)·(λ_chip(e) − 1) (λ_chip(e) for sourceless nets): messages if a chip forwarded one copy per destination chip. */
  readonly chipConnectivity?: number;
  /** Synapse edge cut from the hypergraph (targets in another part than the first pin), when the nets are source-first; sourceless nets have no on-chip synapse to cut. */
  readonly synapseCut?: number;
  /**
   * Per part, the spike messages its cores send: Σ over nets whose source lies in the part of
   * w(e)·(λ(e) − 1). Sums to spikeMessages − hostMessages; comparing two partitions' sorted
   * lists shows whether a gap sits in a few parts or is spread over all.
   */
  readonly sentMessages?: Float64Array;
  /** Weight of every part (first balance constraint). */
  readonly partWeights: Float64Array;
  readonly maxPartWeight: number;
  /** max part weight / ceil(total / k) − 1; the partition respects ε when this is ≤ ε. */
  readonly imbalance: number;
  readonly emptyParts: number;
}

function checkFlags(h: Hypergraph): void {
  if (h.sourceless && h.sourceless.length !== h.ne) {
    throw new KilnError(error('partition-score', `the hypergraph flags ${h.sourceless.length} nets as sourceless or not, but has ${h.ne} nets`, undefined, 'give one sourceless flag per net (1 = spikes from the host)'));
  }
}

function checkParts(parts: Int32Array, nv: number, k: number | undefined): number {
  if (parts.length !== nv) throw new KilnError(error('partition-score', `the partition has ${parts.length} entries but the graph has ${nv} vertices`, undefined, 'pass one part id per vertex'));
  let max = -1;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p < 0) throw new KilnError(error('partition-score', `vertex ${i} has negative part id ${p}`, undefined, 'part ids are 0-based'));
    if (p > max) max = p;
  }
  const kk = k ?? max + 1;
  if (max >= kk) throw new KilnError(error('partition-score', `part id ${max} is not below k = ${kk}`, undefined, 'part ids run from 0 to k-1'));
  return kk;
}

/** Edge cut exactly as METIS computes it (ComputeCut): half the sum over adjacency entries that cross parts. */
export function graphEdgeCut(g: Graph, parts: Int32Array): number {
  checkParts(parts, g.nv, undefined);
  const { xadj, adjncy, adjwgt } = g;
  let cut = 0;
  for (let u = 0; u < g.nv; u++) {
    const pu = parts[u]!;
    for (let j = xadj[u]!; j < xadj[u + 1]!; j++) if (parts[adjncy[j]!] !== pu) cut += adjwgt ? adjwgt[j]! : 1;
  }
  return cut / 2;
}

interface NetScore {
  messages: number;
  host: number;
  interChip: number;
  chipConn: number;
  synapseCut: number;
  sent: Float64Array;
}

function scoreNets(h: Hypergraph, parts: Int32Array, k: number, chipOf: Int32Array, chips: number): NetScore {
  const { ne, eptr, pins, ewgt, sourceless } = h;
  const partSeen = new Int32Array(k).fill(-1);
  const chipSeen = new Int32Array(chips).fill(-1);
  let messages = 0;
  let host = 0;
  let interChip = 0;
  let chipConn = 0;
  let synapseCut = 0;
  const sent = new Float64Array(k);
  for (let e = 0; e < ne; e++) {
    const w = ewgt ? ewgt[e]! : 1;
    const s = eptr[e]!;
    const end = eptr[e + 1]!;
    if (end === s) continue;
    if (sourceless?.[e]) {
      let lambda = 0;
      let lambdaChip = 0;
      for (let i = s; i < end; i++) {
        const p = parts[pins[i]!]!;
        if (partSeen[p] === e) continue;
        partSeen[p] = e;
        lambda++;
        const c = chipOf[p]!;
        if (chipSeen[c] !== e) (chipSeen[c] = e), lambdaChip++;
      }
      messages += w * lambda;
      host += w * lambda;
      chipConn += w * lambdaChip;
      continue;
    }
    const srcPart = parts[pins[s]!]!;
    const srcChip = chipOf[srcPart]!;
    let lambda = 0;
    let lambdaChip = 0;
    let remoteCores = 0;
    let cutPins = 0;
    for (let i = s; i < end; i++) {
      const p = parts[pins[i]!]!;
      if (p !== srcPart) cutPins++;
      if (partSeen[p] !== e) {
        partSeen[p] = e;
        lambda++;
        const c = chipOf[p]!;
        if (c !== srcChip) remoteCores++;
        if (chipSeen[c] !== e) {
          chipSeen[c] = e;
          lambdaChip++;
        }
      }
    }
    messages += w * (lambda - 1);
    sent[srcPart]! += w * (lambda - 1);
    interChip += w * remoteCores;
    chipConn += w * (lambdaChip - 1);
    synapseCut += w * cutPins;
  }
  return { messages, host, interChip, chipConn, synapseCut, sent };
}

function chipMap(k: number, opts: ScoreOptions): { chipOf: Int32Array; chips: number } {
  if (opts.chipOf) {
    if (opts.chipOf.length < k) throw new KilnError(error('partition-score', `chipOf covers ${opts.chipOf.length} parts but k = ${k}`, undefined, 'give the chip of every part'));
    let chips = 0;
    for (let p = 0; p < k; p++) chips = Math.max(chips, opts.chipOf[p]! + 1);
    return { chipOf: opts.chipOf, chips };
  }
  const per = opts.coresPerChip ?? 128;
  if (!(per >= 1)) throw new KilnError(error('partition-score', `coresPerChip must be at least 1, got ${per}`, undefined, 'Loihi has 128 cores per chip'));
  const chipOf = new Int32Array(k);
  for (let p = 0; p < k; p++) chipOf[p] = Math.floor(p / per);
  return { chipOf, chips: Math.max(1, Math.ceil(k / per)) };
}

/**
 * Scores a partition against a graph, a hypergraph, or both (the benchmark passes both views of
 * one network so every partitioner is measured by the same numbers).
 */
export function scorePartition(input: { graph?: Graph; hypergraph?: Hypergraph }, parts: Int32Array, opts: ScoreOptions = {}): PartitionScore {
  const { graph, hypergraph } = input;
  const nv = graph?.nv ?? hypergraph?.nv;
  if (nv === undefined) throw new KilnError(error('partition-score', 'nothing to score: pass a graph or a hypergraph', undefined, 'scorePartition({ graph, hypergraph }, parts)'));
  if (graph && hypergraph && graph.nv !== hypergraph.nv) throw new KilnError(error('partition-score', `the graph has ${graph.nv} vertices but the hypergraph ${hypergraph.nv}`, undefined, 'pass two views of the same network'));
  const k = checkParts(parts, nv, opts.k);
  const { chipOf, chips } = chipMap(k, opts);
  const partWeights = new Float64Array(k);
  const ncon = graph ? graph.ncon : 1;
  const vw = graph ? graph.vwgt : hypergraph?.vwgt;
  let total = 0;
  for (let v = 0; v < nv; v++) {
    const w = vw ? vw[v * ncon]! : 1;
    partWeights[parts[v]!]! += w;
    total += w;
  }
  let maxPartWeight = 0;
  let emptyParts = 0;
  for (let p = 0; p < k; p++) {
    maxPartWeight = Math.max(maxPartWeight, partWeights[p]!);
    if (partWeights[p] === 0) emptyParts++;
  }
  const ideal = Math.ceil(total / k);
  if (hypergraph) checkFlags(hypergraph);
  const nets = hypergraph ? scoreNets(hypergraph, parts, k, chipOf, chips) : undefined;
  return {
    k,
    chips,
    edgeCut: graph ? graphEdgeCut(graph, parts) : undefined,
    spikeMessages: nets?.messages,
    hostMessages: nets?.host,
    interChipMessages: nets?.interChip,
    chipConnectivity: nets?.chipConn,
    synapseCut: nets?.synapseCut,
    sentMessages: nets?.sent,
    partWeights,
    maxPartWeight,
    imbalance: ideal > 0 ? maxPartWeight / ideal - 1 : 0,
    emptyParts,
  };
}

/**
 * A core's busy time per step that each vertex brings: its neuron updates, active and idle, and
 * the synaptic operations of the spikes it receives. Summed over a core's vertices it is the
 * core's time (events.ts); the mapper balances it when it spreads work over cores (map-cores.ts).
 */
import type { NeuromorphicConfig } from './config.ts';

export interface WorkGraph {
  readonly nv: number;
  readonly ne: number;
  readonly eptr: Int32Array;
  readonly pins: Int32Array;
  /** Neurons per vertex. */
  readonly vwgt: Float64Array;
  /** 1 = the net's pins are all targets (spikes from the host); otherwise the first pin is the source. */
  readonly sourceless: Uint8Array;
  readonly pinSynapses: Float64Array;
}

/** `rates.vertex`: active neurons of each vertex per step; `rates.net`: spikes per step of each net. */
export function vertexWork(h: WorkGraph, rates: { vertex: Float64Array; net: Float64Array }, cfg: Pick<NeuromorphicConfig, 'latency'>): Float64Array {
  const lat = cfg.latency;
  const work = new Float64Array(h.nv);
  for (let v = 0; v < h.nv; v++) {
    const active = rates.vertex[v]!;
    work[v] = active * lat['neuron.active']! + (h.vwgt[v]! - active) * lat['neuron.inactive']!;
  }
  for (let e = 0; e < h.ne; e++) {
    const first = h.eptr[e]! + (h.sourceless[e] ? 0 : 1);
    for (let i = first; i < h.eptr[e + 1]!; i++) work[h.pins[i]!]! += rates.net[e]! * h.pinSynapses[i]! * lat.synop!;
  }
  return work;
}

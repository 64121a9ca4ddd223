/**
 * The events of one time step of a mapped spiking network, counted per neuron and per net: every
 * presynaptic spike (rate-weighted) costs one synaptic operation per synapse, and one message per
 * destination core other than its own (a core fans a spike out to its synapses locally). Each
 * message is classed by where it goes: within the tile, over tile hops (dimension-order routing,
 * east-west then north-south), or across chips (chip-mesh hops). Spikes from the host enter at
 * chip 0, tile 0. Counts are attributed to the population that receives them.
 */
import type { NeuromorphicConfig } from './config.ts';
import type { NetworkMapping } from './network-mapping.ts';
import { vertexWork } from './vertex-work.ts';

export interface PopulationEvents {
  /** Synapses into the population (rate-independent). */
  synapses: number;
  synops: number;
  active: number;
  inactive: number;
  /** Spikes delivered to targets on the sender's own core: no message on the mesh. */
  withinCore: number;
  sameTile: number;
  acrossTiles: number;
  acrossChips: number;
  hopsEW: number;
  hopsNS: number;
  chipHops: number;
}

export interface StepEvents {
  /** Indexed like `mapping.graph.populations` (sources stay zero). */
  perPopulation: PopulationEvents[];
  /** Busy time of every core in one step, seconds. */
  coreTime: Float64Array;
  /** Longest tile route any message takes, in hops. */
  maxHops: number;
  /** Messages per step from chip a to chip b, keyed `a>b`. */
  chipLinks: Map<string, number>;
}

const empty = (): PopulationEvents => ({ synapses: 0, synops: 0, active: 0, inactive: 0, withinCore: 0, sameTile: 0, acrossTiles: 0, acrossChips: 0, hopsEW: 0, hopsNS: 0, chipHops: 0 });

export function countEvents(mp: NetworkMapping, cfg: NeuromorphicConfig): StepEvents {
  const { hypergraph: h, cores, placement, vertexPopulation: popOf, rates } = mp;
  const parts = cores.parts;
  const per = mp.graph.populations.map(empty);
  const coreTime = new Float64Array(cores.k);
  const tx = (c: number) => (c < 0 ? 0 : placement.tile[c]! % cfg.tileMesh[0]);
  const ty = (c: number) => (c < 0 ? 0 : Math.floor(placement.tile[c]! / cfg.tileMesh[0]));
  const chipOf = (c: number) => (c < 0 ? 0 : placement.chip[c]!);
  const chipDistance = (a: number, b: number) => {
    const w = cfg.chipMesh[0];
    return Math.abs((a % w) - (b % w)) + Math.abs(Math.floor(a / w) - Math.floor(b / w));
  };
  const chipLinks = new Map<string, number>();
  let maxHops = 0;
  const seen = new Int32Array(cores.k).fill(-1);
  for (let v = 0; v < h.nv; v++) {
    const active = rates.vertex[v]!;
    const p = per[popOf[v]!]!;
    p.active += active;
    p.inactive += h.vwgt[v]! - active;
  }
  const work = vertexWork(mp.hypergraph, rates, cfg);
  for (let v = 0; v < h.nv; v++) coreTime[parts[v]!]! += work[v]!;
  for (let e = 0; e < h.ne; e++) {
    const r = rates.net[e]!;
    const hasSource = !h.sourceless[e];
    const first = h.eptr[e]! + (hasSource ? 1 : 0);
    const src = hasSource ? parts[h.pins[h.eptr[e]!]!]! : -1;
    const mult = h.mult[e]!;
    for (let i = first; i < h.eptr[e + 1]!; i++) {
      const t = h.pins[i]!;
      const d = parts[t]!;
      const p = per[popOf[t]!]!;
      const synops = r * h.pinSynapses[i]!;
      p.synapses += mult * h.pinSynapses[i]!;
      p.synops += synops;
      if (seen[d] === e) continue;
      seen[d] = e;
      if (d === src) { p.withinCore += r; continue; }
      const a = chipOf(src), b = chipOf(d);
      if (a !== b) {
        p.acrossChips += r;
        p.chipHops += r * chipDistance(a, b);
        const key = `${a}>${b}`;
        chipLinks.set(key, (chipLinks.get(key) ?? 0) + r);
        continue;
      }
      const ew = Math.abs(tx(src) - tx(d)), ns = Math.abs(ty(src) - ty(d));
      if (ew + ns === 0) p.sameTile += r;
      else {
        p.acrossTiles += r;
        p.hopsEW += r * ew;
        p.hopsNS += r * ns;
        if (ew + ns > maxHops) maxHops = ew + ns;
      }
    }
  }
  return { perPopulation: per, coreTime, maxHops, chipLinks };
}


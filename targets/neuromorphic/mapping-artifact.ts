/** The JSON mapping artifact (mapping.ts) of a mapped network: neuron ranges per core, by address. */
import type { NeuromorphicConfig } from './config.ts';
import { useOf } from './core-use.ts';
import type { StepEvents } from './events.ts';
import { formatAddress, MAPPING_FORMAT, MAPPING_VERSION, type CoreMapping, type Mapping } from './mapping.ts';
import { blockNeurons } from './neuron-graph.ts';
import type { NetworkMapping } from './network-mapping.ts';

/** Sorted indices → [from, to) runs. */
export function toRanges(sorted: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}

export function buildMapping(mp: NetworkMapping, ev: StepEvents, cfg: NeuromorphicConfig, about: { source: string; network?: string; target?: string }): Mapping {
  const { k, parts, use } = mp.cores;
  const { chip, tile, slot } = mp.placement;
  const neurons: Map<number, number[]>[] = Array.from({ length: k }, () => new Map());
  for (let v = 0; v < mp.graph.nv; v++) {
    const pi = mp.vertexPopulation[v]!;
    const pop = mp.graph.populations[pi]!;
    const byPop = neurons[parts[v]!]!;
    if (!byPop.has(pi)) byPop.set(pi, []);
    byPop.get(pi)!.push(...blockNeurons(pop, v - pop.offset));
  }
  const cores: CoreMapping[] = [];
  for (let c = 0; c < k; c++) {
    const ranges: CoreMapping['ranges'] = [];
    for (const [pi, list] of [...neurons[c]!.entries()].sort((a, b) => a[0] - b[0])) {
      const name = mp.graph.populations[pi]!.name;
      for (const [from, to] of toRanges(list.sort((a, b) => a - b))) ranges.push({ layer: name, from, to });
    }
    cores.push({ address: formatAddress(chip[c]!, tile[c]!, slot[c]!), chip: chip[c]!, tile: tile[c]!, core: slot[c]!, part: c, use: useOf(use, c), ranges });
  }
  const order = cores.map((_, i) => i).sort((a, b) => cores[a]!.chip - cores[b]!.chip || cores[a]!.tile - cores[b]!.tile || cores[a]!.core - cores[b]!.core);
  const layers = mp.graph.populations.flatMap((p, pi) => {
    if (p.source) return [];
    const addrs = order.filter((c) => neurons[c]!.has(pi)).map((c) => cores[c]!.address);
    return [{ name: p.name, neurons: p.neurons, cores: addrs }];
  });
  const chip_links = [...ev.chipLinks.entries()].map(([key, messages]) => {
    const [from, to] = key.split('>').map(Number) as [number, number];
    return { from, to, messages_per_timestep: messages };
  }).sort((a, b) => a.from - b.from || a.to - b.to);
  return {
    format: MAPPING_FORMAT, version: MAPPING_VERSION, source: about.source, network: about.network, target: about.target,
    board: { chip_mesh: cfg.chipMesh, tile_mesh: cfg.tileMesh, cores_per_tile: cfg.coresPerTile, cores_per_chip: cfg.coresPerChip },
    limits: mp.limits, cores: order.map((c) => cores[c]!), layers, chip_links,
  };
}

/**
 * The artifact as text: one line per core, per layer and per link, so a 750-core mapping stays a
 * few MB, diffs line by line, and a reader can still find a core by eye.
 */
export function formatMapping(m: Mapping): string {
  const field = ([k, v]: [string, unknown]) => (Array.isArray(v) && v.length > 0 && typeof v[0] === 'object'
    ? ` ${JSON.stringify(k)}: [\n${v.map((x) => `  ${JSON.stringify(x)}`).join(',\n')}\n ]`
    : ` ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${Object.entries(m).filter(([, v]) => v !== undefined).map(field).join(',\n')}\n}\n`;
}

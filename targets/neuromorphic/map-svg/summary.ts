/** What the mapping SVG needs to know beyond the raw mapping: layer colours, per-chip totals, board bounds. */
import type { CoreMapping, Mapping } from '../mapping.ts';
import { layerColour } from './palette.ts';

export interface LayerInfo {
  name: string;
  /** Position in `mapping.layers` (layers only named by cores come after, in order of appearance). */
  index: number;
  colour: string;
  neurons: number;
  cores: number;
  /** False for a layer named by a core but missing from `mapping.layers`. */
  declared: boolean;
}

/** One layer's part of one core. */
export interface CoreShare {
  layer: LayerInfo;
  neurons: number;
  ranges: { from: number; to: number }[];
}

export interface ChipInfo {
  chip: number;
  x: number;
  y: number;
  /** Used cores of this chip that fit the tile mesh, in mapping order. */
  cores: CoreMapping[];
  neurons: number;
  /** Neurons per layer index. */
  byLayer: Map<number, number>;
  dominant: LayerInfo | undefined;
  sent: number;
  received: number;
  sentTo: number;
  receivedFrom: number;
}

export interface Summary {
  cols: number;
  rows: number;
  tileCols: number;
  tileRows: number;
  coresPerTile: number;
  coresPerChip: number;
  layers: LayerInfo[];
  chips: ChipInfo[];
  coresUsed: number;
  /** Cores whose chip, tile or core index lies outside the board: listed, not drawn. */
  coresOutside: number;
  chipsUsed: number;
  totalMessages: number;
  shares: (core: CoreMapping) => CoreShare[];
}

/** Mesh sizes come from a file; a zero or fractional one must not make the layout loop or divide by zero. */
const dim = (n: number) => (Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1);

export function summarize(mapping: Mapping): Summary {
  const b = mapping.board;
  const cols = dim(b.chip_mesh[0]);
  const rows = dim(b.chip_mesh[1]);
  const tileCols = dim(b.tile_mesh[0]);
  const tileRows = dim(b.tile_mesh[1]);
  const coresPerTile = dim(b.cores_per_tile);
  const coresPerChip = b.cores_per_chip >= 1 ? b.cores_per_chip : tileCols * tileRows * coresPerTile;

  const layers: LayerInfo[] = [];
  const byName = new Map<string, LayerInfo>();
  const layerOf = (name: string, declared: boolean, neurons = 0, cores = 0): LayerInfo => {
    let l = byName.get(name);
    if (!l) {
      l = { name, index: layers.length, colour: layerColour(layers.length), neurons, cores, declared };
      layers.push(l);
      byName.set(name, l);
    }
    return l;
  };
  for (const l of mapping.layers) layerOf(l.name, true, l.neurons, l.cores.length);

  const shareCache = new Map<CoreMapping, CoreShare[]>();
  const shares = (core: CoreMapping): CoreShare[] => {
    let s = shareCache.get(core);
    if (s) return s;
    const by = new Map<LayerInfo, CoreShare>();
    for (const r of core.ranges) {
      const layer = layerOf(r.layer, false);
      let share = by.get(layer);
      if (!share) by.set(layer, (share = { layer, neurons: 0, ranges: [] }));
      share.neurons += Math.max(0, r.to - r.from);
      share.ranges.push({ from: r.from, to: r.to });
    }
    s = [...by.values()].sort((p, q) => p.layer.index - q.layer.index);
    shareCache.set(core, s);
    return s;
  };

  const chips: ChipInfo[] = [];
  for (let c = 0; c < cols * rows; c++) {
    chips.push({ chip: c, x: c % cols, y: Math.floor(c / cols), cores: [], neurons: 0, byLayer: new Map(), dominant: undefined, sent: 0, received: 0, sentTo: 0, receivedFrom: 0 });
  }
  let coresOutside = 0;
  for (const core of mapping.cores) {
    const chip = chips[core.chip];
    const fits = chip !== undefined && core.tile >= 0 && core.tile < tileCols * tileRows && core.core >= 0 && core.core < coresPerTile;
    const coreShares = shares(core);
    if (!chip || !fits) {
      coresOutside++;
      continue;
    }
    chip.cores.push(core);
    for (const s of coreShares) {
      if (!s.layer.declared) s.layer.neurons += s.neurons;
      chip.neurons += s.neurons;
      chip.byLayer.set(s.layer.index, (chip.byLayer.get(s.layer.index) ?? 0) + s.neurons);
    }
    for (const s of coreShares) if (!s.layer.declared) s.layer.cores++;
  }
  for (const chip of chips) chip.dominant = dominantLayer(chip, layers, shares);

  let totalMessages = 0;
  for (const link of mapping.chip_links) {
    const m = Number.isFinite(link.messages_per_timestep) ? link.messages_per_timestep : 0;
    totalMessages += m;
    const from = chips[link.from];
    const to = chips[link.to];
    if (from) (from.sent += m), from.sentTo++;
    if (to) (to.received += m), to.receivedFrom++;
  }

  return {
    cols, rows, tileCols, tileRows, coresPerTile, coresPerChip, layers, chips, shares, totalMessages, coresOutside,
    coresUsed: chips.reduce((n, c) => n + c.cores.length, 0),
    chipsUsed: chips.filter((c) => c.cores.length > 0).length,
  };
}

/** The layer with most neurons on the chip (lowest layer index on a tie); by cores when no range has neurons. */
function dominantLayer(chip: ChipInfo, layers: LayerInfo[], shares: (c: CoreMapping) => CoreShare[]): LayerInfo | undefined {
  let best: LayerInfo | undefined;
  let bestN = 0;
  for (const [index, n] of [...chip.byLayer].sort((p, q) => p[0] - q[0])) {
    if (n > bestN) (best = layers[index]), (bestN = n);
  }
  if (best) return best;
  for (const core of chip.cores) {
    const first = shares(core)[0];
    if (first) return first.layer;
  }
  return undefined;
}

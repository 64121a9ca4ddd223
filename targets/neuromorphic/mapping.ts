/**
 * The mapping artifact `kiln partition` writes: which neurons of which layer sit on which core,
 * addressed board.chip.tile.core, with every core's use of every limit and the traffic between
 * chips. Plain JSON data, so other tools (and the SVG renderer) can read it without Kiln.
 */

export const MAPPING_FORMAT = 'kiln-mapping';
export const MAPPING_VERSION = 1;

/** A core's use of each per-core limit (counts, not fractions). */
export interface CoreUse {
  neurons: number;
  input_axons: number;
  output_axons: number;
  synapse_words: number;
}

export interface CoreMapping {
  /** "board.chip.tile.core", e.g. "0.3.5.2" (one board, numbered 0). */
  address: string;
  chip: number;
  /** Tile index on the chip, row-major over the tile mesh: x = tile % mesh[0], y = floor(tile / mesh[0]). */
  tile: number;
  /** Core index within its tile. */
  core: number;
  /** The core's id in the partitioner's numbering: the part id a written partition file gives its vertices. */
  part?: number;
  use: CoreUse;
  /** Neuron ranges held by this core: [first, end) flat indices into each layer (NCHW order, batch 1). */
  ranges: { layer: string; from: number; to: number }[];
}

export interface LayerMapping {
  name: string;
  neurons: number;
  /** Addresses of the cores holding this layer's neurons. */
  cores: string[];
}

export interface ChipLink {
  from: number;
  to: number;
  /** Spike messages per time step sent from chip `from` to chip `to`. */
  messages_per_timestep: number;
}

export interface Mapping {
  format: typeof MAPPING_FORMAT;
  version: typeof MAPPING_VERSION;
  /** The file partitioned, as given on the command line. */
  source: string;
  network?: string;
  target?: string;
  board: {
    /** Chips in a grid [columns, rows]; chip c sits at x = c % columns, y = floor(c / columns). */
    chip_mesh: [number, number];
    /** Tiles per chip in a grid [columns, rows]. */
    tile_mesh: [number, number];
    cores_per_tile: number;
    cores_per_chip: number;
  };
  limits: CoreUse;
  /** Every used core, in address order. */
  cores: CoreMapping[];
  layers: LayerMapping[];
  /** Messages per time step between chips (only pairs with traffic). */
  chip_links: ChipLink[];
}

/** Parse "b.c.t.k" back into numbers; undefined when the address is malformed. */
export function parseAddress(address: string): { board: number; chip: number; tile: number; core: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (!m) return undefined;
  return { board: Number(m[1]), chip: Number(m[2]), tile: Number(m[3]), core: Number(m[4]) };
}

export function formatAddress(chip: number, tile: number, core: number): string {
  return `0.${chip}.${tile}.${core}`;
}

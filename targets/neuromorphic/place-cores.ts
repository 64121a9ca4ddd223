/**
 * Cores → chips → tiles. The cores' quotient hypergraph (one net per spike source, reaching the
 * cores its targets sit on) is placed first on the smallest near-square block of the board's chip
 * mesh that holds them, then each chip's cores on its tile mesh, both by the partitioner's
 * recursive-bisection mesh placement, so spikes cross as few chip links and tile hops as it finds.
 * A chips-first mapping has already decided which cores share a chip (map-cores.ts): then the
 * groups, not the cores, are placed on the chip mesh, and the grouping is kept.
 */
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
// Straight from the modules, not the index: it also exports the gpmetis runner (node:child_process).
import { placeOnMesh } from './partition/place-mesh.ts';
import { quotientHypergraph } from './partition/quotient.ts';
import type { Hypergraph } from './partition/types.ts';
import { incidence, induced } from './induced.ts';
import type { NeuromorphicConfig } from './config.ts';

export interface CorePlacement {
  /** Per core: chip id on the board (row-major over the chip mesh). */
  chip: Int32Array;
  /** Per core: tile on its chip (row-major over the tile mesh). */
  tile: Int32Array;
  /** Per core: index within its tile. */
  slot: Int32Array;
}

/** The smallest block of the chip mesh holding `chips`, as square as the mesh allows. */
export function chipBlock(chips: number, mesh: [number, number]): [number, number] {
  let best: [number, number] | undefined;
  for (let rows = 1; rows <= mesh[1]; rows++) {
    const cols = Math.ceil(chips / rows);
    if (cols > mesh[0]) continue;
    const area = cols * rows;
    if (!best || area < best[0] * best[1] || (area === best[0] * best[1] && Math.abs(cols - rows) < Math.abs(best[0] - best[1]))) best = [cols, rows];
  }
  if (!best) throw new KilnError(error('capacity', `${chips} chips do not fit the ${mesh[0]} x ${mesh[1]} chip mesh`, undefined, 'use a target with more chips'));
  return best;
}

/** Groups of at most a chip's cores each, numbered 0..n−1, or undefined if some group is larger (splits can add cores). */
function usableGroups(chipGroup: Int32Array | undefined, coresPerChip: number): number | undefined {
  if (!chipGroup) return undefined;
  const size = new Map<number, number>();
  for (const g of chipGroup) size.set(g, (size.get(g) ?? 0) + 1);
  if ([...size.values()].some((n) => n > coresPerChip)) return undefined;
  let n = 0;
  for (const g of size.keys()) n = Math.max(n, g + 1);
  return n;
}

export function placeCores(h: Hypergraph, parts: Int32Array, k: number, cfg: NeuromorphicConfig, seed = 1, chipGroup?: Int32Array): CorePlacement {
  const q = quotientHypergraph(h, parts, k);
  const chip = new Int32Array(k);
  const groups = usableGroups(chipGroup, cfg.coresPerChip);
  const chips = groups ?? Math.ceil(k / cfg.coresPerChip);
  if (chips > 1) {
    const block = chipBlock(chips, cfg.chipMesh);
    // With groups: one group a chip, each placed as a whole; without: the cores in slots of a chip's size.
    const slots = groups !== undefined ? placeOnMesh(quotientHypergraph(q, chipGroup!, groups), block, 1, { seed }) : placeOnMesh(q, block, cfg.coresPerChip, { seed });
    const slotOf = (c: number) => (groups !== undefined ? slots[chipGroup![c]!]! : slots[c]!);
    for (let c = 0; c < k; c++) chip[c] = Math.floor(slotOf(c) / block[0]) * cfg.chipMesh[0] + (slotOf(c) % block[0]);
  }
  const tile = new Int32Array(k);
  const slot = new Int32Array(k);
  const members = new Map<number, number[]>();
  for (let c = 0; c < k; c++) {
    const list = members.get(chip[c]!);
    if (list) list.push(c);
    else members.set(chip[c]!, [c]);
  }
  const inc = incidence(q);
  const local = new Int32Array(k).fill(-1);
  for (const list of members.values()) {
    const cores = Int32Array.from(list);
    cores.forEach((c, i) => { local[c] = i; });
    const tiles = placeOnMesh(induced(q, inc, cores, local), cfg.tileMesh, cfg.coresPerTile, { seed });
    const filled = new Map<number, number>();
    cores.forEach((c, i) => {
      tile[c] = tiles[i]!;
      slot[c] = filled.get(tiles[i]!) ?? 0;
      filled.set(tiles[i]!, slot[c]! + 1);
      local[c] = -1;
    });
  }
  return { chip, tile, slot };
}

/** Cores in order, chip by chip and tile by tile: how a layer-order allocator lays them out. */
export function placeInOrder(k: number, cfg: NeuromorphicConfig): CorePlacement {
  const chip = new Int32Array(k), tile = new Int32Array(k), slot = new Int32Array(k);
  for (let c = 0; c < k; c++) {
    chip[c] = Math.floor(c / cfg.coresPerChip);
    tile[c] = Math.floor((c % cfg.coresPerChip) / cfg.coresPerTile);
    slot[c] = c % cfg.coresPerTile;
  }
  return { chip, tile, slot };
}

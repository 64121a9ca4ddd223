/**
 * The memetic combine operator of KaFFPaE and KaHyPar-E (Sanders & Schulz 2012; Andre, Schlag &
 * Schulz 2018): instead of keeping the best of several partitions and dropping the rest, coarsen
 * again with clusters confined to their intersection — two vertices may share a cluster only if
 * every partition put them in the same part — so each of the partitions is constant on every
 * cluster, start from the best one on the coarsest level and refine on the way up. Cuts on
 * which the partitions agree stay cut edges of the hierarchy; where they disagree the coarse
 * levels can move whole groups that one partition placed better than the best.
 */

import { carry, projectLevel } from './coarsen.ts';

/**
 * The intersection of the partitions: one id per distinct tuple of parts, numbered 0, 1, … in
 * the order the vertices first show them. Part labels need not match across partitions.
 */
export function intersectionKey(parts: readonly Int32Array[]): { key: Int32Array; classes: number } {
  const nv = parts[0]!.length;
  const key = parts[0]!.slice();
  let classes = 0;
  for (const p of parts) {
    if (p.length !== nv) throw new Error(`intersectionKey: partitions of ${nv} and ${p.length} vertices`);
    let maxP = 0;
    for (let v = 0; v < nv; v++) {
      if (p[v]! < 0) throw new Error(`intersectionKey: vertex ${v} in part ${p[v]}`);
      maxP = Math.max(maxP, p[v]!);
    }
    // Keys are ids below nv and labels lie in [0, maxP], so key · (maxP + 1) + label < nv · (maxP + 1)
    // names each pair once, exactly while that bound stays below 2^53.
    if (nv * (maxP + 1) > Number.MAX_SAFE_INTEGER) throw new Error(`intersectionKey: ${nv} vertices × ${maxP + 1} labels pass 2^53`);
    const ids = new Map<number, number>();
    for (let v = 0; v < nv; v++) {
      const t = key[v]! * (maxP + 1) + p[v]!;
      let id = ids.get(t);
      if (id === undefined) ids.set(t, (id = ids.size));
      key[v] = id;
    }
    classes = ids.size;
  }
  return { key, classes };
}

/**
 * `part` of the finest level carried through the contraction maps to the coarsest; `sizes[i]` is
 * the vertex count of the level that `maps[i]` contracts to. `part` must be constant on clusters.
 */
export function carryDown(part: Int32Array, maps: readonly Int32Array[], sizes: readonly number[]): Int32Array {
  return maps.reduce((cur, map, i) => carry(cur, map, sizes[i]!), part);
}

/** `part` of the coarsest level projected through the maps to the finest. */
export function projectUp(part: Int32Array, maps: readonly Int32Array[]): Int32Array {
  return maps.reduceRight(projectLevel, part);
}

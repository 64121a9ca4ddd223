/**
 * Placement of a small hypergraph (cores of a quotient hypergraph, or chips) on a 2-D mesh of
 * slots — tiles of a chip, chips of a board — so that spike messages travel few hops. A message
 * from a source core to a destination core crosses the Manhattan distance between their slots
 * (dimension-order routing on a mesh), so the cost is the weighted wire length of the star graph:
 * Σ_e w(e) Σ_{targets t} dist(slot(source), slot(t)). Sourceless nets come from the host, whose
 * entry point the mesh does not fix, and count nothing.
 *
 * Method: recursive bisection of the grid along its longer side, each cut a capacity-constrained
 * 2-way partition of the star graph by the multilevel engine with part-specific limits (the two
 * halves' slot counts × slot capacity), with the region's outside neighbours pulling each
 * vertex towards the nearer half (terminal propagation); then greedy moves and swaps towards each vertex's weighted
 * median (the L1 optimum of its position) remove what the cuts could not see.
 */
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { withIncidence } from './engine-hypergraph.ts';
import { multilevelPartition } from './multilevel.ts';
import { engineConfig } from './partitioner.ts';
import { refinePlacement, type StarGraph } from './place-refine.ts';
import { Rng } from './rng.ts';
import { synapseGraphOf } from './synapse-graph.ts';
import type { Hypergraph } from './types.ts';

function fail(code: string, message: string, hint: string): never {
  throw new KilnError(error(code, message, undefined, hint));
}

/** Undirected star graph of the nets with a source and spikes to carry: the synapse graph, parallel edges merged. */
export function starGraphOf(h: Hypergraph): StarGraph {
  const g = synapseGraphOf(h, { dropWeightless: true });
  return { nv: g.nv, xadj: g.xadj, adj: g.adjncy, adjw: g.adjwgt! };
}

/** Σ_e w(e) Σ_{pins p ≠ source} Manhattan distance between the slots of the source and of p. */
export function placementHops(h: Hypergraph, slotOf: Int32Array, columns: number): number {
  let total = 0;
  for (let e = 0; e < h.ne; e++) {
    if (h.sourceless?.[e] || h.eptr[e + 1] === h.eptr[e]) continue;
    const s = slotOf[h.pins[h.eptr[e]!]!]!;
    const sx = s % columns;
    const sy = Math.floor(s / columns);
    let sum = 0;
    for (let i = h.eptr[e]! + 1; i < h.eptr[e + 1]!; i++) {
      const t = slotOf[h.pins[i]!]!;
      sum += Math.abs((t % columns) - sx) + Math.abs(Math.floor(t / columns) - sy);
    }
    total += (h.ewgt ? h.ewgt[e]! : 1) * sum;
  }
  return total;
}

interface Region {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly vs: Int32Array;
}

/**
 * A slot (row-major: x = slot % columns, y = floor(slot / columns)) for every vertex of `h`,
 * holding at most `slotCapacity` vertex weight per slot (weights from `h.vwgt`, else 1).
 */
export function placeOnMesh(h: Hypergraph, mesh: readonly [number, number], slotCapacity: number, opts: { seed?: number } = {}): Int32Array {
  const [columns, rows] = mesh;
  if (!Number.isInteger(columns) || !Number.isInteger(rows) || columns < 1 || rows < 1) fail('placement-options', `the mesh must be [columns, rows] of positive integers, got [${columns}, ${rows}]`, 'e.g. [8, 4] for Loihi’s tile mesh');
  if (!(slotCapacity > 0) || !Number.isFinite(slotCapacity)) fail('placement-options', `the slot capacity must be a positive number, got ${slotCapacity}`, 'e.g. 4 cores per tile');
  const nv = h.nv;
  const vw = new Float64Array(nv);
  let total = 0;
  for (let v = 0; v < nv; v++) {
    const x = h.vwgt ? h.vwgt[v]! : 1;
    if (!(x >= 0) || !Number.isFinite(x)) fail('placement-options', `vertex ${v} weighs ${x}`, 'vertex weights must be finite and non-negative');
    if (x > slotCapacity) fail('placement-infeasible', `vertex ${v} weighs ${x}, more than a slot holds (${slotCapacity})`, 'raise the slot capacity or split that vertex');
    vw[v] = x;
    total += x;
  }
  const slots = columns * rows;
  if (total > slots * slotCapacity) fail('placement-infeasible', `the vertices weigh ${total} but ${slots} slots hold at most ${slots * slotCapacity}`, `use a mesh of at least ${Math.ceil(total / slotCapacity)} slots`);
  const g = starGraphOf(h);
  const rng = new Rng(opts.seed ?? 1);
  const slotOf = new Int32Array(nv);
  // Centre of the region each vertex currently sits in, for orienting later cuts.
  const cx = new Float64Array(nv).fill((columns - 1) / 2);
  const cy = new Float64Array(nv).fill((rows - 1) / 2);
  const inRegion = new Int32Array(nv).fill(-1);
  const cfg = engineConfig('default', true).rb;
  const queue: Region[] = [{ x: 0, y: 0, w: columns, h: rows, vs: Int32Array.from({ length: nv }, (_, i) => i) }];
  for (let qi = 0; qi < queue.length; qi++) {
    const r = queue[qi]!;
    if (r.vs.length === 0) continue;
    if (r.w * r.h === 1) {
      for (const v of r.vs) slotOf[v] = r.y * columns + r.x;
      continue;
    }
    const vertical = r.w >= r.h; // cut the longer side
    const a: Region = vertical ? { x: r.x, y: r.y, w: r.w >> 1, h: r.h, vs: r.vs } : { x: r.x, y: r.y, w: r.w, h: r.h >> 1, vs: r.vs };
    const b: Region = vertical ? { x: r.x + a.w, y: r.y, w: r.w - a.w, h: r.h, vs: r.vs } : { x: r.x, y: r.y + a.h, w: r.w, h: r.h - a.h, vs: r.vs };
    const side = bisectRegion(g, vw, r.vs, [a, b], slotCapacity, rng, cfg, inRegion, qi, cx, cy);
    const split = [[] as number[], [] as number[]];
    for (let i = 0; i < r.vs.length; i++) split[side[i]!]!.push(r.vs[i]!);
    for (const [s, half] of [a, b].entries()) {
      for (const v of split[s]!) (cx[v] = half.x + (half.w - 1) / 2), (cy[v] = half.y + (half.h - 1) / 2);
      queue.push({ ...half, vs: Int32Array.from(split[s]!) });
    }
  }
  refinePlacement(g, vw, slotOf, columns, rows, slotCapacity, rng);
  return slotOf;
}

/**
 * Two-way split of the region's vertices within the halves' capacities; side[i] for vs[i].
 * Terminal propagation: neighbours outside the region pull a vertex towards the nearer half by
 * the difference of their distances. Each pull is an edge to one of two anchor vertices that an
 * extra weight dimension pins to its half (limit 1 on that side, 0 on the other), so the engine
 * weighs outside connections against the cut without knowing about fixed vertices.
 */
function bisectRegion(g: StarGraph, vw: Float64Array, vs: Int32Array, halves: [Region, Region], cap: number, rng: Rng, cfg: ReturnType<typeof engineConfig>['rb'], inRegion: Int32Array, id: number, cx: Float64Array, cy: Float64Array): Int32Array {
  const n = vs.length;
  for (let i = 0; i < n; i++) inRegion[vs[i]!] = id;
  const local = new Map<number, number>();
  for (let i = 0; i < n; i++) local.set(vs[i]!, i);
  const centre = halves.map((r) => [r.x + (r.w - 1) / 2, r.y + (r.h - 1) / 2] as const);
  const ep: number[] = [];
  const ew: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = vs[i]!;
    let pull = 0; // > 0: half 0 is nearer to v's outside neighbours
    for (let j = g.xadj[v]!; j < g.xadj[v + 1]!; j++) {
      const u = g.adj[j]!;
      if (inRegion[u] !== id) {
        const dist = (c: readonly [number, number]) => Math.abs(c[0] - cx[u]!) + Math.abs(c[1] - cy[u]!);
        pull += g.adjw[j]! * (dist(centre[1]!) - dist(centre[0]!));
      } else if (u > v) ep.push(i, local.get(u)!), ew.push(g.adjw[j]!);
    }
    if (pull !== 0) ep.push(i, pull > 0 ? n : n + 1), ew.push(Math.abs(pull));
  }
  const m = ew.length;
  const eptr = Int32Array.from({ length: m + 1 }, (_, e) => 2 * e);
  const caps = halves.map((r) => r.w * r.h * cap) as [number, number];
  const w = new Float64Array((n + 2) * 3);
  let total = 0;
  for (let i = 0; i < n; i++) (w[i * 3] = vw[vs[i]!]!), (total += vw[vs[i]!]!);
  w[n * 3 + 1] = 1;
  w[(n + 1) * 3 + 2] = 1;
  const sub = withIncidence(n + 2, m, eptr, Int32Array.from(ep), Float64Array.from(ew), w, 3, new Uint8Array(m).fill(1));
  const limits = Float64Array.of(caps[0], 1, 0, caps[1], 0, 1);
  const target0 = Float64Array.of((total * caps[0]) / (caps[0] + caps[1]), 0, 0);
  // Tight halves (every slot full) leave FM no room to move one vertex at a time, so small
  // regions, which are cheap, take the best of several seeds.
  let part: Int32Array = new Int32Array(0);
  let best = Infinity;
  for (let t = 0, tries = n <= 256 ? 4 : 1; t < tries; t++) {
    const r = multilevelPartition(sub, 2, limits, rng.fork(), cfg, cfg, target0);
    if (r.feasible && r.objective < best) (part = r.part), (best = r.objective);
    else if (t === 0) part = r.part;
  }
  const side = part.slice(0, n);
  const load = [0, 0];
  for (let i = 0; i < n; i++) load[side[i]!]! += vw[vs[i]!]!;
  // The engine never returns an over-limit bisection knowingly, but with weights that do not
  // pack it may return an infeasible best effort; the anchors then say nothing either.
  if (load[0]! > caps[0] || load[1]! > caps[1] || part[n] !== 0 || part[n + 1] !== 1) return firstFitDecreasing(Float64Array.from(vs, (v) => vw[v]!), caps);
  return side;
}
/** The packing fallback when refinement could not meet both capacities (non-unit weights). */
function firstFitDecreasing(w: Float64Array, caps: [number, number]): Int32Array {
  const order = Array.from(w.keys()).sort((a, b) => w[b]! - w[a]! || a - b);
  const side = new Int32Array(w.length);
  const load = [0, 0];
  for (const i of order) {
    const s = load[0]! + w[i]! <= caps[0] && (caps[0] - load[0]! >= caps[1] - load[1]! || load[1]! + w[i]! > caps[1]) ? 0 : 1;
    if (load[s]! + w[i]! > caps[s]!) fail('placement-infeasible', `the vertices do not pack into slots of capacity ${caps[0]} / ${caps[1]} per half`, 'raise the slot capacity or use a larger mesh');
    side[i] = s;
    load[s]! += w[i]!;
  }
  return side;
}


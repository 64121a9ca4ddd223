/**
 * Makes every chip's group fit its cores after a chips-first split. The chip-level partition
 * bounds a chip by its cores' limits summed, but per-core limits are a packing: three vertices of
 * 6 fit a chip of two 10-unit cores by the sum (18 ≤ 20) and need three cores. When a chip's
 * vertices do not pack into its cores, the chip sheds the vertices whose move to another chip adds
 * the fewest inter-chip messages per unit of load (relative to the chip's limits) until it has
 * given up another half core's worth, and both sides are split into cores again. A chip that shed
 * never receives, so the repair ends — but it can end with no room left where room is needed
 * (a donor that shed past its cores' fill keeps room nobody may use), so a failure is returned,
 * not thrown: the caller has other ways to fit (hierarchy.ts falls back to a flat partition
 * grouped onto chips) and builds the error only when those fail too.
 */
import type { KilnError } from '../../../compiler/lang/diagnostics.ts';
import { infeasible } from './constraints.ts';
import { fromHypergraph } from './engine-hypergraph.ts';
import { quotientHypergraph } from './quotient.ts';
import type { Hypergraph } from './types.ts';

export interface ChipFitInput {
  readonly h: Hypergraph;
  /** Chip of every vertex; changed in place by the repair. */
  readonly chipOf: Int32Array;
  readonly chips: number;
  readonly coresOf: (chip: number) => number;
  /** nv × names.length loads and chips × names.length limits of the chip-level split. */
  readonly perVertex: Float64Array;
  readonly limits: Float64Array;
  readonly names: readonly string[];
  /** The core (0 … n−1) of each of `vs`, all on `chip`, or undefined when they do not pack into n cores. */
  readonly split: (chip: number, vs: Int32Array, n: number) => Int32Array | undefined;
}

/** The vertices of every chip and, in the same order, their cores on it. */
export interface ChipFit {
  readonly members: Int32Array[];
  readonly cores: Int32Array[];
  /** Whether vertices had to move between chips. */
  readonly moved: boolean;
}

/** Where the repair stopped: `chip`'s `vertices` do not pack into its `cores`, and nothing more could move. */
export interface ChipRefusal {
  readonly chip: number;
  readonly vertices: Int32Array;
  readonly cores: number;
  /** Whether some other chip (one that had given vertices) still had room for one of them. */
  readonly roomElsewhere: boolean;
}

export const refused = (r: ChipFit | ChipRefusal): r is ChipRefusal => 'chip' in r;

/** What to do when no chips-first mapping fits. */
export const CHIPS_REFUSED_HINT = 'use more chips or more cores per chip, raise the per-core limits, or map a smaller network';

function membersOf(chipOf: Int32Array, chips: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: chips }, () => []);
  chipOf.forEach((c, v) => lists[c]!.push(v));
  return lists.map((l) => Int32Array.from(l));
}

export function fitChips(inp: ChipFitInput): ChipFit | ChipRefusal {
  const { h, chipOf, chips, perVertex: w, limits, split } = inp;
  const d = inp.names.length;
  const members = membersOf(chipOf, chips);
  const splitChip = (c: number) => (members[c]!.length === 0 ? new Int32Array(0) : split(c, members[c]!, inp.coresOf(c)));
  const cores = members.map((_, c) => splitChip(c));
  if (cores.every((x) => x !== undefined)) return { members, cores: cores as Int32Array[], moved: false };

  const eh = fromHypergraph(h, new Float64Array(0), 0, false);
  const load = new Float64Array(chips * d);
  for (let v = 0; v < h.nv; v++) for (let j = 0; j < d; j++) load[chipOf[v]! * d + j]! += w[v * d + j]!;
  // A vertex's share of its chip, summed over the dimensions: what shedding it relieves.
  const size = (v: number, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) if (limits[c * d + j]! > 0) s += w[v * d + j]! / limits[c * d + j]!;
    return s;
  };
  const donor = new Uint8Array(chips);
  const tries = new Int32Array(chips);
  const startSize = new Float64Array(chips);
  const touch = new Float64Array(chips);
  const seen = new Int32Array(chips).fill(-1);
  let stamp = 0;
  const roomFor = (v: number, q: number) => {
    for (let j = 0; j < d; j++) if (load[q * d + j]! + w[v * d + j]! > limits[q * d + j]!) return false;
    return true;
  };
  /** The chip that v joins with the fewest messages added, and how many that adds; −1 if none has room. */
  const receiver = (v: number): { to: number; added: number } => {
    const c = chipOf[v]!;
    touch.fill(0);
    let total = 0;
    let lone = 0;
    for (let k = eh.vptr[v]!; k < eh.vptr[v + 1]!; k++) {
      const e = eh.vnets[k]!;
      const we = eh.ewgt[e]!;
      stamp++;
      let onC = 0;
      for (let i = eh.eptr[e]!; i < eh.eptr[e + 1]!; i++) {
        const q = chipOf[eh.pins[i]!]!;
        if (q === c) onC++;
        else if (seen[q] !== stamp) (seen[q] = stamp), (touch[q]! += we);
      }
      total += we;
      if (onC === 1) lone += we;
    }
    let to = -1;
    for (let q = 0; q < chips; q++) if (q !== c && !donor[q] && roomFor(v, q) && (to < 0 || touch[q]! > touch[to]!)) to = q;
    return { to, added: to < 0 ? Infinity : total - touch[to]! - lone };
  };

  for (;;) {
    const c = cores.findIndex((x) => x === undefined);
    if (c < 0) return { members, cores: cores as Int32Array[], moved: true };
    const n = inp.coresOf(c);
    const vs = members[c]!;
    let left = vs.reduce((s, v) => s + size(v, c), 0);
    if (!donor[c]) startSize[c] = left;
    donor[c] = 1;
    tries[c]!++;
    // Every try sheds at least half a core's worth more: a vertex that overshot the last target
    // must not leave this one met before anything moves (which would refuse a chip others had room for).
    const target = Math.min(startSize[c]! * Math.max(0, 1 - tries[c]! / (2 * n)), left - startSize[c]! / (2 * n));
    const key = new Float64Array(h.nv);
    const order = Array.from(vs).filter((v) => size(v, c) > 0);
    for (const v of order) key[v] = receiver(v).added / size(v, c);
    order.sort((a, b) => key[a]! - key[b]! || a - b);
    const touched = new Set<number>();
    const moved: number[] = [];
    for (const v of order) {
      if (left <= target) break;
      const { to } = receiver(v);
      if (to < 0) continue;
      for (let j = 0; j < d; j++) {
        load[c * d + j]! -= w[v * d + j]!;
        load[to * d + j]! += w[v * d + j]!;
      }
      left -= size(v, c);
      chipOf[v] = to;
      touched.add(to);
      moved.push(v);
    }
    if (touched.size === 0) {
      const roomElsewhere = vs.some((v) => donor.some((gave, q) => gave === 1 && q !== c && roomFor(v, q)));
      return { chip: c, vertices: vs, cores: n, roomElsewhere };
    }
    // Only the donor's and the receivers' lists change. Each stays in vertex order, as membersOf
    // builds them, since a split depends on the order of its vertices.
    members[c] = vs.filter((v) => chipOf[v] === c);
    const gained = new Map<number, number[]>();
    for (const v of moved) {
      const got = gained.get(chipOf[v]!);
      if (got) got.push(v);
      else gained.set(chipOf[v]!, [v]);
    }
    for (const q of touched) members[q] = Int32Array.from([...members[q]!, ...(gained.get(q) ?? [])]).sort();
    cores[c] = splitChip(c);
    for (const q of [...touched].sort((a, b) => a - b)) cores[q] = splitChip(q);
  }
}

/**
 * The fewest cores (above the chip's, at most 4× them) that `vs` packs into, for the error: up by
 * doubling, then halving back between the last failure and the first success — at most 2·⌈log₂ 4n⌉
 * splits (18 on a 128-core chip) where counting up one core at a time took up to 3n (384).
 * Undefined past the bound.
 */
export function coresNeeded(split: ChipFitInput['split'], c: number, vs: Int32Array, n: number): number | undefined {
  const most = Math.min(vs.length, 4 * n);
  let lo = n;
  let hi = -1;
  for (let step = 1; hi < 0; step *= 2) {
    const t = Math.min(n + step, most);
    if (t <= lo) return undefined;
    if (split(c, vs, t)) hi = t;
    else lo = t;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (split(c, vs, mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The error for a refusal. `count`: search for the cores the chip would need (several splits);
 * callers that catch the error and retry with more cores pass false.
 */
export function refusalError(inp: Pick<ChipFitInput, 'split' | 'names'>, r: ChipRefusal, count: boolean, also = ''): KilnError {
  const { chip: c, vertices: vs, cores: n } = r;
  const need = count ? coresNeeded(inp.split, c, vs, n) : undefined;
  const needs = need !== undefined ? `${need} cores` : count ? `more than ${Math.min(vs.length, 4 * n)} cores` : 'more cores';
  const why = r.roomElsewhere ? 'and moving vertices to the chips with room did not make every chip fit' : 'and no other chip has room for the excess';
  return infeasible(`chip ${c}'s ${vs.length} vertices need ${needs} to keep every core within its ${inp.names.join(', ')} limits, but the chip has ${n}, ${why}${also}`,
    CHIPS_REFUSED_HINT);
}

/**
 * The same repair one level up, for cores already packed: `group` (the chip group of each of the
 * k cores of `parts`, changed in place) gets at most `coresPerChip` cores a group, over at most
 * `maxGroups` groups, by moving whole cores. A core's limits do not depend on its chip, so no core
 * breaks one; the mapper needs this after splitting over-full cores has added cores to a chip's
 * group. The cores' quotient hypergraph, whose (λ−1) over groups is the inter-chip messages, is
 * built only when a group is over.
 */
export function fitCoreGroups(h: Hypergraph, parts: Int32Array, k: number, group: Int32Array, coresPerChip: number, maxGroups: number): void {
  // The one caller (map-cores.ts) refuses more cores than whole chips hold, with the error a user
  // sees and a retry, before it calls this; past that check, too many cores here is a Kiln bug.
  if (k > maxGroups * coresPerChip) throw new Error(`internal: fitCoreGroups was given ${k} cores, more than ${maxGroups} chips of ${coresPerChip} hold`);
  const chips = group.reduce((m, g) => Math.max(m, g + 1), maxGroups);
  const size = new Int32Array(chips);
  for (const g of group) size[g]!++;
  if (size.every((n) => n <= coresPerChip)) return;
  const r = fitChips({
    h: quotientHypergraph(h, parts, k), chipOf: group, chips, coresOf: () => coresPerChip,
    perVertex: new Float64Array(k).fill(1), limits: new Float64Array(chips).fill(coresPerChip), names: ['cores'],
    split: (_c, vs, n) => (vs.length <= n ? Int32Array.from(vs.keys()) : undefined),
  });
  if (!refused(r)) return;
  // Cores are alike to a chip, so when the repair stopped with room only on chips that gave, the
  // last cores of every over-full group go to the emptiest chips; k fits, so this always ends.
  size.fill(0);
  for (const g of group) size[g]!++;
  for (let c = k - 1; c >= 0; c--) {
    if (size[group[c]!]! <= coresPerChip) continue;
    const to = size.indexOf(Math.min(...size.subarray(0, maxGroups)));
    size[group[c]!]!--;
    size[to]!++;
    group[c] = to;
  }
}

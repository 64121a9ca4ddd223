/**
 * Restores feasibility: vertices leave overloaded parts, cheapest loss first per unit of
 * overloaded weight, preferably to an adjacent part with room, otherwise to the part with the
 * most room. Runs after initial partitioning and whenever projection meets a violated limit.
 */

/** What rebalancing needs of a partition state (PartState and GraphPartState both provide it). */
export interface MoveState {
  readonly h: { readonly nv: number; readonly d: number; readonly w: Float64Array };
  readonly k: number;
  readonly part: Int32Array;
  readonly load: Float64Array;
  readonly limit: Float64Array;
  readonly lastGain: number;
  bestMove(v: number): number;
  move(v: number, q: number): number;
  feasible(): boolean;
}

/** The non-adjacent fallback: the part where v leaves the largest relative slack, or −1. */
function roomiestPart(st: MoveState, v: number): number {
  const { k, load, limit } = st;
  const { d, w } = st.h;
  let best = -1;
  let bestSlack = -Infinity;
  for (let q = 0; q < k; q++) {
    if (q === st.part[v]) continue;
    let slack = Infinity;
    for (let j = 0; j < d; j++) {
      const lim = limit[q * d + j]!;
      const s = lim - load[q * d + j]! - w[v * d + j]!;
      if (s < 0) {
        slack = -Infinity;
        break;
      }
      slack = Math.min(slack, lim > 0 ? s / lim : Infinity);
    }
    if (slack > bestSlack) {
      bestSlack = slack;
      best = q;
    }
  }
  return bestSlack === -Infinity ? -1 : best;
}

function overloaded(st: MoveState, p: number): boolean {
  const d = st.h.d;
  for (let j = 0; j < d; j++) if (st.load[p * d + j]! > st.limit[p * d + j]!) return true;
  return false;
}

/** Moves vertices until every part fits; false if that could not be reached. */
export function rebalance(st: MoveState): boolean {
  const { nv, d, w } = st.h;
  const k = st.k;
  for (let pass = 0; pass < 3; pass++) {
    const over = new Uint8Array(k);
    let any = false;
    for (let p = 0; p < k; p++) if (overloaded(st, p)) (over[p] = 1), (any = true);
    if (!any) return true;
    // Cost per unit of weight in the overloaded dimensions, so light vertices with big losses wait.
    const cand: number[] = [];
    const key = new Float64Array(nv);
    for (let v = 0; v < nv; v++) {
      const p = st.part[v]!;
      if (!over[p]) continue;
      let relief = 0;
      for (let j = 0; j < d; j++) if (st.load[p * d + j]! > st.limit[p * d + j]!) relief += w[v * d + j]! / Math.max(1e-300, st.limit[p * d + j]!);
      if (relief <= 0) continue;
      const t = st.bestMove(v);
      const g = t >= 0 ? st.lastGain : -1e300;
      key[v] = g / relief;
      cand.push(v);
    }
    cand.sort((a, b) => key[b]! - key[a]! || a - b);
    for (const v of cand) {
      const p = st.part[v]!;
      if (!overloaded(st, p)) continue;
      let t = st.bestMove(v);
      if (t < 0) t = roomiestPart(st, v);
      if (t >= 0) st.move(v, t);
      else swapOut(st, v);
    }
  }
  return st.feasible();
}

/**
 * When v fits nowhere (multi-dimensional packing), exchange it with a vertex u of another part
 * such that u's part still fits with v and v's part sheds load in every overloaded dimension.
 */
function swapOut(st: MoveState, v: number): boolean {
  const { nv, d, w } = st.h;
  const p = st.part[v]!;
  for (let u = 0; u < nv; u++) {
    const q = st.part[u]!;
    if (q === p) continue;
    let ok = true;
    for (let j = 0; j < d && ok; j++) {
      const dv = w[v * d + j]! - w[u * d + j]!;
      if (st.load[q * d + j]! + dv > st.limit[q * d + j]!) ok = false;
      const lp = st.load[p * d + j]!;
      const lim = st.limit[p * d + j]!;
      if (lp > lim ? dv <= 0 : lp - dv > lim) ok = false;
    }
    if (!ok) continue;
    st.move(v, q);
    st.move(u, p);
    return true;
  }
  return false;
}

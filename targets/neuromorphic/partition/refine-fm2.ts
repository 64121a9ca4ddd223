/**
 * Two-way FM with exact gains (Fiduccia & Mattheyses, DAC 1982, on hypergraphs): every move
 * updates the gains of the pins of its nets through the classic critical-net rules, so a pass
 * costs O(pins). Used for all bisections of the initial partitioning, where the k-way search's
 * recomputed gains would be wasteful.
 */
import { IndexedMaxHeap } from './heap.ts';
import type { PartState } from './part-state.ts';
import type { Rng } from './rng.ts';

export interface Fm2Config {
  readonly passes: number;
  /** A pass stops after this many moves without a new best prefix. */
  readonly maxFruitless: number;
}

// fitsOther and bump are functions of the module, not closures of each pass (see refine-fm.ts).

/**
 * Whether v fits the other side. Moves may overshoot a limit by one vertex weight, so that with
 * no slack (ε = 0) a pass can still swap vertices; only prefixes that end within the limits are kept.
 */
function fitsOther(st: PartState, slack: Float64Array, v: number): boolean {
  const { d, w } = st.h;
  const q = 1 - st.part[v]!;
  for (let j = 0; j < d; j++) if (st.load[q * d + j]! + w[v * d + j]! > st.limit[q * d + j]! + slack[j]!) return false;
  return true;
}

/** Adds delta to u's gain, and re-keys u in its side's heap unless it is locked. */
function bump(gain: Float64Array, locked: Uint8Array, heaps: readonly IndexedMaxHeap[], part: Int32Array, u: number, delta: number): void {
  gain[u]! += delta;
  if (!locked[u]) heaps[part[u]!]!.set(u, gain[u]!);
}

export function fmBisection(st: PartState, rng: Rng, cfg: Fm2Config): number {
  const h = st.h;
  const { nv, ne, d, eptr, pins, ewgt, w, vptr, vnets } = h;
  const part = st.part;
  const cnt0 = new Int32Array(ne);
  const gain = new Float64Array(nv);
  const locked = new Uint8Array(nv);
  const boundary = new Uint8Array(nv);
  const heaps = [new IndexedMaxHeap(nv), new IndexedMaxHeap(nv)];
  const order = new Int32Array(nv);
  const movedV = new Int32Array(nv);
  const slack = new Float64Array(d);
  for (let v = 0; v < nv; v++) for (let j = 0; j < d; j++) slack[j] = Math.max(slack[j]!, w[v * d + j]!);
  let total = 0;
  for (let pass = 0; pass < cfg.passes; pass++) {
    const startFeasible = st.feasible();
    // The state already counts each side's pins per net; a net's pins need a visit only when
    // it is cut or the vertices' gains change (every pin of an uncut net loses w(e) by moving).
    gain.fill(0);
    boundary.fill(0);
    for (let e = 0; e < ne; e++) {
      const s = eptr[e]!;
      const end = eptr[e + 1]!;
      const n = end - s;
      const c0 = st.pinCount(e, 0);
      cnt0[e] = c0;
      const we = ewgt[e]!;
      if (n === 1) {
        // Never built by the engine (nets of < 2 pins are dropped); the classic rule counts its
        // only pin as the last one on its side.
        gain[pins[s]!]! += we;
        continue;
      }
      if (c0 === 0 || c0 === n) {
        for (let i = s; i < end; i++) gain[pins[i]!]! -= we;
        continue;
      }
      for (let i = s; i < end; i++) {
        const u = pins[i]!;
        boundary[u] = 1;
        if ((part[u] === 0 ? c0 : n - c0) === 1) gain[u]! += we;
      }
    }
    locked.fill(0);
    let nb = 0;
    for (let v = 0; v < nv; v++) order[v] = v;
    rng.shuffle(order);
    for (let i = 0; i < nv; i++) {
      const v = order[i]!;
      if (boundary[v]) {
        heaps[part[v]!]!.insert(v, gain[v]!);
        nb++;
      }
    }
    if (nb === 0) break;
    let sum = 0;
    let best = 0;
    let bestLen = 0;
    let n = 0;
    let fruitless = 0;
    let feasibleSeen = false;
    while (heaps[0]!.size + heaps[1]!.size > 0) {
      // The better top of the two sides that may move; an infeasible top waits in its heap.
      let side = -1;
      for (let s = 0; s < 2; s++) {
        const hp = heaps[s]!;
        while (hp.size > 0 && !fitsOther(st, slack, hp.top())) hp.pop();
        if (hp.size > 0 && (side < 0 || hp.topKey() > heaps[side]!.topKey())) side = s;
      }
      if (side < 0) break;
      const v = heaps[side]!.pop();
      const g = gain[v]!;
      const from = side;
      const to = 1 - side;
      locked[v] = 1;
      for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
        const e = vnets[k]!;
        const we = ewgt[e]!;
        const s = eptr[e]!;
        const end = eptr[e + 1]!;
        const size = end - s;
        const cTo = to === 0 ? cnt0[e]! : size - cnt0[e]!;
        if (cTo === 0) {
          for (let i = s; i < end; i++) if (pins[i] !== v) bump(gain, locked, heaps, part, pins[i]!, we);
        } else if (cTo === 1) {
          for (let i = s; i < end; i++) if (part[pins[i]!] === to) bump(gain, locked, heaps, part, pins[i]!, -we);
        }
        cnt0[e]! += to === 0 ? 1 : -1;
        const cFrom = from === 0 ? cnt0[e]! : size - cnt0[e]!;
        if (cFrom === 0) {
          for (let i = s; i < end; i++) if (pins[i] !== v) bump(gain, locked, heaps, part, pins[i]!, -we);
        } else if (cFrom === 1) {
          for (let i = s; i < end; i++) if (part[pins[i]!] === from && pins[i] !== v) bump(gain, locked, heaps, part, pins[i]!, we);
        }
      }
      st.move(v, to);
      gain[v] = -g;
      movedV[n++] = v;
      sum += g;
      const ok = st.feasible();
      if (ok && (sum > best + 1e-12 * Math.abs(best) || (!startFeasible && bestLen === 0 && n > 0 && !feasibleSeen))) {
        feasibleSeen = true;
        best = sum;
        bestLen = n;
        fruitless = 0;
      } else if (++fruitless >= cfg.maxFruitless) break;
    }
    heaps[0]!.clear();
    heaps[1]!.clear();
    for (let i = n - 1; i >= bestLen; i--) {
      const v = movedV[i]!;
      st.move(v, 1 - part[v]!);
    }
    total += best;
    if (best <= 0) break;
  }
  return total;
}

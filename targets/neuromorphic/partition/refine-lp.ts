/**
 * Label-propagation refinement: visit the vertices that can gain in random order and move each to
 * its best adjacent part when that lowers the objective and the part has room. Finding them is a
 * sequential scan of the nets, whereas asking every vertex would cost a cache miss per incidence
 * — on a million-neuron network most vertices cannot gain.
 */
import type { PartState } from './part-state.ts';
import type { Rng } from './rng.ts';

/**
 * Vertices that can gain: with (λ−1) alone a move gains only if the vertex is the last pin of its
 * part in some net (gain = b − Σw + Σ_{e∋q} w ≤ b), so only those are candidates. With the
 * synapse-cut term every pin of a cut net is. Without it, `freed[v]` receives b(v) = Σ w(e) over
 * the nets where v is its part's last pin, which the scan finds anyway.
 */
function candidates(st: PartState, mark: Uint8Array, freed: Float64Array, lone: Int32Array): Int32Array {
  const { ne, nv, eptr, pins, ewgt } = st.h;
  const { net, conn, part } = st;
  const all = st.beta > 0;
  mark.fill(0);
  if (!all) freed.fill(0);
  lone.fill(-1);
  let n = 0;
  for (let e = 0; e < ne; e++) {
    const s = eptr[e]!;
    const cs = net[2 * e + 1]!;
    if (cs < 2) continue;
    if (all) {
      for (let i = s; i < eptr[e + 1]!; i++) {
        const v = pins[i]!;
        if (mark[v]) continue;
        mark[v] = 1;
        n++;
      }
      continue;
    }
    const cEnd = 2 * (s + cs);
    // lone[q] === e marks the parts with one pin in e; each such pin is found once, so the scan
    // stops after the last (on spiking_cnn's input level, nets of ~300 pins and λ up to ~10,
    // asking every pin for its part's count was most of a round's time).
    let singles = 0;
    for (let i = 2 * s; i < cEnd; i += 2) {
      if (conn[i + 1] === 1) {
        lone[conn[i]!] = e;
        singles++;
      }
    }
    if (singles === 0) continue;
    const we = ewgt[e]!;
    for (let i = s; i < eptr[e + 1]! && singles > 0; i++) {
      const v = pins[i]!;
      if (lone[part[v]!] !== e) continue;
      singles--;
      freed[v]! += we;
      if (mark[v]) continue;
      mark[v] = 1;
      n++;
    }
  }
  const out = new Int32Array(n);
  let j = 0;
  for (let v = 0; v < nv; v++) if (mark[v]) out[j++] = v;
  return out;
}

/**
 * A cheap necessary condition for a positive (λ−1) gain: a net entirely in v's part (λ = 1) costs
 * its weight for every target part, and at most the nets where v is its part's last pin can be
 * freed, so gain ≤ b(v) − Σ_{λ(e)=1} w(e). `b` is an upper bound on b(v) kept by the caller; the
 * rest needs one read of each net's size where bestMove reads the connectivity sets. Most
 * candidates of a fine level fail it: on dvs-1m, k = 1024, it lets 12% of the input level's
 * candidates through, where Σ_{λ(e)>1} w(e) in place of b(v) let 40% through, for 0.3% moving.
 */
function mayGain(st: PartState, v: number, b: number): boolean {
  const { vptr, vnets, ewgt } = st.h;
  const net = st.net;
  let bound = b;
  for (let k = vptr[v]!; k < vptr[v + 1]! && bound > 0; k++) {
    const e = vnets[k]!;
    if (net[2 * e + 1]! === 1) bound -= ewgt[e]!;
  }
  return bound > 0;
}

/**
 * After v left part p: nets where p is left with one pin make that pin its part's last one, so
 * its b grows (every other change of a round only lowers some b, which keeps the bounds valid).
 */
function raiseFreed(st: PartState, v: number, p: number, freed: Float64Array): void {
  const { vptr, vnets, ewgt, eptr, pins } = st.h;
  const part = st.part;
  for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
    const e = vnets[k]!;
    if (st.pinCount(e, p) !== 1) continue;
    for (let i = eptr[e]!; i < eptr[e + 1]!; i++) {
      if (part[pins[i]!] === p) {
        freed[pins[i]!]! += ewgt[e]!;
        break;
      }
    }
  }
}

/** Stops when a round gains less than `minGain` of the objective. */
export function labelPropagation(st: PartState, rng: Rng, rounds: number, minGain = 1e-3): number {
  const mark = new Uint8Array(st.h.nv);
  const prune = st.beta === 0;
  const freed = new Float64Array(prune ? st.h.nv : 0);
  const lone = new Int32Array(st.k);
  let total = 0;
  for (let r = 0; r < rounds; r++) {
    const order = rng.shuffle(candidates(st, mark, freed, lone));
    const before = st.objective;
    let moves = 0;
    let gained = 0;
    for (let i = 0; i < order.length; i++) {
      const v = order[i]!;
      if (prune && !mayGain(st, v, freed[v]!)) continue;
      const t = st.bestMove(v);
      if (t >= 0 && st.lastGain > 0) {
        gained += st.lastGain;
        const p = st.part[v]!;
        st.move(v, t);
        if (prune) raiseFreed(st, v, p, freed);
        moves++;
      }
    }
    total += before - st.objective;
    if (moves === 0 || gained <= minGain * st.objective) break;
  }
  return total;
}

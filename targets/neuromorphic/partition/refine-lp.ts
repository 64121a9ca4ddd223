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
 * synapse-cut term every pin of a cut net is.
 */
function candidates(st: PartState, mark: Uint8Array): Int32Array {
  const { ne, nv, eptr, pins } = st.h;
  const { cPart, cCnt, cSize, part } = st;
  const all = st.beta > 0;
  mark.fill(0);
  let n = 0;
  for (let e = 0; e < ne; e++) {
    const s = eptr[e]!;
    const cs = cSize[e]!;
    if (cs < 2) continue;
    let single = all;
    for (let i = s; i < s + cs && !single; i++) if (cCnt[i] === 1) single = true;
    if (!single) continue;
    for (let i = s; i < eptr[e + 1]!; i++) {
      const v = pins[i]!;
      if (mark[v]) continue;
      if (!all) {
        const p = part[v]!;
        let c = 0;
        for (let j = s; j < s + cs; j++) if (cPart[j] === p) c = cCnt[j]!;
        if (c !== 1) continue;
      }
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
 * A cheap necessary condition for a positive (λ−1) gain, read from the nets' sizes alone: a net
 * entirely in v's part (λ = 1) costs its weight for every target part, and at most the other
 * nets can be freed, so gain ≤ Σ_{λ(e)>1} w(e) − Σ_{λ(e)=1} w(e). Two reads per net where
 * bestMove needs the connectivity sets; most candidates of a fine level fail it.
 */
function mayGain(st: PartState, v: number): boolean {
  const { vptr, vnets, ewgt } = st.h;
  const cs = st.cSize;
  let bound = 0;
  for (let k = vptr[v]!; k < vptr[v + 1]!; k++) {
    const e = vnets[k]!;
    bound += cs[e]! > 1 ? ewgt[e]! : -ewgt[e]!;
  }
  return bound > 0;
}

/** Stops when a round gains less than `minGain` of the objective. */
export function labelPropagation(st: PartState, rng: Rng, rounds: number, minGain = 1e-3): number {
  const mark = new Uint8Array(st.h.nv);
  const prune = st.beta === 0;
  let total = 0;
  for (let r = 0; r < rounds; r++) {
    const order = rng.shuffle(candidates(st, mark));
    const before = st.objective;
    let moves = 0;
    let gained = 0;
    for (let i = 0; i < order.length; i++) {
      const v = order[i]!;
      if (prune && !mayGain(st, v)) continue;
      const t = st.bestMove(v);
      if (t >= 0 && st.lastGain > 0) {
        gained += st.lastGain;
        st.move(v, t);
        moves++;
      }
    }
    total += before - st.objective;
    if (moves === 0 || gained <= minGain * st.objective) break;
  }
  return total;
}

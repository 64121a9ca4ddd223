/**
 * `--precision auto`: a greedy per-layer search. It starts with every layer at the widest listed
 * precision and, one step at a time, narrows the single layer whose next narrower precision costs
 * the least accuracy per bit-operation saved, until no layer can narrow further; each step is a
 * variant (the path traces an accuracy/cost curve, and the caller keeps the steps that land on a
 * target's Pareto front). The first and last layers that multiply never go narrower than i8 (or
 * the widest listed choice if none is that wide): the BNN paper keeps them real (Courbariaux,
 * Hubara et al. 2016) and the int8 papers report them as the most sensitive (Jacob et al. 2018;
 * Krishnamoorthi 2018).
 *
 * The search's price is bit operations, Σ MACs × weight bits × input bits (the BOPs of Baskin et
 * al. 2018 and van Baalen et al. 2020): it is the same on every target, so one search serves them
 * all, and every step is then priced on each target by its own cost model.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { moduleWork } from '../../targets/workload.ts';
import { label, multiplyingLayers, narrowness, type PrecisionChoice, type Variant, variantModule, weightLayers } from './variants.ts';

export const bitOps = (m: Module): number => moduleWork(m).reduce((a, l) => a + l.macs * l.weightBits * l.inputBits, 0);

/** The narrowest precision the first and last layers may take. */
function endsFloor(order: readonly PrecisionChoice[]): PrecisionChoice {
  const wideEnough = order.filter((p) => narrowness(p) <= narrowness('i8'));
  return wideEnough.at(-1) ?? order[0]!;
}

/**
 * The greedy path for one dropout rate. `accuracy` evaluates a variant (cached by the caller);
 * `onStep` hears each step taken. Returns the steps that are mixes (uniform ones are already variants).
 */
export function greedyMixes(m: Module, choices: readonly PrecisionChoice[], dropout: number | undefined, accuracy: (v: Variant) => number,
  onStep?: (step: Variant, tried: number) => void): Variant[] {
  const order = [...choices].sort((a, b) => narrowness(a) - narrowness(b));
  const ids = weightLayers(m);
  const n = ids.length;
  // Layers without multiply-accumulates (batchnorm) save no bit operations; they stay at the
  // widest choice, as binarized networks keep batch norm real, and labels leave them out.
  const multiplies = multiplyingLayers(m);
  const searched = ids.flatMap((id, i) => (multiplies.has(id) ? [i] : []));
  const first = searched[0], last = searched.at(-1);
  const floor = endsFloor(order);
  const variant = (layers: PrecisionChoice[]): Variant => ({ label: label(layers, dropout, (i) => multiplies.has(ids[i]!)), layers, dropout });
  const cost = (v: Variant) => bitOps(variantModule(m, v));
  let cur = variant(Array<PrecisionChoice>(n).fill(order[0]!));
  let curAcc = accuracy(cur), curCost = cost(cur);
  const path: Variant[] = [];
  for (;;) {
    const candidates: Variant[] = [];
    searched.forEach((i) => {
      const next = order[order.indexOf(cur.layers[i]!) + 1];
      if (next === undefined || ((i === first || i === last) && narrowness(next) > narrowness(floor))) return;
      candidates.push(variant(cur.layers.map((q, j) => (j === i ? next : q))));
    });
    if (candidates.length === 0) break;
    // Accuracy lost per bit operation saved; a step that saves nothing goes last, one that gains accuracy first.
    const scored = candidates.map((v) => {
      const acc = accuracy(v), c = cost(v);
      const saved = curCost - c;
      return { v, acc, c, score: saved > 0 ? (curAcc - acc) / saved : Infinity };
    });
    const best = scored.reduce((a, b) => (b.score < a.score || (b.score === a.score && b.c < a.c) ? b : a));
    cur = best.v;
    curAcc = best.acc;
    curCost = best.c;
    path.push(cur);
    onStep?.(cur, candidates.length);
  }
  // A step whose multiplying layers are all one precision is that precision's uniform variant
  // but for the batch norms kept wide (the last one's output width): same label, not a mix.
  return path.filter((v) => searched.some((i) => v.layers[i] !== v.layers[searched[0]!]));
}

/**
 * Pareto marking per target: a row is Pareto-optimal when no other row on the same target is at
 * least as accurate and at least as cheap (energy and latency per inference, parameter bytes) and
 * strictly better in one of them. Rows that tie on everything are all kept: neither beats the other.
 */

export interface Point {
  accuracy: number;
  energy_j: number;
  latency_s: number;
  param_bytes: number;
}

/** `a` is at least as good as `b` everywhere and better somewhere. */
export function dominates(a: Point, b: Point): boolean {
  const noWorse = a.accuracy >= b.accuracy && a.energy_j <= b.energy_j && a.latency_s <= b.latency_s && a.param_bytes <= b.param_bytes;
  const better = a.accuracy > b.accuracy || a.energy_j < b.energy_j || a.latency_s < b.latency_s || a.param_bytes < b.param_bytes;
  return noWorse && better;
}

/** For each point, whether it is on the front (not dominated by any other). */
export function paretoFront(points: readonly Point[]): boolean[] {
  return points.map((p) => !points.some((q) => q !== p && dominates(q, p)));
}

/**
 * Pareto marking per target: a row is Pareto-optimal when no other row on the same target is at
 * least as accurate and at least as cheap (energy per inference) and strictly better in one of the
 * two. Energy is the price: with latency and bytes as further axes nearly every row would be
 * on the front, and the knee would not show. Rows that tie on both are all kept: neither beats the other.
 */

export interface Point {
  accuracy: number;
  energy_j: number;
}

/** `a` is at least as good as `b` everywhere and better somewhere. */
export function dominates(a: Point, b: Point): boolean {
  return a.accuracy >= b.accuracy && a.energy_j <= b.energy_j && (a.accuracy > b.accuracy || a.energy_j < b.energy_j);
}

/** For each point, whether it is on the front (not dominated by any other). */
export function paretoFront(points: readonly Point[]): boolean[] {
  return points.map((p) => !points.some((q) => q !== p && dominates(q, p)));
}

/**
 * The lines `kiln run` and `kiln train` add for a network with `delta =` layers: per layer the
 * share of the dense layer's multiply-accumulates it did on the data (runtime/delta-activity.ts).
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { Dataset } from '../../runtime/data/dataset.ts';
import { type DeltaActivity, hasDeltaLayers, measureDeltaActivity } from '../../runtime/delta-activity.ts';
import type { Weights } from '../../runtime/interpreter.ts';

const count = (n: number) => Math.round(n).toLocaleString('en-US');

export function deltaActivity(m: Module, weights: Weights, data: Dataset, limit?: number): DeltaActivity | undefined {
  return hasDeltaLayers(m) ? measureDeltaActivity(m, weights, data, limit ?? data.count) : undefined;
}

export function formatDeltaActivity(a: DeltaActivity): string {
  const lines = Object.entries(a.layers).map(([id, l]) =>
    `  ${id}: ${(100 * l.delta_fraction).toFixed(1)}% of the dense MACs (${count(l.done)} done, ${count(l.dense - l.done)} skipped; ${l.delta_fraction > 0 ? (1 / l.delta_fraction).toFixed(1) : '∞'}× fewer)\n`);
  return `delta layers over ${a.samples} samples:\n${lines.join('')}`;
}

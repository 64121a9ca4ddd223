/**
 * The lines `kiln run` and `kiln train` add for a network with sigma-delta layers: per layer what
 * its units transmitted on the data (runtime/sigma-delta-activity.ts).
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { Dataset } from '../../runtime/data/dataset.ts';
import type { Weights } from '../../runtime/interpreter.ts';
import { type SigmaDeltaActivity, hasSigmaDelta, measureSigmaDeltaActivity } from '../../runtime/sigma-delta-activity.ts';

export function sigmaDeltaActivity(m: Module, weights: Weights, data: Dataset, limit?: number): SigmaDeltaActivity | undefined {
  return hasSigmaDelta(m) ? measureSigmaDeltaActivity(m, weights, data, limit ?? data.count) : undefined;
}

export function formatSigmaDeltaActivity(a: SigmaDeltaActivity): string {
  const lines = Object.entries(a.layers).map(([id, l]) =>
    `  ${id}: ${l.fixed_bits.toFixed(2)} bits per activation at most on average (fixed width per unit), ${l.entropy_bits.toFixed(2)} bits entropy; ` +
    `${l.events_per_activation.toFixed(3)} events per unit and step, ${(100 * l.zero_fraction).toFixed(1)}% silent\n`);
  return `sigma-delta layers over ${a.samples} samples:\n${lines.join('')}`;
}

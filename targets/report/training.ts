/**
 * The text report of `kiln estimate --training`: a totals table per training step and per epoch
 * with the forward / backward / update split, per-layer tables on request, and the classifier's
 * last-layer bit-width against its bound. The same results as --json.
 */
import { fmtJ } from '../config.ts';
import { failed, type EstimateFailure } from '../estimate.ts';
import type { LayerStats, TargetResult } from '../stats.ts';
import { offChip, PHASES, type OffChip, type PhaseFigures } from '../training/estimate.ts';
import { lastLayerLine, type LastLayerBits } from '../training/last-layer-bits.ts';
import { fmtBytes, fmtN, fmtS, grid, pct } from './render.ts';

export type TrainingEntry = TargetResult | OffChip | EstimateFailure;

const phasesOf = (l: LayerStats) => l.details!.phases as Record<(typeof PHASES)[number], PhaseFigures>;

function layerTable(layers: LayerStats[]): string {
  const rows = layers.map((l) => {
    const p = phasesOf(l);
    return [l.name, l.op, fmtN(p.forward.macs), fmtN(p.backward.macs), fmtN(l.cycles), fmtJ(p.forward.energy_j), fmtJ(p.backward.energy_j), fmtJ(p.update.energy_j), fmtJ(l.energy_j), fmtBytes(l.param_bytes)];
  });
  return grid(['layer', 'op', 'fwd MACs', 'bwd MACs', 'cycles', 'fwd energy', 'bwd energy', 'update energy', 'energy', 'params'], rows);
}

function totalsTable(entries: TrainingEntry[], batch: number, steps: number | undefined): string {
  const head = ['', ...entries.map((r) => r.target)];
  const row = (label: string, f: (r: TargetResult) => string) => [label, ...entries.map((e) => (failed(e) ? (label === 'kind' ? 'n/a' : '') : offChip(e) ? (label === 'kind' ? `${e.kind}: off-chip` : '') : f(e)))];
  const ph = (r: TargetResult) => r.summary.phases as Record<(typeof PHASES)[number], PhaseFigures>;
  const epoch = (r: TargetResult) => r.summary.per_epoch as { latency_s: number; energy_j: number } | undefined;
  const opt = (r: TargetResult) => r.summary.optimizer as { name: string; priced: boolean; state_buffers: number; state_bytes: number };
  return grid(head, [
    row('kind', (r) => r.kind),
    [`per training step (batch ${batch})`, ...entries.map(() => '')],
    row('  latency', (r) => fmtS(r.summary.latency_s)),
    row('  energy', (r) => fmtJ(r.summary.energy_j)),
    ...PHASES.map((p) => row(`    ${p}`, (r) => `${fmtJ(ph(r)[p].energy_j)}, ${fmtS(ph(r)[p].latency_s)}`)),
    row('  MACs', (r) => fmtN(r.summary.macs)),
    row('  utilization', (r) => pct(r.summary.utilization)),
    [steps === undefined ? 'per epoch: no train block, no data set' : `per epoch (${steps.toLocaleString('en-US')} steps)`, ...entries.map(() => '')],
    ...(steps === undefined ? [] : [row('  latency', (r) => fmtS(epoch(r)!.latency_s)), row('  energy', (r) => fmtJ(epoch(r)!.energy_j))]),
    row('optimizer state', (r) => (opt(r).priced ? `${opt(r).state_buffers} × params, ${fmtBytes(opt(r).state_bytes)}` : 'not priced')),
    row('parameters', (r) => fmtBytes(r.summary.param_bytes)),
  ]);
}

export interface TrainingReport {
  entries: TrainingEntry[];
  batch: number;
  steps?: number;
  /** Where the training settings come from (the train block, or the default used without one). */
  basis: string;
  lastLayer?: LastLayerBits;
  perLayer: boolean;
}

export function renderTraining(r: TrainingReport): string {
  const results = r.entries.filter((e): e is TargetResult => !failed(e) && !offChip(e));
  const out: string[] = [];
  if (r.perLayer) for (const t of results) out.push(`== ${t.target} (${t.kind}) — per layer, one training step (batch ${r.batch}) ==`, layerTable(t.layers), '');
  out.push(`== training totals: ${r.basis} ==`, totalsTable(r.entries, r.batch, r.steps));
  const opt = results[0]?.summary.optimizer as { note: string } | undefined;
  if (opt) out.push(`(${opt.note}; backward = the input and the weight gradient, each a GEMM the size of the forward one)`);
  if (r.lastLayer) out.push(lastLayerLine(r.lastLayer));
  for (const e of r.entries) {
    if (failed(e)) out.push(`n/a: ${e.target}: ${e.error}`);
    else if (offChip(e)) out.push(`off-chip: ${e.target}: ${e.off_chip}`);
  }
  for (const t of results) if (t.notes.length) out.push(`note: ${t.target} does not model ${t.notes.join('; ')}`);
  return out.join('\n') + '\n';
}

/**
 * The explore table: every variant priced on every target, per inference, with its accuracy and
 * parameter bytes, and the Pareto-optimal rows of each target marked. A target that cannot run a
 * variant keeps the row, with the reason in place of the figures.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { estimateEach, failed } from '../../targets/estimate.ts';
import { paretoFront } from './pareto.ts';

export interface ExploreRow {
  variant: string;
  target: string;
  kind: string;
  accuracy: number;
  energy_j: number | null;
  latency_s: number | null;
  param_bytes: number | null;
  pareto: boolean;
  /** Why the target has no figures for this variant. */
  error?: string;
}

/** The data a report renderer takes: the rows, and per target the rows on it. */
export interface ExploreData {
  network: string;
  mode: 'ptq' | 'train';
  epochs: number;
  test_samples: number;
  rows: ExploreRow[];
  targets: { target: string; kind: string; rows: ExploreRow[] }[];
}

export const NOT_SPIKING = 'not spiking: needs conversion (kiln convert)';

const isSpiking = (m: Module): boolean => Object.values(m.nodes).some((n) => n.op === 'lif');

/**
 * The network a target runs for a variant. Neuromorphic chips run spiking networks; this is where
 * a conversion of a rate-coded network to a spiking one plugs in (returning the converted
 * network), and until there is one a non-spiking variant has no figures there.
 */
export function networkForTarget(m: Module, target: TargetDescription): Module | undefined {
  if (target.kind === 'neuromorphic' && !isSpiking(m)) return undefined;
  return m;
}

/** `warn` hears each target's notes about assumptions it made (a quantization it assumed). */
export function priceVariant(variant: string, m: Module, accuracy: number, targets: TargetDescription[], warn: (w: string) => void = () => {}): ExploreRow[] {
  return targets.map((t) => {
    const base = { variant, target: t.name, kind: t.kind, accuracy, energy_j: null, latency_s: null, param_bytes: null, pareto: false };
    const net = networkForTarget(m, t);
    if (!net) return { ...base, error: NOT_SPIKING };
    const e = estimateEach({ kind: 'module', module: net }, [t])[0]!;
    if (failed(e)) return { ...base, error: e.error };
    e.warnings.forEach(warn);
    return { ...base, energy_j: e.summary.per_inference!.energy_j, latency_s: e.summary.per_inference!.latency_s, param_bytes: e.summary.param_bytes ?? null };
  });
}

/** Mark each target's Pareto front among the rows it could price. */
export function markPareto(rows: ExploreRow[]): ExploreRow[] {
  for (const target of new Set(rows.map((r) => r.target))) {
    const priced = rows.filter((r) => r.target === target && r.energy_j !== null);
    const front = paretoFront(priced.map((r) => ({ accuracy: r.accuracy, energy_j: r.energy_j! })));
    priced.forEach((r, i) => (r.pareto = front[i]!));
  }
  return rows;
}

const si = (x: number, unit: string): string => {
  const steps: [number, string][] = [[1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n'], [1e-12, 'p']];
  const [f, p] = steps.find(([f]) => Math.abs(x) >= f) ?? steps[steps.length - 1]!;
  return `${(x / f).toPrecision(4)} ${p}${unit}`;
};

const bytes = (b: number): string => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

/** One table per target, variants as rows, `*` marking the Pareto front. */
export function formatTable(d: ExploreData): string {
  const lines: string[] = [];
  const width = Math.max(7, ...d.rows.map((r) => r.variant.length));
  for (const t of d.targets) {
    lines.push(`${t.target} (${t.kind}), per inference:`);
    lines.push(`    ${'variant'.padEnd(width)}  ${'accuracy'.padStart(8)}  ${'energy'.padStart(11)}  ${'latency'.padStart(11)}  ${'params'.padStart(10)}`);
    for (const r of t.rows) {
      const acc = `${(100 * r.accuracy).toFixed(2)}%`.padStart(8);
      const cells = r.error ? `  ${r.error}` : `  ${si(r.energy_j!, 'J').padStart(11)}  ${si(r.latency_s!, 's').padStart(11)}  ${(r.param_bytes === null ? '-' : bytes(r.param_bytes)).padStart(10)}`;
      lines.push(`  ${r.pareto ? '*' : ' '} ${r.variant.padEnd(width)}  ${acc}${cells}`);
    }
    lines.push('');
  }
  lines.push('* Pareto-optimal on its target: no other variant is as accurate and uses as little energy per inference, and better in one.');
  return lines.join('\n') + '\n';
}

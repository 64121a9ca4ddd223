/**
 * The explore table: every variant priced on every target, per inference, with its accuracy and
 * parameter bytes, and the Pareto-optimal rows of each target marked. A target that cannot run a
 * variant keeps the row, with the reason in place of the figures.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { moduleToJson } from '../../compiler/ir/json.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { estimateEach, failed } from '../../targets/estimate.ts';
import type { RateOptions } from '../../targets/neuromorphic/rates.ts';
import { type EstimateResultJson, resultJson, type ExploreRow } from '../report/report-data.ts';

export type { ExploreRow } from '../report/report-data.ts';
import { partitionMapSvg } from '../report/partition-map.ts';
import { keyOf } from './cache.ts';
import { paretoFront } from './pareto.ts';
import type { ExploreSetup, VariantOutcome } from './run-variant.ts';
import { convertedLabel, isSpiking, rateOptions, snnFile } from './spiking.ts';
import { assignment, type Variant, variantModule } from './variants.ts';

export const NOT_SPIKING = 'not spiking: needs conversion (kiln convert)';

/** The data a report renderer takes: the rows, and per target the rows on it. */
export interface ExploreData {
  network: string;
  mode: 'ptq' | 'train';
  epochs: number;
  test_samples: number;
  rows: ExploreRow[];
  targets: { target: string; kind: string; rows: ExploreRow[] }[];
  /** Time steps of the spiking conversion, when neuromorphic targets needed one. */
  timesteps?: number;
}

/**
 * One column of the table: a target, or for `--chips 1,2,4,8` a neuromorphic target at one chip
 * count (partitioned onto that many chips), named with the count so its rows and front are its own.
 */
export interface Column {
  desc: TargetDescription;
  name: string;
  chips?: number;
}

export function columns(targets: readonly TargetDescription[], chips: readonly number[] | undefined): Column[] {
  return targets.flatMap((desc) =>
    desc.kind === 'neuromorphic' && chips ? chips.map((n) => ({ desc, name: `${desc.name} (${n} chip${n === 1 ? '' : 's'})`, chips: n })) : [{ desc, name: desc.name }]);
}

/** A priced row and the estimate behind it (for the report's per-layer charts), or only the row. */
export interface Priced {
  /** The variant's own label (a converted row's `variant` adds `→ SNN T=…`). */
  label: string;
  row: ExploreRow;
  entry?: EstimateResultJson;
  /** A neuromorphic column's partition map, drawn on demand (it partitions again when the price came from the cache). */
  map?: () => string;
}

/**
 * The variant on every column. Neuromorphic chips run spiking networks: a network that is not one
 * runs as its conversion (`snn`), whose accuracy and label the row takes. Neuromorphic prices
 * (a partitioning each) are cached by what decides them.
 */
export function priceVariant(s: ExploreSetup, v: Variant, r: VariantOutcome, cols: readonly Column[], warn: (w: string) => void = () => {}): Priced[] {
  const m = variantModule(s.module, v);
  // The same on every column (the rows share it: nothing edits a row's layers).
  const layers = assignment(s.module, v);
  let snnModule: Module | undefined;
  return cols.map((c) => {
    const t = c.desc;
    const base: ExploreRow = { variant: v.label, layers, target: c.name, kind: t.kind, accuracy: r.accuracy, energy_j: null, latency_s: null, param_bytes: null, pareto: false, ...(c.chips ? { chips: c.chips } : {}) };
    let net = m, rates: RateOptions = {};
    if (t.kind === 'neuromorphic' && !isSpiking(m)) {
      const snn = r.snn;
      if (!snn) return { label: v.label, row: { ...base, error: NOT_SPIKING } };
      if ('error' in snn) return { label: v.label, row: { ...base, error: snn.error } };
      Object.assign(base, { variant: convertedLabel(v.label, snn.timesteps, snn.reluRates), accuracy: snn.accuracy, timesteps: snn.timesteps });
      snnModule ??= prepare(snnFile(m), { readFile: () => snn.text }).module;
      net = snnModule;
      rates = rateOptions(snn);
    }
    const price = () => {
      const e = estimateEach({ kind: 'module', module: net }, [t], { ...rates, chips: c.chips })[0]!;
      return failed(e) ? { error: e.error } : resultJson(e);
    };
    const key = t.kind === 'neuromorphic' ? keyOf({ ...(s.identity as object), network: moduleToJson(net), target: t, chips: c.chips, rates: r.snn && !('error' in r.snn) && net !== m ? r.snn.rates : null }) : undefined;
    let e = key === undefined ? undefined : s.cache.read<EstimateResultJson | { error: string }>(key, 'price');
    if (!e) {
      e = price();
      if (key !== undefined) s.cache.write(key, e, 'price');
    }
    if ('error' in e) return { label: v.label, row: { ...base, error: e.error } };
    e.warnings.forEach(warn);
    const row = { ...base, energy_j: e.summary.per_inference!.energy_j, latency_s: e.summary.per_inference!.latency_s, param_bytes: e.summary.param_bytes ?? null };
    return { label: v.label, row, entry: e, ...(t.kind === 'neuromorphic' ? { map: () => partitionMapSvg(t, net, { ...rates, chips: c.chips }, `kiln explore, variant ${row.variant}`) } : {}) };
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

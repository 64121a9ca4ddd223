/**
 * `kiln explore --report FILE.html`: the same page `kiln estimate --report` writes
 * (cli/report/html.ts, one renderer), with the explore rows (the Pareto scatter and table; the
 * embedded `explore.rows` are exactly `--json`'s rows) and, for the per-layer charts and tables,
 * the estimate of every variant on its column's Pareto front, named `column · variant`. Each
 * neuromorphic column embeds the partition map of its most accurate front variant.
 */
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import { renderReport } from '../report/html.ts';
import type { EstimateJson } from '../report/report-data.ts';
import type { ExploreData, Priced } from './rows.ts';

export function writeExploreReport(file: string, data: ExploreData, priced: readonly Priced[]): void {
  const front = priced.filter((p) => p.row.pareto && p.entry);
  const estimate: EstimateJson = { results: front.map((p) => ({ ...p.entry!, target: `${p.row.target} · ${p.row.variant}` })) };
  const maps = data.targets.flatMap((t) => {
    const best = front.filter((p) => p.row.target === t.target && p.map).sort((a, b) => b.row.accuracy - a.row.accuracy)[0];
    return best ? [{ target: `${t.target} · ${best.row.variant}`, svg: best.map!() }] : [];
  });
  const title = `${data.network}: ${new Set(data.rows.map((r) => r.variant)).size} variants on ${data.targets.map((t) => t.target).join(', ')}`;
  writeFileAtomic(file, renderReport({ title, explore: { rows: data.rows }, estimate: estimate.results.length ? estimate : undefined, maps }), 'report');
}

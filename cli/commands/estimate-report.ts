/**
 * `kiln estimate --report FILE.html`: the estimate as an HTML page with charts
 * (cli/report/html.ts), plus the partition map of every neuromorphic target the network ran on.
 */
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import type { EstimateEntry, Workload } from '../../targets/estimate.ts';
import type { RateOptions } from '../../targets/neuromorphic/cost.ts';
import { renderReport } from '../report/html.ts';
import { partitionMaps } from '../report/partition-maps.ts';
import { estimateJson } from '../report/report-data.ts';

export function writeEstimateReport(file: string, source: string, workload: Workload, targets: readonly TargetDescription[], entries: readonly EstimateEntry[], rates: RateOptions): void {
  const maps = partitionMaps(source, workload, targets, entries, rates);
  const title = `${workload.kind === 'module' ? workload.module.name : workload.name}: estimate on ${targets.map((t) => t.name).join(', ')}`;
  writeFileAtomic(file, renderReport({ title, estimate: estimateJson(entries), maps }), 'report');
}

/**
 * `kiln estimate --report FILE.html`: the estimate as an HTML page with charts
 * (cli/report/html.ts), plus the partition map of every neuromorphic target the network ran on,
 * drawn as `kiln partition --svg` draws it.
 */
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { failed, type EstimateEntry, type Workload } from '../../targets/estimate.ts';
import type { RateOptions } from '../../targets/neuromorphic/cost.ts';
import { partitionMapSvg } from '../report/partition-map.ts';
import { renderReport } from '../report/html.ts';
import { estimateJson } from '../report/report-data.ts';

export function writeEstimateReport(file: string, source: string, workload: Workload, targets: readonly TargetDescription[], entries: readonly EstimateEntry[], rates: RateOptions): void {
  const maps: { target: string; svg: string }[] = [];
  if (workload.kind === 'module') {
    const m = workload.module;
    targets.forEach((desc, i) => {
      if (desc.kind !== 'neuromorphic' || failed(entries[i]!)) return;
      maps.push({ target: desc.name, svg: partitionMapSvg(desc, m, rates, source) });
    });
  }
  const title = `${workload.kind === 'module' ? workload.module.name : workload.name}: estimate on ${targets.map((t) => t.name).join(', ')}`;
  writeFileAtomic(file, renderReport({ title, estimate: estimateJson(entries), maps }), 'report');
}

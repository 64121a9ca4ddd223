/**
 * `kiln estimate --report FILE.html`: the estimate as an HTML page with charts
 * (cli/report/html.ts), plus the partition map of every neuromorphic target the network ran on,
 * drawn as `kiln partition --svg` draws it.
 */
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { failed, type EstimateEntry, type Workload } from '../../targets/estimate.ts';
import { neuromorphicEstimate, type RateOptions } from '../../targets/neuromorphic/cost.ts';
import { renderMappingSvg } from '../../targets/neuromorphic/map-svg.ts';
import { buildMapping } from '../../targets/neuromorphic/mapping-artifact.ts';
import { renderReport } from '../report/html.ts';
import { estimateJson } from '../report/report-data.ts';

export function writeEstimateReport(file: string, source: string, workload: Workload, targets: readonly TargetDescription[], entries: readonly EstimateEntry[], rates: RateOptions): void {
  const maps: { target: string; svg: string }[] = [];
  if (workload.kind === 'module') {
    const m = workload.module;
    targets.forEach((desc, i) => {
      if (desc.kind !== 'neuromorphic' || failed(entries[i]!)) return;
      // Same module, target and rates as the estimate, so mapNetwork answers from its cache.
      const est = neuromorphicEstimate(desc, m, rates);
      maps.push({ target: desc.name, svg: renderMappingSvg(buildMapping(est.mapping, est.events, est.config, { source, network: m.name, target: desc.name })) });
    });
  }
  const title = `${workload.kind === 'module' ? workload.module.name : workload.name}: estimate on ${targets.map((t) => t.name).join(', ')}`;
  writeFileAtomic(file, renderReport({ title, estimate: estimateJson(entries), maps }), 'report');
}

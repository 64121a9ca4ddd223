/**
 * The partition map of every neuromorphic target an estimate ran on, drawn as `kiln partition
 * --svg` draws it: for the HTML report (cli/commands/estimate-report.ts) and the browser
 * playground alike, so both show the mapping the estimate priced.
 */
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { failed, type EstimateEntry, type Workload } from '../../targets/estimate.ts';
import type { RateOptions } from '../../targets/neuromorphic/cost.ts';
import { partitionMapSvg } from './partition-map.ts';

export function partitionMaps(source: string, workload: Workload, targets: readonly TargetDescription[], entries: readonly EstimateEntry[], rates: RateOptions): { target: string; svg: string }[] {
  if (workload.kind !== 'module') return [];
  const m = workload.module;
  return targets.flatMap((desc, i) => {
    if (desc.kind !== 'neuromorphic' || failed(entries[i]!)) return [];
    return [{ target: desc.name, svg: partitionMapSvg(desc, m, rates, source) }];
  });
}

/**
 * The partition map a report embeds for a neuromorphic target: the network placed as the estimate
 * placed it (same module, target, rates and chip count, so mapNetwork answers from its cache when
 * the estimate ran in this process), drawn as `kiln partition --svg` draws it.
 */
import type { Module } from '../../compiler/ir/module.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { neuromorphicEstimate, type NeuromorphicOptions } from '../../targets/neuromorphic/cost.ts';
import { renderMappingSvg } from '../../targets/neuromorphic/map-svg.ts';
import { buildMapping } from '../../targets/neuromorphic/mapping-artifact.ts';

export function partitionMapSvg(desc: TargetDescription, m: Module, opts: NeuromorphicOptions, source: string): string {
  const est = neuromorphicEstimate(desc, m, opts);
  return renderMappingSvg(buildMapping(est.mapping, est.events, est.config, { source, network: m.name, target: desc.name }));
}

/**
 * The data an HTML report shows, as plain JSON: the object `kiln estimate --json` prints and, from
 * `kiln explore`, one row per (variant, target). The report embeds exactly this object, so a
 * reader (or a test) can compare what it draws with the command's --json.
 */
import { failed, type EstimateEntry } from '../../targets/estimate.ts';
import type { TargetResult } from '../../targets/stats.ts';

export type EstimateResultJson = Pick<TargetResult, 'target' | 'kind' | 'summary' | 'layers' | 'warnings' | 'notes' | 'prices'>;
export interface EstimateFailureJson {
  target: string;
  kind: string;
  error: string;
}
/** What `kiln estimate --json` prints. */
export interface EstimateJson {
  results: (EstimateResultJson | EstimateFailureJson)[];
}

/** One point of a design-space exploration: a network variant priced on one target (`kiln explore --json`'s rows). */
export interface ExploreRow {
  /** The label: the precisions of the layers that multiply, in order (one when they agree). */
  variant: string;
  /** Every layer with weights (batch norms too) and the weight and output types the variant gives it. */
  layers: Record<string, { weights: string; activations: string }>;
  target: string;
  kind: string;
  /** Test accuracy as a fraction in [0, 1]. */
  accuracy: number;
  /** Per inference; null (and `error` says why) where the target cannot run the variant. */
  energy_j: number | null;
  latency_s: number | null;
  param_bytes: number | null;
  /** On the target's accuracy/energy Pareto front. */
  pareto: boolean;
  /** The chip count a neuromorphic column partitions onto (--chips). */
  chips?: number;
  /** Time steps of a converted (spiking) variant. */
  timesteps?: number;
  /** Why the target has no figures for this variant. */
  error?: string;
}

export interface ReportInput {
  /** Heading of the page. */
  title: string;
  estimate?: EstimateJson;
  explore?: { rows: ExploreRow[] };
  /** Partition-map SVGs (targets/neuromorphic/map-svg.ts), one per neuromorphic target. */
  maps?: { target: string; svg: string }[];
}

/** A target's result as the JSON outputs give it: the figures, without the workload and diagnostics they came from. */
export const resultJson = (r: TargetResult): EstimateResultJson =>
  ({ target: r.target, kind: r.kind, summary: r.summary, layers: r.layers, warnings: r.warnings, notes: r.notes, prices: r.prices });

/** One estimate entry as the JSON outputs give it: its result, or which target failed and why. */
export const entryJson = (r: EstimateEntry): EstimateResultJson | EstimateFailureJson =>
  failed(r) ? { target: r.target, kind: r.kind, error: r.error } : resultJson(r);

export function estimateJson(entries: readonly EstimateEntry[]): EstimateJson {
  return { results: entries.map(entryJson) };
}

export const succeeded = (r: EstimateResultJson | EstimateFailureJson): r is EstimateResultJson => !('error' in r);

/** JSON inside <script> must not contain "</script" (or "<!--"); escaping "<" keeps it valid JSON. */
export function embedJson(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

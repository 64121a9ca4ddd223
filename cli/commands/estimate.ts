/** `kiln estimate SOURCE --target T […]`: what a network costs on each target. */
import { estimate, type Workload } from '../../targets/estimate.ts';
import { renderReport } from '../../targets/report/render.ts';
import { isPresetName, presets, resolveTarget, unknownTargetHint } from '../../targets/resolve.ts';
import type { TargetDescription } from '../../compiler/lang/description.ts';
import { scaleSimTarget, scaleSimTopology } from '../../targets/systolic/scalesim-import.ts';
import { error, KilnError, warning, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { compile } from '../../compiler/driver.ts';
import { UsageError } from '../args.ts';
import { readText } from '../../compiler/io/text.ts';

export interface EstimateArgs {
  source: string;
  targets: string[];
  json: boolean;
  perLayer: boolean;
  rate?: string;
  ratesFile?: string;
  overrides: Map<string, number>;
}

export function parseRate(text: string, command = 'estimate'): number {
  const r = Number(text);
  if (!Number.isFinite(r) || r < 0 || r > 1) throw new UsageError(`kiln ${command}: --rate takes spikes per neuron per time step in [0, 1], not '${text}'`);
  return r;
}

export function readRates(file: string): Record<string, number> {
  let doc: unknown;
  try {
    doc = JSON.parse(readText(file));
  } catch (e) {
    throw new KilnError(error('io', `cannot read rates file \`${file}\`: ${(e as Error).message}`, undefined, 'a rates file is JSON: {"layer": 0.05, …}'));
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v !== 'number' || v < 0 || v > 1) throw new KilnError(error('io', `rates file \`${file}\`: rate of \`${k}\` must be a number in [0, 1]`));
    out[k] = v;
  }
  return out;
}

/** A cost model's notes about assumed defaults, as warnings (they carry their target's name). */
export function targetWarnings(warnings: readonly string[]): Diagnostic[] {
  return warnings.map((w) => warning('target', w));
}

/**
 * A `--target` value of a command. A preset name that does not exist is a mistake on the command
 * line (exit 2); a target file with errors in it is a mistake in the input (exit 1).
 */
export function targetFromCommandLine(spec: string, command: string): TargetDescription {
  if (isPresetName(spec) && !presets().has(spec)) throw new UsageError(`kiln ${command}: unknown target '${spec}'\n  hint: ${unknownTargetHint(spec)}`);
  return resolveTarget(spec, scaleSimTarget);
}

export function runEstimate(a: EstimateArgs): { text: string; warnings: Diagnostic[] } {
  if (a.targets.length === 0) throw new UsageError('kiln estimate: give at least one --target (a preset name, FILE.kiln:NAME, or a SCALE-Sim .cfg)');
  // The command line is checked before the input is read: a mistyped preset is reported as such.
  const targets = a.targets.map((t) => targetFromCommandLine(t, 'estimate'));
  let workload: Workload;
  const warnings: Diagnostic[] = [];
  if (a.source.endsWith('.csv')) {
    workload = { kind: 'layers', ...scaleSimTopology(a.source) };
  } else {
    const r = compile(a.source, { overrides: a.overrides });
    warnings.push(...r.diagnostics);
    workload = { kind: 'module', module: r.module };
  }
  const rates = { defaultRate: a.rate !== undefined ? parseRate(a.rate) : undefined, rates: a.ratesFile ? readRates(a.ratesFile) : undefined };
  const results = targets.map((t) => estimate(workload, t, rates));
  // Assumed defaults are warnings: stderr, like every warning, not lines in the report.
  warnings.push(...results.flatMap((r) => targetWarnings(r.warnings)));
  if (a.json) {
    const json = { results: results.map((r) => ({ target: r.target, kind: r.kind, summary: r.summary, layers: r.layers, warnings: r.warnings, prices: r.prices })) };
    return { text: JSON.stringify(json, null, 2) + '\n', warnings };
  }
  return { text: renderReport(results, a.perLayer), warnings };
}

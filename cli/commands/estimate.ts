/** `kiln estimate SOURCE --target T […]`: what a network costs on each target. */
import { readInputText } from '../../compiler/io/read-input.ts';
import { estimate, type Workload } from '../../targets/estimate.ts';
import { renderReport } from '../../targets/report/render.ts';
import { resolveTarget } from '../../targets/resolve.ts';
import { scaleSimTarget, scaleSimTopology } from '../../targets/systolic/scalesim-import.ts';
import { error, KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { compile } from '../../compiler/driver.ts';
import { UsageError } from '../args.ts';

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
  const text = readInputText(file, { what: 'rates file' });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new KilnError(error('io', `cannot read rates file \`${file}\`: ${(e as Error).message}`, undefined, 'a rates file is JSON: {"layer": 0.05, …}'));
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KilnError(error('io', `rates file \`${file}\` is not a JSON object`, undefined, 'a rates file is JSON: {"layer": 0.05, …}'));
  // No prototype: a key `__proto__` or `constructor` is then an ordinary key, which the rates check refuses as no layer's name.
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [k, v] of Object.entries(doc)) {
    if (typeof v !== 'number' || v < 0 || v > 1) throw new KilnError(error('io', `rates file \`${file}\`: rate of \`${k}\` must be a number in [0, 1]`));
    out[k] = v;
  }
  return out;
}

export function runEstimate(a: EstimateArgs): { text: string; warnings: Diagnostic[] } {
  if (a.targets.length === 0) throw new UsageError('kiln estimate: give at least one --target (a preset name, FILE.kiln:NAME, or a SCALE-Sim .cfg)');
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
  const results = a.targets.map((t) => estimate(workload, resolveTarget(t, scaleSimTarget), rates));
  if (a.json) {
    const json = { results: results.map((r) => ({ target: r.target, kind: r.kind, summary: r.summary, layers: r.layers, warnings: r.warnings, prices: r.prices })) };
    return { text: JSON.stringify(json, null, 2) + '\n', warnings };
  }
  return { text: renderReport(results, a.perLayer), warnings };
}

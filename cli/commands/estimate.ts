/**
 * `kiln estimate SOURCE --target T […]`: what a network costs on each target. A target that
 * cannot take the network is reported in its own entry (n/a and why) while the others print;
 * the command fails (exit 1) only when no target could be estimated.
 */
import { estimateEach, failed, neuromorphicRates, type Workload } from '../../targets/estimate.ts';
import { renderReport } from '../../targets/report/render.ts';
import { PRESET_LIBRARY } from '../../targets/resolve.ts';
import { scaleSimTopology } from '../../targets/systolic/scalesim-import.ts';
import { KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { compile } from '../../compiler/driver.ts';
import { UsageError } from '../args.ts';
import { checkActivityArgs, estimateOptions, type ActivityArgs } from './estimate-activity.ts';
import { wholeNumber, type CommandIo } from './train.ts';
import { targetFromCommandLine, targetWarnings } from './target-args.ts';
import { runTrainingEstimate } from './estimate-training.ts';
import type { writeEstimateReport } from './estimate-report.ts';
import { estimateJson } from '../report/report-data.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';

export interface EstimateArgs {
  source: string;
  targets: string[];
  json: boolean;
  perLayer: boolean;
  rate?: string;
  ratesFile?: string;
  activityFile?: string;
  saveActivity?: string;
  measure?: string;
  checkpoint?: string;
  samples?: string;
  /** Price one training step and one epoch instead of inference. */
  training?: boolean;
  /** Also write the estimate as an HTML page with charts. */
  report?: string;
  /** The report writer, loaded by cli/main.ts only when --report is given (it brings Vega). */
  writeReport?: typeof writeEstimateReport;
  overrides: Map<string, number>;
}

export function runEstimate(a: EstimateArgs, io: CommandIo): number {
  if (a.targets.length === 0) throw new UsageError('kiln estimate: give at least one --target (a preset name, FILE.kiln:NAME, or a SCALE-Sim .cfg)');
  if (a.report !== undefined && a.training) throw new UsageError('kiln estimate: --report draws inference estimates; it cannot be combined with --training yet');
  checkOutputs('estimate', [['--report', a.report]], [...inputFiles(a.source), a.ratesFile, a.checkpoint]);
  if (a.training) {
    const rateFlag = a.rate !== undefined ? '--rate' : a.ratesFile !== undefined ? '--rates' : a.measure !== undefined ? '--measure' : a.checkpoint !== undefined ? '--checkpoint' : a.samples !== undefined ? '--samples' : undefined;
    if (rateFlag) throw new UsageError(`kiln estimate: ${rateFlag} sets firing rates for neuromorphic inference; --training prices training, which runs off-chip on neuromorphic targets`);
    const activityFlag = a.activityFile !== undefined ? '--activity' : a.saveActivity !== undefined ? '--save-activity' : undefined;
    if (activityFlag) throw new UsageError(`kiln estimate: ${activityFlag} is the activity inference is priced with; --training prices training, which does every product`);
    return runTrainingEstimate({ source: a.source, targets: a.targets.map((t) => targetFromCommandLine(t, 'estimate')), json: a.json, perLayer: a.perLayer, overrides: a.overrides }, io);
  }
  const activityArgs: ActivityArgs = {
    rate: a.rate, ratesFile: a.ratesFile, measure: a.measure, checkpoint: a.checkpoint, samples: wholeNumber('estimate', '--samples', a.samples, 1),
    activityFile: a.activityFile, saveActivity: a.saveActivity,
  };
  checkActivityArgs(activityArgs, a.source);
  const targets = a.targets.map((t) => targetFromCommandLine(t, 'estimate'));
  let workload: Workload;
  if (a.source.endsWith('.csv')) {
    workload = { kind: 'layers', ...scaleSimTopology(a.source) };
  } else {
    const r = compile(a.source, { overrides: a.overrides, libraries: PRESET_LIBRARY });
    io.warn(r.diagnostics);
    workload = { kind: 'module', module: r.module };
  }
  const progress = io.tty ? (s: string) => io.err(`\r\x1b[K${s}`) : undefined;
  const options = estimateOptions(workload.kind === 'module' ? workload.module : undefined, a.source, activityArgs, io, progress);
  if (progress && a.measure) io.err('\r\x1b[K');
  const entries = estimateEach(workload, targets, options);
  const results = entries.filter((e) => !failed(e));
  const failures = entries.filter(failed);
  if (results.length === 0) throw new KilnError(failures.map((f) => f.diagnostic));
  // Why a target is n/a is in its entry; stderr says it too, as a warning, since others succeeded.
  const warnings: Diagnostic[] = [
    ...failures.map((f): Diagnostic => ({ ...f.diagnostic, severity: 'warning' })),
    ...results.flatMap((r) => (failed(r) ? [] : targetWarnings(r.warnings))),
  ];
  io.warn(warnings);
  if (a.report !== undefined) {
    if (!a.writeReport) throw new Error('kiln estimate --report: the report writer was not loaded (cli/main.ts loads it when --report is on the command line)');
    a.writeReport(a.report, a.source, workload, targets, entries, neuromorphicRates(options));
  }
  if (a.json) io.out(JSON.stringify(estimateJson(entries), null, 2) + '\n');
  else io.out(renderReport(entries, a.perLayer));
  return 0;
}

/**
 * `kiln estimate SOURCE --target T […]`: what a network costs on each target. A target that
 * cannot take the network is reported in its own entry (n/a and why) while the others print;
 * the command fails (exit 1) only when no target could be estimated.
 */
import { estimateEach, failed, type Workload } from '../../targets/estimate.ts';
import { renderReport } from '../../targets/report/render.ts';
import { PRESET_LIBRARY } from '../../targets/resolve.ts';
import { scaleSimTopology } from '../../targets/systolic/scalesim-import.ts';
import { KilnError, type Diagnostic } from '../../compiler/lang/diagnostics.ts';
import { compile } from '../../compiler/driver.ts';
import { UsageError } from '../args.ts';
import { checkRateArgs, rateOptions, type RateArgs } from './partition-rates.ts';
import { wholeNumber, type CommandIo } from './train.ts';
import { targetFromCommandLine, targetWarnings } from './target-args.ts';
import { runTrainingEstimate } from './estimate-training.ts';
import { writeEstimateReport } from './estimate-report.ts';
import { estimateJson } from '../report/report-data.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';

export interface EstimateArgs {
  source: string;
  targets: string[];
  json: boolean;
  perLayer: boolean;
  rate?: string;
  ratesFile?: string;
  measure?: string;
  checkpoint?: string;
  samples?: string;
  /** Price one training step and one epoch instead of inference. */
  training?: boolean;
  /** Also write the estimate as an HTML page with charts. */
  report?: string;
  overrides: Map<string, number>;
}

export function runEstimate(a: EstimateArgs, io: CommandIo): number {
  if (a.targets.length === 0) throw new UsageError('kiln estimate: give at least one --target (a preset name, FILE.kiln:NAME, or a SCALE-Sim .cfg)');
  if (a.report !== undefined && a.training) throw new UsageError('kiln estimate: --report draws inference estimates; it cannot be combined with --training yet');
  checkOutputs('estimate', [['--report', a.report]], [...inputFiles(a.source), a.ratesFile, a.checkpoint]);
  if (a.training) {
    const rateFlag = a.rate !== undefined ? '--rate' : a.ratesFile !== undefined ? '--rates' : a.measure !== undefined ? '--measure' : a.checkpoint !== undefined ? '--checkpoint' : a.samples !== undefined ? '--samples' : undefined;
    if (rateFlag) throw new UsageError(`kiln estimate: ${rateFlag} sets firing rates for neuromorphic inference; --training prices training, which runs off-chip on neuromorphic targets`);
    return runTrainingEstimate({ source: a.source, targets: a.targets.map((t) => targetFromCommandLine(t, 'estimate')), json: a.json, perLayer: a.perLayer, overrides: a.overrides }, io);
  }
  const rateArgs: RateArgs = { rate: a.rate, ratesFile: a.ratesFile, measure: a.measure, checkpoint: a.checkpoint, samples: wholeNumber('estimate', '--samples', a.samples, 1) };
  checkRateArgs(rateArgs, 'estimate');
  const targets = a.targets.map((t) => targetFromCommandLine(t, 'estimate'));
  if (a.measure && !targets.some((t) => t.kind === 'neuromorphic')) throw new UsageError('kiln estimate: --measure measures firing rates for neuromorphic targets, and none of the targets is one');
  let workload: Workload;
  if (a.source.endsWith('.csv')) {
    if (a.measure) throw new UsageError('kiln estimate: --measure runs a .kiln network; a SCALE-Sim topology has no spiking layers to measure');
    workload = { kind: 'layers', ...scaleSimTopology(a.source) };
  } else {
    const r = compile(a.source, { overrides: a.overrides, libraries: PRESET_LIBRARY });
    io.warn(r.diagnostics);
    workload = { kind: 'module', module: r.module };
  }
  const rates = rateOptions(workload.kind === 'module' ? workload.module : undefined, a.source, rateArgs, 'estimate', io);
  const entries = estimateEach(workload, targets, rates);
  const results = entries.filter((e) => !failed(e));
  const failures = entries.filter(failed);
  if (results.length === 0) throw new KilnError(failures.map((f) => f.diagnostic));
  // Why a target is n/a is in its entry; stderr says it too, as a warning, since others succeeded.
  const warnings: Diagnostic[] = [
    ...failures.map((f): Diagnostic => ({ ...f.diagnostic, severity: 'warning' })),
    ...results.flatMap((r) => (failed(r) ? [] : targetWarnings(r.warnings))),
  ];
  io.warn(warnings);
  if (a.report !== undefined) writeEstimateReport(a.report, a.source, workload, targets, entries, rates);
  if (a.json) io.out(JSON.stringify(estimateJson(entries), null, 2) + '\n');
  else io.out(renderReport(entries, a.perLayer));
  return 0;
}

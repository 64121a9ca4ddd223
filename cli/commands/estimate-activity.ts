/**
 * Where `kiln estimate` takes the activity it prices with: `--measure DATA` (run the network in
 * the interpreter; `--save-activity FILE` keeps the measurement), `--activity FILE` (a saved or
 * hand-written one), or the firing-rate options kept from before (`--rate`, `--rates`) for
 * neuromorphic targets. Nothing given: every layer is priced dense, spiking layers at the
 * default rate with a warning.
 */
import type { Module } from '../../compiler/ir/module.ts';
import { readInputText } from '../../compiler/io/read-input.ts';
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import type { EstimateOptions } from '../../targets/estimate.ts';
import { activityFileText, readActivityText } from '../../targets/activity-file.ts';
import { UsageError } from '../args.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';
import { checkRateArgs, measureOn, rateOptions, type RateArgs } from './partition-rates.ts';
import type { CommandIo } from './train.ts';

export interface ActivityArgs extends RateArgs {
  activityFile?: string;
  saveActivity?: string;
}

const DEFAULT_SAMPLES = 64;

/** The usage rules; call before any expensive work. */
export function checkActivityArgs(a: ActivityArgs, source: string): void {
  checkRateArgs(a, 'estimate');
  if (a.activityFile !== undefined && (a.rate !== undefined || a.ratesFile !== undefined || a.measure !== undefined)) {
    throw new UsageError('kiln estimate: --activity FILE gives every layer\'s activity, firing rates included; drop --rate, --rates and --measure');
  }
  if (a.saveActivity !== undefined && !a.measure) throw new UsageError('kiln estimate: --save-activity writes the activity --measure DATA measured; add --measure');
  if (source.endsWith('.csv') && (a.measure || a.activityFile)) {
    throw new UsageError(`kiln estimate: ${a.measure ? '--measure' : '--activity'} needs a .kiln network; a SCALE-Sim topology has no layers to run`);
  }
  checkOutputs('estimate', [['--save-activity', a.saveActivity]], [...inputFiles(source), a.activityFile, a.ratesFile, a.checkpoint]);
}

export function estimateOptions(m: Module | undefined, source: string, a: ActivityArgs, io: CommandIo, progress?: (s: string) => void): EstimateOptions {
  if (!m || (!a.measure && !a.activityFile)) return rateOptions(m, source, a, 'estimate', io);
  if (a.activityFile) return { activity: readActivityText(readInputText(a.activityFile, { what: 'activity file' }), a.activityFile, m) };
  const { activity, samples } = measureOn(m, source, a.measure!, a.checkpoint, a.samples ?? DEFAULT_SAMPLES, 'estimate', io, progress);
  if (a.saveActivity) {
    writeFileAtomic(a.saveActivity, activityFileText(m.name, { data: a.measure!, samples, checkpoint: a.checkpoint ?? null }, activity), 'activity file');
    io.err(`wrote the measured activity of every layer to ${a.saveActivity} (read it with --activity)\n`);
  }
  return { activity };
}

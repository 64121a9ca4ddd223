/**
 * Where the firing rates of `kiln partition` and `kiln estimate` come from, one code path for
 * both: `--rate R` (every population), `--rates FILE` (per population, JSON {"name": rate}), or
 * `--measure DATA [--checkpoint PATH] [--samples N]`: rates measured by running the network in
 * the interpreter on DATA (a data set split such as mnist:test, split as the file's train block
 * splits it) with trained weights, or with freshly initialized ones and a warning.
 * `--save-rates FILE` writes measured rates as a rates file (each population's mean rate).
 */
import { readInputText } from '../../compiler/io/read-input.ts';
import { UsageError } from '../args.ts';
import { DATASETS } from '../../compiler/lang/block-schema.ts';
import { error, KilnError, warning } from '../../compiler/lang/diagnostics.ts';
import { writeFileAtomic } from '../../compiler/io/atomic-write.ts';
import type { Module } from '../../compiler/ir/module.ts';
import { DATA_SPLIT, loadData } from '../../runtime/data/index.ts';
import { initParams } from '../../runtime/interpreter.ts';
import { loadCheckpointInto } from '../../runtime/train/state.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { measureActivity, type MeasuredActivity } from '../../runtime/activity/measure.ts';
import { spikingRates } from '../../targets/activity.ts';
import type { RateOptions } from '../../targets/neuromorphic/rates.ts';
import type { CommandIo } from './train.ts';


export interface RateArgs {
  rate?: string;
  ratesFile?: string;
  measure?: string;
  checkpoint?: string;
  samples?: number;
  saveRates?: string;
}

export function parseRate(text: string, command: string): number {
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
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new KilnError(error('io', `rates file \`${file}\` must hold a JSON object, not ${Array.isArray(doc) ? 'an array' : JSON.stringify(doc)}`, undefined, 'a rates file is JSON: {"layer": 0.05, …}'));
  }
  // No prototype: a layer named like an Object.prototype member is just a key here.
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v !== 'number' || v < 0 || v > 1) throw new KilnError(error('io', `rates file \`${file}\`: rate of \`${k}\` must be a number in [0, 1], not ${JSON.stringify(v)}`));
    out[k] = v;
  }
  return out;
}

/** The usage rules shared by both commands; call before any expensive work. */
export function checkRateArgs(a: RateArgs, command: string): void {
  if (a.rate !== undefined) parseRate(a.rate, command);
  if ([a.rate !== undefined, a.ratesFile !== undefined, a.measure !== undefined].filter(Boolean).length > 1) throw new UsageError(`kiln ${command}: give one of --rate, --rates and --measure`);
  if (a.checkpoint && !a.measure) throw new UsageError(`kiln ${command}: --checkpoint gives the weights for --measure DATA; add --measure`);
  if (a.samples !== undefined && !a.measure) throw new UsageError(`kiln ${command}: --samples is the sample count of --measure DATA; add --measure`);
  if (a.saveRates && !a.measure) throw new UsageError(`kiln ${command}: --save-rates writes the rates --measure DATA measured; add --measure`);
}

/** The rate options of a network, from whichever of --rate, --rates and --measure was given. */
export function rateOptions(m: Module | undefined, source: string, a: RateArgs, command: string, io: CommandIo, progress?: (s: string) => void): RateOptions {
  checkRateArgs(a, command);
  if (!a.measure || !m) return { defaultRate: a.rate !== undefined ? parseRate(a.rate, command) : undefined, rates: a.ratesFile ? readRates(a.ratesFile) : undefined };
  const r = measuredRates(m, source, a.measure, a.checkpoint, a.samples ?? 64, command, io, progress);
  if (a.saveRates) {
    writeFileAtomic(a.saveRates, JSON.stringify(populationRates(r.neuronRates!), null, 2) + '\n', 'rates file');
    io.err(`wrote the measured rate of every population to ${a.saveRates} (read it with --rates)\n`);
  }
  return r;
}

/** Each population's mean over its neurons: the per-population rates a rates file holds. */
export function populationRates(neuronRates: Record<string, Float64Array>): Record<string, number> {
  return Object.fromEntries(Object.entries(neuronRates).map(([name, r]) => [name, r.length ? Math.min(1, r.reduce((a, b) => a + b, 0) / r.length) : 0]));
}

function measuredRates(m: Module, source: string, data: string, checkpoint: string | undefined, samples: number, command: string, io: CommandIo, progress?: (s: string) => void): RateOptions {
  return { neuronRates: spikingRates(measureOn(m, source, data, checkpoint, samples, command, io, progress).activity).neuronRates };
}

/**
 * Activity measured by running `m` on `samples` samples of DATA (a data set split such as
 * mnist:test, split as the file's train block splits it), with a checkpoint's weights or, with a
 * warning, freshly initialized ones.
 */
export function measureOn(m: Module, source: string, data: string, checkpoint: string | undefined, samples: number, command: string, io: CommandIo, progress?: (s: string) => void): MeasuredActivity {
  const split = DATA_SPLIT.exec(data);
  if (!split) throw new UsageError(`kiln ${command}: --measure takes ${DATASETS.map((d) => d + ':test').join(', ')} (or :train), not '${data}'`);
  const p = prepare(source);
  const args = p.config && p.config.data.name === split[1] ? p.config.data.args : {};
  const s = loadData(split[1]!, args);
  const ds = split[2] === 'train' ? s.train : s.test;
  const weights = initParams(m, 0);
  // A quantized checkpoint brings its layers' precisions: measure the network it describes.
  let measured = m;
  if (checkpoint) measured = loadCheckpointInto(checkpoint, m, weights, { weightsOnly: true }).module;
  else io.warn([warning('activity', 'measuring activity with untrained (initialized) weights: firing rates and zeros of an untrained network are not representative', undefined, 'give --checkpoint PATH (written by kiln train) for the activity of the trained network')]);
  return measureActivity(measured, weights, ds, samples, (done, total) => progress?.(`measuring activity: ${done}/${total} samples`));
}

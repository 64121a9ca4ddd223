/**
 * `kiln explore SOURCE --target T… --precision f32,i8,binary [--ptq | --train-epochs N] …`: every
 * variant (precision × dropout) trained or post-training quantized, evaluated on the held-out data,
 * priced per inference on every target, and each target's Pareto front marked (cli/explore/).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { splitSelector } from '../../compiler/driver.ts';
import { moduleToJson } from '../../compiler/ir/json.ts';
import { packagePath } from '../../compiler/io/package-root.ts';
import { readInputText } from '../../compiler/io/read-input.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';
import { loadData } from '../../runtime/data/index.ts';
import { prepare } from '../../runtime/train/setup.ts';
import { UsageError } from '../args.ts';
import { ExploreCache } from '../explore/cache.ts';
import { runPool } from '../explore/pool.ts';
import { greedyMixes } from '../explore/greedy.ts';
import { writeExploreReport } from '../explore/report.ts';
import { type Column, columns, type ExploreData, formatTable, markPareto, type Priced, priceVariant } from '../explore/rows.ts';
import { type ExploreSetup, runVariant, trainCached, type VariantOutcome } from '../explore/run-variant.ts';
import { DEFAULT_TIMESTEPS, isSpiking } from '../explore/spiking.ts';
import { dropoutLayers, f32Variant, parseDropouts, parsePrecisions, type PrecisionChoice, uniformVariants, type Variant } from '../explore/variants.ts';
import { checkOutputs, inputFiles } from '../output-paths.ts';
import { MAX_CHIPS } from './partition.ts';
import { targetFromCommandLine, targetWarnings } from './target-args.ts';
import { type CommandIo, wholeNumber } from './train.ts';

export interface ExploreArgs {
  source: string;
  targets: string[];
  precision?: string;
  dropout?: string;
  ptq: boolean;
  trainEpochs?: string;
  trainSamples?: string;
  testSamples?: string;
  cache?: string;
  jobs?: string;
  only?: string;
  report?: string;
  chips?: string;
  timesteps?: string;
  json: boolean;
  /** The --set arguments as given, passed on to workers. */
  sets: string[];
  overrides: Map<string, number>;
}

const usage = (why: string) => new UsageError(`kiln explore: ${why}`);

export function runExplore(a: ExploreArgs, io: CommandIo): number | Promise<number> {
  if (a.targets.length === 0 && a.only === undefined) throw usage('give at least one --target (e.g. --target avx2_laptop --target tpu_v1_like)');
  const { choices, auto } = parsePrecisions(a.precision);
  const dropouts = parseDropouts(a.dropout);
  const epochsFlag = wholeNumber('explore', '--train-epochs', a.trainEpochs, 1);
  const trainSamples = wholeNumber('explore', '--train-samples', a.trainSamples, 1);
  const testSamples = wholeNumber('explore', '--test-samples', a.testSamples, 1);
  const jobs = wholeNumber('explore', '--jobs', a.jobs, 1) ?? 1;
  const timestepsFlag = wholeNumber('explore', '--timesteps', a.timesteps, 1);
  const targets = a.targets.map((t) => targetFromCommandLine(t, 'explore'));
  const chips = parseChips(a.chips);
  if (chips && !targets.some((t) => t.kind === 'neuromorphic')) throw usage('--chips partitions neuromorphic targets onto each chip count; add one (e.g. --target loihi_32chip)');
  if (a.report !== undefined) checkOutputs('explore', [['--report', a.report]], inputFiles(a.source));

  const p = prepare(a.source, { overrides: a.overrides, requireTrain: true });
  if (p.warnings.length) io.warn(p.warnings);
  const config = p.config!;
  if (trainSamples !== undefined) config.data.args = { ...config.data.args, train: trainSamples };
  if (testSamples !== undefined) config.data.args = { ...config.data.args, test: testSamples };
  if (dropouts[0] !== undefined && dropoutLayers(p.module).length === 0) {
    throw new KilnError(error('explore', `network \`${p.module.name}\` has no dropout layer for --dropout to vary`, undefined, 'add one (… -> dropout(p = 0.5)) or leave out --dropout'));
  }
  const epochs = epochsFlag ?? config.epochs;
  const { file } = splitSelector(a.source);
  const version = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  const setup: ExploreSetup = {
    module: p.module, config, data: loadData(config.data.name, config.data.args), epochs, ptq: a.ptq,
    cache: ExploreCache.open(a.cache ?? path.join(path.dirname(file), '.kiln-cache')),
    identity: { network: moduleToJson(p.module), source: readInputText(file), train: config, epochs, kiln: version },
  };
  // Chips run spiking networks: a rate-coded network is converted for them (cli/explore/spiking.ts).
  if (targets.some((t) => t.kind === 'neuromorphic') && !isSpiking(p.module)) setup.timesteps = timestepsFlag ?? DEFAULT_TIMESTEPS;
  else if (timestepsFlag !== undefined) throw usage('--timesteps sets the spiking conversion for neuromorphic targets, and there is none to do (no neuromorphic --target, or the network already spikes)');
  const variants = uniformVariants(p.module, choices, dropouts);

  if (a.only !== undefined) {
    const v = variants.find((x) => x.label === a.only);
    if (!v) throw usage(`--only names a variant: ${variants.map((x) => x.label).join(', ')}; not '${a.only}'`);
    const r = runVariant(setup, v);
    io.out(`${v.label}: accuracy ${(100 * r.accuracy).toFixed(2)}%${r.cached ? ' (cached)' : ''}\n`);
    return 0;
  }
  if (setup.timesteps !== undefined) io.err(`explore: the network is not spiking, so each variant is converted for ${targets.filter((t) => t.kind === 'neuromorphic').map((t) => t.name).join(', ')} (T = ${setup.timesteps} time steps${timestepsFlag === undefined ? ', the default; --timesteps T to change' : ''})\n`);
  // What this process computed, so the report prices it without reading the cache back (workers' results come from the cache).
  const outcomes = new Map<string, VariantOutcome>();
  const finish = (): number => {
    const mixed = auto ? dropouts.flatMap((d) => searchMixes(io, setup, choices, d, outcomes)) : [];
    return report(a, io, setup, [...variants, ...mixed], columns(targets, chips), new Set(mixed.map((v) => v.label)), outcomes);
  };
  const progress = progressLine(io, variants.length);
  if (jobs > 1) {
    const argv = (v: Variant) => ['explore', a.source, '--only', v.label, '--cache', setup.cache.dir, ...a.targets.flatMap((t) => ['--target', t]),
      ...(a.timesteps ? ['--timesteps', a.timesteps] : []), ...(a.precision ? ['--precision', a.precision] : []),
      ...(a.dropout ? ['--dropout', a.dropout] : []), ...(a.ptq ? ['--ptq'] : []), ...(a.trainEpochs ? ['--train-epochs', a.trainEpochs] : []),
      ...(a.trainSamples ? ['--train-samples', a.trainSamples] : []), ...(a.testSamples ? ['--test-samples', a.testSamples] : []), ...a.sets.flatMap((s) => ['--set', s])];
    // The f32 run every PTQ variant of a dropout rate starts from is trained once, here, before the workers share it.
    if (a.ptq) for (const d of dropouts) trainCached(setup, f32Variant(variants.find((v) => v.dropout === d)!), progress.epoch(`f32 run${d === undefined ? '' : ` d=${d}`}`));
    return runPool(variants.map((v) => ({ label: v.label, argv: argv(v) })), jobs, (label) => progress.done(label)).then(finish);
  }
  for (const v of variants) {
    const r = runVariant(setup, v, progress.epoch(v.label));
    outcomes.set(v.label, r);
    progress.done(v.label, r);
  }
  return finish();
}

/** Progress on stderr: which variant of how many, what it cost, and the time left at the pace so far. */
function progressLine(io: CommandIo, total: number) {
  const t0 = performance.now();
  let finished = 0, computed = 0, cached = 0, epochs = 0;
  return {
    epoch: (label: string) => (e: number, of: number) => io.err(`explore: variant ${finished + 1}/${total} ${label}: epoch ${e}/${of} trained\n`),
    done(label: string, r?: { cached: boolean; epochsTrained: number }) {
      finished++;
      if (r?.cached) cached++;
      else computed++;
      epochs += r?.epochsTrained ?? 0;
      const elapsed = (performance.now() - t0) / 1000;
      const left = total - finished;
      const eta = left && computed ? `, about ${Math.ceil((elapsed / computed) * left)} s left` : '';
      io.err(`explore: variant ${finished}/${total} ${label} ${r?.cached ? 'from the cache' : 'done'} (${elapsed.toFixed(1)} s${eta})\n`);
      if (finished === total) io.err(`explore: ${total} variants, ${cached} from the cache, ${computed} computed, ${epochs} epochs trained here\n`);
    },
  };
}

/**
 * --precision auto's greedy search at one dropout rate (cli/explore/greedy.ts), scored on the ANN's
 * accuracy; the steps it takes are then computed in full (converted too, where a chip needs it).
 */
function searchMixes(io: CommandIo, s: ExploreSetup, choices: PrecisionChoice[], dropout: number | undefined, outcomes: Map<string, VariantOutcome>): Variant[] {
  const annOnly: ExploreSetup = { ...s, timesteps: undefined };
  let evaluated = 0;
  const mixes = greedyMixes(s.module, choices, dropout, (v) => (evaluated++, runVariant(annOnly, v).accuracy), (v, tried) => io.err(`explore: auto: narrowed to ${v.label} (best of ${tried}${v.label.includes('/') ? '' : '; the uniform variant, not a mix'})\n`));
  io.err(`explore: auto: ${mixes.length} per-layer mixes on the greedy path, ${evaluated} evaluations\n`);
  if (s.timesteps !== undefined) {
    const t0 = performance.now();
    mixes.forEach((v, i) => {
      const r = runVariant(s, v);
      outcomes.set(v.label, r);
      io.err(`explore: auto: mix ${i + 1}/${mixes.length} ${v.label} ${r.cached ? 'from the cache' : r.snn && 'error' in r.snn ? 'done (not convertible)' : 'converted to spiking'} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    });
  }
  return mixes;
}

function report(a: ExploreArgs, io: CommandIo, s: ExploreSetup, variants: Variant[], cols: Column[], mixed: Set<string>, outcomes: ReadonlyMap<string, VariantOutcome>): number {
  const warnings = new Set<string>();
  const priced: Priced[] = variants.flatMap((v) => priceVariant(s, v, outcomes.get(v.label) ?? runVariant(s, v), cols, (w) => warnings.add(w)));
  markPareto(priced.map((p) => p.row));
  io.warn(targetWarnings([...warnings]));
  // --precision auto keeps a mix only where it is on some target's front (dropping the others leaves every front as it was).
  const kept = new Set(priced.filter((p) => !mixed.has(p.label) || p.row.pareto).map((p) => p.label));
  if (mixed.size) io.err(`explore: --precision auto kept ${[...mixed].filter((m) => kept.has(m)).length} of its ${mixed.size} mixes (those on a Pareto front)\n`);
  const shown = priced.filter((p) => kept.has(p.label));
  const rows = shown.map((p) => p.row);
  const data: ExploreData = {
    network: s.module.name, mode: s.ptq ? 'ptq' : 'train', epochs: s.epochs, test_samples: s.data.test.count, rows,
    targets: cols.map((c) => ({ target: c.name, kind: c.desc.kind, rows: rows.filter((r) => r.target === c.name) })),
    ...(s.timesteps !== undefined ? { timesteps: s.timesteps } : {}),
  };
  if (a.report !== undefined) writeExploreReport(a.report, data, shown);
  const { targets: _, ...json } = data;
  if (a.json) io.out(JSON.stringify(json) + '\n');
  else {
    const conversion = s.timesteps === undefined ? '' : `; on neuromorphic targets each variant runs converted to spiking (→ SNN), T = ${s.timesteps} time steps`;
    io.out(`${data.network}: ${kept.size} variants × ${cols.length} targets, ${s.ptq ? `post-training quantized from f32 trained ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}` : `each trained ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`}, accuracy on ${data.test_samples} test samples${conversion}\n\n${formatTable(data)}`);
  }
  return 0;
}

/** `--chips 1,2,4,8`: chip counts a neuromorphic target is partitioned onto, each its own column. */
function parseChips(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+(,\d+)*$/.test(text)) throw usage(`--chips takes chip counts separated by commas (e.g. 1,2,4,8), not '${text}'`);
  const list = [...new Set(text.split(',').map(Number))];
  const bad = list.find((n) => n < 1 || n > MAX_CHIPS);
  if (bad !== undefined) throw usage(`--chips takes counts from 1 to ${MAX_CHIPS}, not ${bad}`);
  return list;
}

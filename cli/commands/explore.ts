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
import { renderExploreReport } from '../explore/report.ts';
import { type ExploreData, type ExploreRow, formatTable, markPareto, priceVariant } from '../explore/rows.ts';
import { type ExploreSetup, f32Run, runVariant, trainCached } from '../explore/run-variant.ts';
import { dropoutLayers, mixedVariants, parseDropouts, parsePrecisions, uniformVariants, type Variant, variantModule } from '../explore/variants.ts';
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
  if (a.report !== undefined && !renderExploreReport) throw usage('--report needs the HTML report renderer, which this version of Kiln does not have yet; use --json for the same rows');
  const targets = a.targets.map((t) => targetFromCommandLine(t, 'explore'));

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
  const mixed = auto ? mixedVariants(p.module, choices, dropouts) : [];
  const variants = [...uniformVariants(p.module, choices, dropouts), ...mixed];

  if (a.only !== undefined) {
    const v = variants.find((x) => x.label === a.only);
    if (!v) throw usage(`--only names a variant: ${variants.map((x) => x.label).join(', ')}; not '${a.only}'`);
    const r = runVariant(setup, v);
    io.out(`${v.label}: accuracy ${(100 * r.accuracy).toFixed(2)}%${r.cached ? ' (cached)' : ''}\n`);
    return 0;
  }
  const finish = (): number => report(a, io, setup, variants, targets, new Set(mixed.map((v) => v.label)));
  const progress = progressLine(io, variants.length);
  if (jobs > 1) {
    const argv = (v: Variant) => ['explore', a.source, '--only', v.label, '--cache', setup.cache.dir, ...(a.precision ? ['--precision', a.precision] : []),
      ...(a.dropout ? ['--dropout', a.dropout] : []), ...(a.ptq ? ['--ptq'] : []), ...(a.trainEpochs ? ['--train-epochs', a.trainEpochs] : []),
      ...(a.trainSamples ? ['--train-samples', a.trainSamples] : []), ...(a.testSamples ? ['--test-samples', a.testSamples] : []), ...a.sets.flatMap((s) => ['--set', s])];
    // The f32 run every PTQ variant of a dropout rate starts from is trained once, here, before the workers share it.
    if (a.ptq) for (const d of dropouts) trainCached(setup, f32Run(variants.find((v) => v.dropout === d)!), progress.epoch(`f32 run${d === undefined ? '' : ` d=${d}`}`));
    return runPool(variants.map((v) => ({ label: v.label, argv: argv(v) })), jobs, (label) => progress.done(label)).then(finish);
  }
  for (const v of variants) progress.done(v.label, runVariant(setup, v, progress.epoch(v.label)));
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

function report(a: ExploreArgs, io: CommandIo, s: ExploreSetup, variants: Variant[], targets: ReturnType<typeof targetFromCommandLine>[], mixed: Set<string>): number {
  const warnings = new Set<string>();
  const all: ExploreRow[] = markPareto(variants.flatMap((v) => {
    const r = runVariant(s, v);
    return priceVariant(v.label, variantModule(s.module, v), r.accuracy, targets, (w) => warnings.add(w));
  }));
  io.warn(targetWarnings([...warnings]));
  // --precision auto keeps a mix only where it is on some target's front (dropping the others leaves every front as it was).
  const kept = new Set(all.filter((r) => !mixed.has(r.variant) || r.pareto).map((r) => r.variant));
  if (mixed.size) io.err(`explore: --precision auto tried ${mixed.size} mixes with wider first and last layers; ${[...mixed].filter((m) => kept.has(m)).length} are on a Pareto front\n`);
  const rows = all.filter((r) => kept.has(r.variant));
  variants = variants.filter((v) => kept.has(v.label));
  const data: ExploreData = {
    network: s.module.name, mode: s.ptq ? 'ptq' : 'train', epochs: s.epochs, test_samples: s.data.test.count, rows,
    targets: targets.map((t) => ({ target: t.name, kind: t.kind, rows: rows.filter((r) => r.target === t.name) })),
  };
  if (a.report !== undefined) renderExploreReport!(data, a.report);
  if (a.json) io.out(JSON.stringify({ network: data.network, mode: data.mode, epochs: data.epochs, test_samples: data.test_samples, rows }) + '\n');
  else io.out(`${data.network}: ${variants.length} variants × ${targets.length} targets, ${s.ptq ? `post-training quantized from f32 trained ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}` : `each trained ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`}, accuracy on ${data.test_samples} test samples\n\n${formatTable(data)}`);
  return 0;
}

/**
 * The delta-network curve (docs/delta-networks.md, docs/techniques.md): accuracy and the share of
 * the dense GRU's multiply-accumulates over the threshold θ, on the shipped test data.
 *   mnist   examples/delta_gru.kiln on sequential MNIST (8,000 training digits, all 2,000 test)
 *   signal  examples/delta_signal.kiln on the generated slow_signal task
 * Every θ is trained from the same initial weights (same seed), on the same data, with the same
 * optimizer, schedule and epochs; only θ, the L1 cost and θ's annealing differ. θ = 0 without the
 * L1 cost is the dense baseline: at θ = 0 the forward pass is the dense GRU's (linear-before-reset
 * form) exactly, and its accuracy is the dense network's. Its MAC share below 100 % only says how
 * much the data itself did not change (blank pixels); the reduction is always against the dense
 * count, every column every step. Progress on stderr; CPU seconds per run.
 * `nice -n 10 npx tsx bench/delta.ts [mnist|signal] [--thetas 0,0.1,…] [--epochs E] [--l1 λ]
 *   [--anneal A] [--train N] [--test N] [--schedule cosine] [--checkpoints DIR] [--save POINTS.json] [--svg FILE]`; `--points A.json,B.json [--svg FILE]` prints
 * and draws points saved by runs made separately (in parallel) instead of training.
 * (defaults: the train block's epochs, delta_l1 and delta_anneal; its data split).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadData } from '../runtime/data/index.ts';
import { measureDeltaActivity } from '../runtime/delta-activity.ts';
import { train } from '../runtime/train.ts';
import { prepare } from '../runtime/train/setup.ts';
import { vegaLiteToSvg } from '../cli/report/vega-svg.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLES: Record<string, string> = { mnist: 'delta_gru', signal: 'delta_signal' };

export interface CurveOptions {
  epochs?: number; l1?: number; anneal?: number; train?: number; test?: number;
  /** `cosine`: the sequential-MNIST recipe's schedule on a block that has none (delta_signal's). */
  schedule?: string;
  /** Keep each run's checkpoint here after every epoch and resume it when present: a long curve survives interruption. */
  checkpoints?: string;
}
export interface Point { theta: number; l1: number; anneal: number; accuracy: number; fraction: number; cpuSeconds: number }

function setup(task: string, theta: number, o: CurveOptions) {
  const p = prepare(path.join(here, `../examples/${EXAMPLES[task]}.kiln`), { requireTrain: true, overrides: new Map([['theta', theta]]) });
  const c = p.config!;
  const args = { ...c.data.args, ...(o.train ? { train: o.train } : {}), ...(o.test ? { test: o.test } : {}) };
  // The baseline is the dense network: no L1 cost, no threshold to anneal.
  const config = { ...c, epochs: o.epochs ?? c.epochs, deltaL1: theta === 0 ? 0 : o.l1 ?? c.deltaL1, deltaAnneal: theta === 0 ? 0 : o.anneal ?? c.deltaAnneal };
  if (o.schedule !== undefined && o.schedule !== 'cosine') throw new Error(`--schedule takes cosine, not '${o.schedule}'`);
  if (config.schedule.kind === 'cosine' || o.schedule === 'cosine') config.schedule = { kind: 'cosine', epochs: config.epochs };
  return { module: p.module, config, data: loadData(c.data.name, args) };
}

/** Trains at θ from the block's seed, then measures accuracy and the MAC share on the whole test split. */
export function deltaPoint(task: string, theta: number, o: CurveOptions = {}): Point {
  const s = setup(task, theta, o);
  const c0 = process.cpuUsage();
  const label = `θ = ${theta}${theta ? `, delta_l1 ${s.config.deltaL1}, delta_anneal ${s.config.deltaAnneal}` : ' (dense)'}`;
  process.stderr.write(`${task}: training ${label}, ${s.config.epochs} epochs on ${s.data.train.count} samples\n`);
  const ckpt = o.checkpoints ? path.join(o.checkpoints, `${task}-theta${theta}-l1${s.config.deltaL1}-anneal${s.config.deltaAnneal}-${s.data.train.count}x${s.config.epochs}.ckpt`) : undefined;
  const r = train(s, {
    testLimit: 0, checkpoint: ckpt, resume: ckpt && existsSync(ckpt) ? ckpt : undefined,
    onEpoch: (e) => process.stderr.write(`  epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, train ${(100 * e.train_accuracy).toFixed(2)}%, ${e.seconds.toFixed(1)} s\n`),
  });
  const a = measureDeltaActivity(s.module, r.weights, s.data.test, s.data.test.count);
  const layers = Object.values(a.layers);
  const done = layers.reduce((n, l) => n + l.done, 0), dense = layers.reduce((n, l) => n + l.dense, 0);
  const cpu = process.cpuUsage(c0);
  const p = { theta, l1: s.config.deltaL1, anneal: s.config.deltaAnneal, accuracy: a.correct / a.rows, fraction: done / dense, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  process.stderr.write(`  ${label}: test ${(100 * p.accuracy).toFixed(2)}%, ${(100 * p.fraction).toFixed(1)}% of the dense MACs (${(1 / p.fraction).toFixed(1)}× fewer), ${p.cpuSeconds.toFixed(0)} s CPU\n`);
  return p;
}

export function curveTable(points: readonly Point[]): string {
  const dense = points.find((p) => p.theta === 0);
  const rows = points.map((p) => `| ${p.theta} | ${p.theta ? p.l1 : '–'} | ${p.theta ? p.anneal : '–'} | ${(100 * p.accuracy).toFixed(2)}% | ${dense ? (100 * (p.accuracy - dense.accuracy)).toFixed(2) : '?'} | ${(100 * p.fraction).toFixed(1)}% | ${(1 / p.fraction).toFixed(1)}× |`);
  return ['| θ | delta_l1 | delta_anneal | test accuracy | points vs dense | MACs vs dense | fewer MACs |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The curve as an SVG, through the report's Vega-Lite renderer: MAC reduction against accuracy, labelled by θ. */
export function curveSvg(task: string, points: readonly Point[]): string {
  // One line per training recipe; the dense baseline is a point of its own.
  const values = points.map((p) => ({ theta: `θ = ${p.theta}`, reduction: 1 / p.fraction, accuracy: 100 * p.accuracy,
    recipe: p.theta === 0 ? 'dense (θ = 0)' : `delta_l1 ${p.l1}${p.anneal ? `, delta_anneal ${p.anneal}` : ''}` }));
  return vegaLiteToSvg({
    title: `Delta GRU on ${task === 'mnist' ? 'sequential MNIST' : 'slow_signal'}: fewer MACs vs test accuracy over θ`,
    width: 480, height: 300,
    data: { values },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x: { field: 'reduction', type: 'quantitative', title: 'dense MACs / MACs done (×)' }, y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } }, color: { field: 'recipe', type: 'nominal', title: 'training' } } },
      { mark: { type: 'text', dx: 8, align: 'left', baseline: 'bottom' }, encoding: { x: { field: 'reduction', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'theta' } } },
    ],
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const num = (name: string) => (opt(name) === undefined ? undefined : Number(opt(name)));
  const task = args.find((a) => a in EXAMPLES) ?? 'mnist';
  const o: CurveOptions = { epochs: num('--epochs'), l1: num('--l1'), anneal: num('--anneal'), train: num('--train'), test: num('--test'), schedule: opt('--schedule'), checkpoints: opt('--checkpoints') };
  if (o.checkpoints) mkdirSync(o.checkpoints, { recursive: true });
  // `--points a.json,b.json` draws runs done separately (in parallel) instead of training; `--save` writes this run's.
  const points: Point[] = opt('--points') ? opt('--points')!.split(',').flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as Point[]).sort((a, b) => a.theta - b.theta)
    : (opt('--thetas') ?? '0,0.1,0.2,0.3,0.5').split(',').map(Number).map((theta) => deltaPoint(task, theta, o));
  if (opt('--save')) writeFileSync(opt('--save')!, JSON.stringify(points));
  console.log(`\n${task} (examples/${EXAMPLES[task]}.kiln)`);
  console.log(curveTable(points));
  const svg = opt('--svg');
  if (svg) writeFileSync(svg, curveSvg(task, points));
}

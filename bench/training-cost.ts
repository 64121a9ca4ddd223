/**
 * Does `kiln estimate --training` move the way the interpreter's training time does? For two
 * method pairs it prints the estimate's epoch ratio (avx2_laptop, the preset nearest the machine
 * the interpreter runs on) beside the interpreter's measured ratio of CPU seconds per epoch:
 *   dropout    examples/mlp.kiln with dropout(p = 0.5) after the hidden layer: elementwise
 *              (masked, full GEMMs) vs batchwise (submatrices);
 *   precision  examples/lenet5.kiln as shipped (f32) vs every layer int16 (weights and the hidden
 *              activations), which the interpreter trains fake-quantized in f32;
 *   lstm       examples/ptb_lstm.kiln (vocab 2,000) with in-cell structured dropout, trained on
 *              submatrices vs masked (bench/training.ts's alternating epochs, CPU seconds); the
 *              estimate's masked twin is the same network with every dropout elementwise.
 * Epochs alternate between the two variants (one warm-up each first), on 2,000 training digits,
 * timed in process CPU seconds so that other processes on the machine colour them less than
 * wall time would. `npx tsx bench/training-cost.ts [dropout|precision]…`
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadData } from '../runtime/data/index.ts';
import { train } from '../runtime/train.ts';
import { prepare } from '../runtime/train/setup.ts';
import { trainingPlan } from '../runtime/train/cost-plan.ts';
import { presets } from '../targets/resolve.ts';
import { estimateTraining, offChip } from '../targets/training/estimate.ts';
import { median } from './timing.ts';
import { benchLstmDropout } from './training.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function variant(name: string, edit: (src: string) => string) {
  const file = path.join(here, `../examples/${name}.kiln`);
  const src = edit(readFileSync(file, 'utf8')).replace('train = 8000', 'train = 2000');
  if (!src.includes('train = 2000')) throw new Error(`examples/${name}.kiln no longer has the train block this benchmark edits`);
  const p = prepare(file, { requireTrain: true, readFile: (f) => (f === file ? src : readFileSync(f, 'utf8')) });
  const config = p.config!;
  return { module: p.module, config, data: loadData(config.data.name, config.data.args) };
}

/** CPU seconds of one training epoch. */
function epochCpu(s: ReturnType<typeof variant>): number {
  const t0 = process.cpuUsage();
  train(s, { epochs: 1, testLimit: 0 });
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1e6;
}

/** examples/ptb_lstm.kiln at vocab 2,000, as shipped or with every dropout elementwise (masked). */
function ptb(masked: boolean) {
  const file = path.join(here, '../examples/ptb_lstm.kiln');
  const edit = (src: string) => (masked ? src.replace(/mode = structured/g, 'mode = elementwise') : src);
  const p = prepare(file, { requireTrain: true, overrides: new Map([['vocab', 2000]]), readFile: (f) => edit(readFileSync(f, 'utf8')) });
  return { module: p.module, config: p.config! };
}

function estimatedEpoch(s: Pick<ReturnType<typeof variant>, 'module' | 'config'>): { latency: number; energy: number } {
  const target = presets().get('avx2_laptop')!;
  const r = estimateTraining(s.module, target, trainingPlan(s.config, s.config.batch!));
  if (offChip(r)) throw new Error(r.off_chip);
  const e = r.summary.per_epoch as { latency_s: number; energy_j: number };
  return { latency: e.latency_s, energy: e.energy_j };
}

function compare(title: string, a: [string, ReturnType<typeof variant>], b: [string, ReturnType<typeof variant>], rounds: number): void {
  epochCpu(a[1]);
  epochCpu(b[1]);
  const ta: number[] = [], tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ta.push(epochCpu(a[1]));
    tb.push(epochCpu(b[1]));
  }
  const ea = estimatedEpoch(a[1]), eb = estimatedEpoch(b[1]);
  console.log(`\n${title}`);
  console.log(`  interpreter, CPU s per epoch  ${a[0]} ${ta.map((x) => x.toFixed(2)).join(' ')} (median ${median(ta).toFixed(2)})  ${b[0]} ${tb.map((x) => x.toFixed(2)).join(' ')} (median ${median(tb).toFixed(2)})`);
  console.log(`  interpreter ratio ${b[0]}/${a[0]}: ${(median(tb) / median(ta)).toFixed(2)}`);
  console.log(`  estimate (avx2_laptop) per epoch  ${a[0]} ${(ea.latency * 1e3).toFixed(2)} ms ${(ea.energy * 1e3).toFixed(1)} mJ  ${b[0]} ${(eb.latency * 1e3).toFixed(2)} ms ${(eb.energy * 1e3).toFixed(1)} mJ`);
  console.log(`  estimate ratio ${b[0]}/${a[0]}: latency ${(eb.latency / ea.latency).toFixed(2)}, energy ${(eb.energy / ea.energy).toFixed(2)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const asked = process.argv.slice(2);
  const want = (b: string) => asked.length === 0 || asked.includes(b);
  const hidden = 'h = dense(x, hidden) -> relu';
  if (want('dropout')) {
    compare('MNIST MLP, dropout(p = 0.5) after the hidden layer: masked (elementwise) vs batchwise (submatrices)',
      ['masked', variant('mlp', (s) => s.replace(hidden, `${hidden} -> dropout(p = 0.5)`))],
      ['batchwise', variant('mlp', (s) => s.replace(hidden, `${hidden} -> dropout(p = 0.5, mode = batchwise)`))], 3);
  }
  if (want('precision')) {
    const i16 = (s: string) => s
      .replace(/kernel = 5(, pad = 2)?\)/g, (m) => `${m.slice(0, -1)}, weights = i16, activations = i16)`)
      .replace(/dense\((120|84)\)/g, 'dense($1, weights = i16, activations = i16)')
      .replace('dense(f, 10)', 'dense(f, 10, weights = i16)');
    compare('LeNet-5: f32 vs int16 layers (weights and hidden activations)', ['f32', variant('lenet5', (s) => s)], ['i16', variant('lenet5', i16)], 2);
  }
  if (want('lstm')) {
    const r = benchLstmDropout(2, 100);
    const cpu = (xs: { cpu: number }[]) => median(xs.map((e) => e.cpu));
    const ea = estimatedEpoch(ptb(true)), eb = estimatedEpoch(ptb(false));
    console.log('\nptb_lstm (width 200, vocab 2,000), in-cell structured dropout 0.5: masked vs submatrices');
    console.log(`  interpreter, CPU s per epoch (${r.samples} sequences)  masked ${r.masked.map((e) => e.cpu.toFixed(2)).join(' ')}  submatrices ${r.submatrix.map((e) => e.cpu.toFixed(2)).join(' ')}`);
    console.log(`  interpreter ratio submatrices/masked: ${(cpu(r.submatrix) / cpu(r.masked)).toFixed(2)}`);
    console.log(`  estimate ratio submatrices/masked (avx2_laptop): latency ${(eb.latency / ea.latency).toFixed(2)}, energy ${(eb.energy / ea.energy).toFixed(2)}`);
  }
}

/**
 * The delta-network curve (docs/delta-networks.md, docs/techniques.md): accuracy and the share of
 * the dense GRU's multiply-accumulates over the threshold θ, on the shipped test data.
 *   mnist   examples/delta_gru.kiln on sequential MNIST (8,000 training digits, all 2,000 test)
 *   signal  examples/delta_signal.kiln on the generated slow_signal task
 * θ = 0 sends every change, so its forward pass is the dense GRU's (linear-before-reset form)
 * exactly: it is trained first, without the L1 cost, and is the baseline. Each θ > 0 is then evaluated twice: with the
 * baseline's weights as they are, and after `--finetune` epochs of delta-aware training from them
 * (threshold in the forward pass, the train block's delta_l1 on the changes) on the first
 * `--tune-samples` training samples. Progress on stderr.
 * `--from CKPT` skips training and measures a checkpoint trained at θ = 0 (kiln train
 * examples/delta_gru.kiln --set theta=0 --checkpoint CKPT) over the θs, as it is.
 * `nice -n 10 npx tsx bench/delta.ts [mnist|signal] [--epochs 3] [--finetune 1] [--tune-samples 2000] [--thetas 0,0.05,…] [--from CKPT]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadData } from '../runtime/data/index.ts';
import { measureDeltaActivity } from '../runtime/delta-activity.ts';
import { train } from '../runtime/train.ts';
import { subset } from '../runtime/data/dataset.ts';
import { prepare } from '../runtime/train/setup.ts';
import { initParams, type Weights } from '../runtime/interpreter.ts';
import { loadCheckpointInto } from '../runtime/train/state.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLES: Record<string, string> = { mnist: 'delta_gru', signal: 'delta_signal' };

function setup(task: string, theta: number) {
  const p = prepare(path.join(here, `../examples/${EXAMPLES[task]}.kiln`), { requireTrain: true, overrides: new Map([['theta', theta]]) });
  return { module: p.module, config: p.config!, data: loadData(p.config!.data.name, p.config!.data.args) };
}

interface Point { theta: number; finetuned: boolean; accuracy: number; fraction: number }

function measure(s: ReturnType<typeof setup>, weights: Weights, theta: number, finetuned: boolean): Point {
  const a = measureDeltaActivity(s.module, weights, s.data.test, s.data.test.count);
  const accuracy = a.correct / a.rows;
  const act = Object.values(a.layers);
  const done = act.reduce((a, l) => a + l.done, 0), dense = act.reduce((a, l) => a + l.dense, 0);
  const p = { theta, finetuned, accuracy, fraction: done / dense };
  process.stderr.write(`  θ = ${theta}${finetuned ? ' fine-tuned' : ''}: test ${(100 * accuracy).toFixed(2)}%, ${(100 * p.fraction).toFixed(1)}% of the dense MACs (${(1 / p.fraction).toFixed(1)}× fewer)\n`);
  return p;
}

/** The curve with the weights of a checkpoint (trained at θ = 0) as they are: no training. */
export function deltaCurveFrom(task: string, checkpoint: string, thetas: number[]): Point[] {
  return thetas.map((theta) => {
    const s = setup(task, theta);
    const weights = initParams(s.module, 0);
    loadCheckpointInto(checkpoint, s.module, weights);
    return measure(s, weights, theta, false);
  });
}

export function deltaCurve(task: string, epochs: number, finetune: number, tuneSamples: number, thetas: number[]): { points: Point[]; seconds: number } {
  const t0 = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-delta-'));
  const base = path.join(dir, 'base.ckpt');
  const progress = (what: string) => ({
    onEpoch: (r: { epoch: number; loss: number; test_accuracy: number; seconds: number }) =>
      process.stderr.write(`  ${what} epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, test ${(100 * r.test_accuracy).toFixed(2)}%, ${r.seconds.toFixed(1)} s\n`),
  });
  try {
    // The baseline trains without the L1 cost, as the dense network would.
    const s0 = { ...setup(task, 0) };
    s0.config = { ...s0.config, deltaL1: 0 };
    process.stderr.write(`${task}: training θ = 0 (the dense GRU's arithmetic) for ${epochs} epochs\n`);
    const r0 = train(s0, { epochs, checkpoint: base, testLimit: 0, ...progress('θ = 0') });
    const points = [measure(s0, r0.weights, 0, false)];
    for (const theta of thetas.filter((t) => t > 0)) {
      const s = setup(task, theta);
      points.push(measure(s, r0.weights, theta, false));
      if (finetune > 0) {
        // Fine-tuning sees the first `tuneSamples` training samples: CPU time is scarce here.
        const train0 = s.data.train;
        s.data = { ...s.data, train: subset(train0, Array.from({ length: Math.min(tuneSamples, train0.count) }, (_, i) => i)) };
        const r = train(s, { resume: base, epochs: epochs + finetune, testLimit: 0, ...progress(`θ = ${theta}`) });
        points.push(measure(s, r.weights, theta, true));
      }
    }
    return { points, seconds: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name: string, d: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : d; };
  const tasks = args.filter((a) => a in EXAMPLES);
  for (const task of tasks.length ? tasks : ['mnist']) {
    const from = opt('--from', '');
    const thetaList = opt('--thetas', '0,0.05,0.1,0.2,0.3,0.5').split(',').map(Number);
    const t0 = performance.now();
    const r = from ? { points: deltaCurveFrom(task, from, thetaList), seconds: (performance.now() - t0) / 1000 } : deltaCurve(task, Number(opt('--epochs', '3')), Number(opt('--finetune', '1')), Number(opt('--tune-samples', '2000')), opt('--thetas', '0,0.05,0.1,0.2,0.3,0.5').split(',').map(Number));
    const dense = r.points[0]!;
    console.log(`\n${task} (examples/${EXAMPLES[task]}.kiln), ${r.seconds.toFixed(0)} s in all`);
    console.log('| θ | weights | test accuracy | Δ vs θ = 0 | MACs vs dense | fewer MACs |');
    console.log('|---|---|---|---|---|---|');
    for (const p of r.points) {
      console.log(`| ${p.theta} | ${p.theta === 0 ? 'trained' : p.finetuned ? 'fine-tuned' : 'θ = 0 weights'} | ${(100 * p.accuracy).toFixed(2)}% | ${(100 * (p.accuracy - dense.accuracy)).toFixed(2)} | ${(100 * p.fraction).toFixed(1)}% | ${(1 / p.fraction).toFixed(1)}× |`);
    }
  }
}

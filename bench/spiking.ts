/**
 * Spiking training speed: epochs of examples/spiking_cnn.kiln as `kiln train` runs them (forward
 * over the time steps, cross-entropy, BPTT, Adam step) without the test-set evaluation, at 5 time
 * steps on 1,600 training digits: the configuration bench/torch/spiking_cnn.py times in PyTorch.
 * The first epoch includes JIT warm-up; the median of the rest is the steady state.
 *   npx tsx bench/spiking.ts [--steps T] [--train N] [--epochs E]
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadData } from '../runtime/data/index.ts';
import { train } from '../runtime/train.ts';
import { prepare } from '../runtime/train/setup.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(here, '../examples/spiking_cnn.kiln');

/** examples/spiking_cnn.kiln with its time steps and training-set size replaced. */
export function spikingSource(steps: number, trainCount: number): string {
  const src = readFileSync(file, 'utf8');
  const out = src.replace(/timesteps \d+/, `timesteps ${steps}`).replace(/mnist\(train = \d+/, `mnist(train = ${trainCount}`);
  if (!/timesteps \d+/.test(src) || !/mnist\(train = \d+/.test(src)) throw new Error('examples/spiking_cnn.kiln no longer has the lines this benchmark edits');
  return out;
}

/** Seconds of each of `epochs` training epochs. */
export function benchSpiking(steps = 5, trainCount = 1600, epochs = 3): { seconds: number[]; cpu: number[]; steady: number; samples: number } {
  const src = spikingSource(steps, trainCount);
  const p = prepare(file, { requireTrain: true, readFile: (f) => (f === file ? src : readFileSync(f, 'utf8')) });
  const config = p.config!;
  const data = loadData(config.data.name, config.data.args);
  const seconds: number[] = [], cpu: number[] = [];
  // CPU seconds as well as wall seconds: on a shared machine the wall clock also counts the time
  // other processes held the core.
  let used = process.cpuUsage();
  train({ module: p.module, config, data }, {
    epochs, testLimit: 0,
    onEpoch: (r) => { seconds.push(r.seconds); const c = process.cpuUsage(used); cpu.push((c.user + c.system) / 1e6); used = process.cpuUsage(); },
    onBatch: (b) => process.stderr.write(`\repoch ${b.epoch}/${b.epochs} batch ${b.batch}/${b.batches} ${b.seconds.toFixed(1)} s`),
  });
  process.stderr.write('\n');
  const rest = seconds.length > 1 ? seconds.slice(1).sort((a, b) => a - b) : seconds;
  return { seconds, cpu, steady: rest[Math.floor(rest.length / 2)]!, samples: data.train.count };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { steps: { type: 'string', default: '5' }, train: { type: 'string', default: '1600' }, epochs: { type: 'string', default: '3' } } });
  const r = benchSpiking(Number(values.steps), Number(values.train), Number(values.epochs));
  console.log(`spiking_cnn (examples/spiking_cnn.kiln), ${values.steps} time steps, one training epoch of ${r.samples} digits`);
  r.seconds.forEach((s, i) => console.log(`  epoch ${i + 1}${i === 0 ? ' (cold)' : '       '}  ${s.toFixed(2).padStart(6)} s wall  ${r.cpu[i]!.toFixed(2).padStart(6)} s CPU`));
  console.log(`  steady state: ${r.steady.toFixed(2)} s per epoch`);
}

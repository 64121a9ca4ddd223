/**
 * Training benchmark: epochs of examples/mlp.kiln (784 → 256 → 10, batch 64, Adam) on the 8,000
 * MNIST training digits, as `kiln train` runs them (forward, fused cross-entropy, backward, Adam
 * step, shifted inputs as its train block asks), without the test-set evaluation. Goal: an epoch
 * in under 2 s on this machine. The first epoch includes JIT warm-up; the median of the rest is
 * the steady state.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadData } from '../runtime/data/index.ts';
import { train } from '../runtime/train.ts';
import { prepare } from '../runtime/train/setup.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export function benchTraining(epochs = 4): { seconds: number[]; samples: number; steady: number } {
  const p = prepare(path.join(here, '../examples/mlp.kiln'), { requireTrain: true });
  const config = p.config!;
  const data = loadData(config.data.name, config.data.args);
  const seconds: number[] = [];
  train({ module: p.module, config, data }, { epochs, testLimit: 0, onEpoch: (r) => seconds.push(r.seconds) });
  const rest = seconds.slice(1).sort((a, b) => a - b);
  return { seconds, samples: data.train.count, steady: rest[Math.floor(rest.length / 2)] ?? seconds[0]! };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = benchTraining();
  console.log(`MNIST MLP (examples/mlp.kiln), one training epoch of ${r.samples.toLocaleString('en-US')} samples (goal: under 2 s)`);
  r.seconds.forEach((s, i) => console.log(`  epoch ${i + 1}${i === 0 ? ' (cold)' : '       '}  ${s.toFixed(2).padStart(6)} s  ${Math.round(r.samples / s).toLocaleString('en-US').padStart(7)} samples/s`));
  console.log(`  steady state (median of epochs 2–${r.seconds.length}): ${r.steady.toFixed(2)} s, ${Math.round(r.samples / r.steady).toLocaleString('en-US')} samples/s`);
}

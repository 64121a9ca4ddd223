/**
 * Training benchmarks, epochs as `kiln train` runs them (forward, fused cross-entropy, backward,
 * Adam step, shifted inputs as the train blocks ask) without the test-set evaluation:
 *   mlp      examples/mlp.kiln (784 → 256 → 10, batch 64) on the 8,000 MNIST training digits.
 *            Goal: an epoch in under 2 s on this machine.
 *   dropout  the same MLP with dropout(p = 0.5, mode = batchwise) after the hidden layer, trained
 *            on submatrices (the default) and with the mask, epochs alternating so that load from
 *            other processes hits both alike.
 *   lenet    examples/lenet5.kiln (batch 32) on the same digits.
 *   lstm     examples/ptb_lstm.kiln at width 200 (PTB size) with vocab 2,000, structured dropout
 *            inside the LSTM cell (p = 0.5), on 100 State of the Union sequences of 35 words:
 *            epochs on the kept units' submatrices and masked, alternating; wall-clock and process
 *            CPU seconds (CPU time is what a loaded machine distorts least).
 * The first epoch of a run includes JIT warm-up; the median of the rest is the steady state.
 *   peers    mlp, lenet5 and binary_mlp on the WebAssembly kernels (the default), on the JS
 *            kernels (not binary_mlp: minutes an epoch, and nothing to compare), and in PyTorch on
 *            one thread, in CPU seconds per epoch (bench/torch/train_examples.py, the same layers,
 *            batch, optimizer, schedule and shifts on the same digits; skipped when torch is
 *            absent); each network in its own process (`peers:lenet5` runs one).
 * The first epoch of a run includes JIT warm-up; the median of the rest is the steady state.
 * `npx tsx bench/training.ts [mlp|dropout|lenet|lstm|peers]…` (all but peers by default).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadData } from '../runtime/data/index.ts';
import { subset } from '../runtime/data/dataset.ts';
import { train, type TrainOptions } from '../runtime/train.ts';
import { prepare } from '../runtime/train/setup.ts';
import { setKernelBackend } from '../runtime/kernels/wasm/instance.ts';
import { median } from './timing.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const example = (name: string) => path.join(here, `../examples/${name}.kiln`);


function setup(file: string, readFile?: (f: string) => string, overrides?: Map<string, number>) {
  const p = prepare(file, { requireTrain: true, readFile, overrides });
  const config = p.config!;
  return { module: p.module, config, data: loadData(config.data.name, config.data.args) };
}

/** Seconds per epoch of one run of `epochs` epochs. */
function epochTimes(s: ReturnType<typeof setup>, epochs: number, o: TrainOptions = {}): number[] {
  const seconds: number[] = [];
  train(s, { ...o, epochs, testLimit: 0, onEpoch: (r) => seconds.push(r.seconds) });
  return seconds;
}

export function benchTraining(epochs = 4, name = 'mlp'): { seconds: number[]; samples: number; steady: number } {
  const s = setup(example(name));
  const seconds = epochTimes(s, epochs);
  return { seconds, samples: s.data.train.count, steady: seconds.length > 1 ? median(seconds.slice(1)) : seconds[0]! };
}

/** The MLP with batchwise dropout after its hidden layer: epochs on submatrices and masked, alternating. */
export function benchDropout(rounds = 4): { submatrix: number[]; masked: number[]; samples: number } {
  const file = example('mlp');
  const src = readFileSync(file, 'utf8').replace('h = dense(x, hidden) -> relu', 'h = dense(x, hidden) -> relu -> dropout(p = 0.5, mode = batchwise)');
  if (!src.includes('batchwise')) throw new Error('examples/mlp.kiln no longer has the hidden layer this benchmark edits');
  const s = setup(file, (f) => (f === file ? src : readFileSync(f, 'utf8')));
  epochTimes(s, 1);
  epochTimes(s, 1, { submatrix: false });
  const submatrix: number[] = [], masked: number[] = [];
  for (let r = 0; r < rounds; r++) {
    submatrix.push(...epochTimes(s, 1));
    masked.push(...epochTimes(s, 1, { submatrix: false }));
  }
  return { submatrix, masked, samples: s.data.train.count };
}

/** examples/ptb_lstm.kiln with in-cell structured dropout: epochs on submatrices and masked, alternating. */
export function benchLstmDropout(rounds = 3, sequences = 100): { submatrix: EpochCost[]; masked: EpochCost[]; samples: number } {
  const s = setup(example('ptb_lstm'), undefined, new Map([['vocab', 2000]]));
  if (s.module.nodes['h.lstm']?.attrs.dropout_mode !== 'structured') throw new Error('examples/ptb_lstm.kiln no longer has the lstm `h` with dropout_mode = structured this benchmark measures');
  s.data.train = subset(s.data.train, Array.from({ length: sequences }, (_, i) => i));
  const epoch = (submatrix: boolean): EpochCost => {
    const c0 = process.cpuUsage();
    const [wall] = epochTimes(s, 1, { submatrix });
    const c = process.cpuUsage(c0);
    return { wall: wall!, cpu: (c.user + c.system) / 1e6 };
  };
  epoch(true);
  epoch(false);
  const submatrix: EpochCost[] = [], masked: EpochCost[] = [];
  for (let r = 0; r < rounds; r++) {
    submatrix.push(epoch(true));
    masked.push(epoch(false));
  }
  return { submatrix, masked, samples: sequences };
}

interface EpochCost { wall: number; cpu: number }

/**
 * Steady-state CPU seconds per epoch of `name` per backend, and of its PyTorch mirror when torch is
 * installed. PyTorch runs right after the WebAssembly kernels, before the JS ones: under a load
 * that changes from minute to minute, the JS epochs in between (10+ s) let the two compared runs
 * see different machines.
 */
export function benchPeers(name: string, epochs: number, backends: readonly ('wasm' | 'js')[] = ['wasm', 'js']): { wasm: number; js?: number; torch?: number; torchVersion?: string } {
  const s = setup(example(name));
  const steady = (xs: number[]) => median(xs.slice(1));
  const out: { wasm: number; js?: number; torch?: number; torchVersion?: string } = { wasm: 0 };
  const kiln = (backend: 'wasm' | 'js') => {
    setKernelBackend(backend);
    console.error(`training: ${name} on the ${backend} kernels…`);
    // CPU seconds of this (single-threaded) process per epoch: on a shared machine wall-clock
    // epochs mostly measure the other jobs.
    const cpu: number[] = [];
    let last = process.cpuUsage();
    train(s, {
      epochs, testLimit: 0, onEpoch: (r) => {
        const d = process.cpuUsage(last);
        cpu.push((d.user + d.system) / 1e6);
        // Each epoch as the PyTorch mirror prints its own, so a run shows what its median hides.
        console.error(`kiln ${name} (${backend}) epoch ${r.epoch}: ${cpu.at(-1)!.toFixed(2)} s, loss ${r.loss.toFixed(4)}`);
        last = process.cpuUsage();
      },
    });
    out[backend] = steady(cpu);
    setKernelBackend(undefined);
  };
  const torch = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiln-torch-'));
    try {
      const d = s.data.train;
      writeFileSync(path.join(dir, 'x.f32'), d.x);
      writeFileSync(path.join(dir, 'y.i32'), d.y);
      console.error(`training: ${name} in PyTorch…`);
      const r = spawnSync('/usr/bin/python3', [path.join(here, 'torch/train_examples.py'), dir, String(epochs), name], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
      });
      if (r.status === 0) {
        const j = JSON.parse(r.stdout) as Record<string, number[] | string>;
        out.torch = steady(j[name] as number[]);
        out.torchVersion = j.torch as string;
      } else console.error('training: PyTorch mirror skipped (is torch installed for /usr/bin/python3?)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  if (backends.includes('wasm')) kiln('wasm');
  torch();
  for (const b of backends) if (b !== 'wasm') kiln(b);
  return out;
}

const rate = (samples: number, s: number) => Math.round(samples / s).toLocaleString('en-US').padStart(7);

function printRun(title: string, r: { seconds: number[]; samples: number; steady: number }): void {
  console.log(title);
  r.seconds.forEach((s, i) => console.log(`  epoch ${i + 1}${i === 0 ? ' (cold)' : '       '}  ${s.toFixed(2).padStart(6)} s  ${rate(r.samples, s)} samples/s`));
  console.log(`  steady state (median of epochs 2–${r.seconds.length}): ${r.steady.toFixed(2)} s, ${rate(r.samples, r.steady).trim()} samples/s`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const asked = process.argv.slice(2);
  const want = (b: string) => asked.length === 0 || asked.includes(b);
  const peers = new Map([['mlp', 4], ['lenet5', 3], ['binary_mlp', 3]]);
  const onePeer = asked.find((a) => a.startsWith('peers:'))?.slice('peers:'.length);
  if (onePeer !== undefined) {
    const r = benchPeers(onePeer, peers.get(onePeer) ?? 3, onePeer === 'binary_mlp' ? ['wasm'] : ['wasm', 'js']);
    const t = r.torch === undefined ? '–' : r.torch.toFixed(2);
    const vs = r.torch === undefined ? '–' : `${(r.torch / r.wasm).toFixed(2)}×`;
    console.log(`| ${onePeer} | ${r.wasm.toFixed(2)} | ${r.js?.toFixed(2) ?? '–'} | ${t} | ${vs} |`);
  } else if (asked.includes('peers')) {
    console.log('| network (CPU s per epoch, 8,000 digits) | Kiln WASM | Kiln JS | PyTorch (1 thread) | PyTorch ÷ Kiln WASM |');
    console.log('|---|---|---|---|---|');
    // Each network in a fresh process, as the PyTorch mirror runs: LeNet-5 trained after the MLP
    // in one process spent 1.4× the CPU time per epoch, most of it in garbage collection of a
    // heap that still held the MLP's run (docs/benchmarks.md, issue 15).
    for (const name of peers.keys()) {
      spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, `peers:${name}`], { stdio: 'inherit' });
    }
  }
  if (want('mlp')) printRun('MNIST MLP (examples/mlp.kiln), one training epoch of 8,000 samples (goal: under 2 s)', benchTraining());
  if (want('dropout')) {
    const r = benchDropout();
    const sub = median(r.submatrix), mask = median(r.masked);
    console.log('\nMNIST MLP with dropout(p = 0.5, mode = batchwise) after the hidden layer, alternating epochs');
    console.log(`  submatrices  ${r.submatrix.map((s) => s.toFixed(2)).join(' ')} s  median ${sub.toFixed(2)} s`);
    console.log(`  mask         ${r.masked.map((s) => s.toFixed(2)).join(' ')} s  median ${mask.toFixed(2)} s`);
    console.log(`  speedup ${(mask / sub).toFixed(2)}×`);
  }
  if (want('lstm')) {
    const r = benchLstmDropout();
    console.log(`\nexamples/ptb_lstm.kiln (width 200, vocab 2,000), lstm dropout = 0.5 inside the cell, ${r.samples} sequences of 35 words per epoch, alternating`);
    for (const k of ['wall', 'cpu'] as const) {
      const sub = median(r.submatrix.map((e) => e[k])), mask = median(r.masked.map((e) => e[k]));
      console.log(`  ${k === 'wall' ? 'wall-clock' : 'CPU       '}  submatrices ${r.submatrix.map((e) => e[k].toFixed(2)).join(' ')} s (median ${sub.toFixed(2)})  ` +
        `mask ${r.masked.map((e) => e[k].toFixed(2)).join(' ')} s (median ${mask.toFixed(2)})  speedup ${(mask / sub).toFixed(2)}×`);
    }
  }
  if (want('lenet')) printRun('\nLeNet-5 (examples/lenet5.kiln, batch 32), one training epoch of 8,000 samples', benchTraining(3, 'lenet5'));
}

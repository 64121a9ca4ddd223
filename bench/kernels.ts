/**
 * Kernel benchmark: Kiln's fp32 kernels on both backends (WebAssembly SIMD, the default, and the
 * plain-JS reference) against @tensorflow/tfjs-backend-wasm (XNNPACK, one thread) in the same
 * process, timed round-robin, and PyTorch (bench/torch/kernels.py, one thread, skipped when torch
 * is absent) in the same run. Run with `npx tsx bench/kernels.ts` (add `--quick` for fewer reps).
 * Prints markdown tables (medians) ready for docs/benchmarks.md.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sgemm } from '../runtime/kernels/gemm.ts';
import { conv2d } from '../runtime/kernels/conv2d.ts';
import { conv2dBackward } from '../runtime/kernels/conv2d-backward.ts';
import { packSignBits, xnorGemm } from '../runtime/kernels/binary.ts';
import { floatBuffer, scratchMark, scratchRelease } from '../runtime/kernels/wasm/instance.ts';
import { mulberry32, randomNormal } from '../runtime/tensor.ts';
import { onBackend, type Timing, timeTogether, timeTogetherAsync } from './timing.ts';
import { convModel, loadOrt, matMulModel, type Ort } from './ort.ts';

/** fp32 peak of one core: 16 FMA lanes (2 AVX2 FMA pipes × 8) × 2 FLOP × ≈ 2.45 GHz (docs/references.md, "The development machine"). */
const PEAK_GFLOPS_PER_CORE = 78;
const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 5;

const time = (fn: () => void, reps = REPS, warmup = 2): Timing => timeTogether([fn], reps, warmup)[0]!;

const gflops = (flops: number, ms: number): number => flops / ms / 1e6;
const fmt = (v: number): string => v.toFixed(2);


interface Row { name: string; flops: number; wasm: Timing; resident?: Timing; js: Timing; tfjs: Timing; ort?: Timing; torchMs?: number }

/** Largest |a − b| relative to the largest |b|: a wrongly built ORT model would time nothing useful. */
function checkClose(what: string, got: Float32Array, want: Float32Array): void {
  let err = 0, scale = 0;
  for (let i = 0; i < want.length; i++) { err = Math.max(err, Math.abs(got[i]! - want[i]!)); scale = Math.max(scale, Math.abs(want[i]!)); }
  if (got.length !== want.length || !(err <= 1e-5 * scale)) throw new Error(`onnxruntime-node's ${what} differs from Kiln's (max error ${err} of ${scale})`);
  console.error(`kernels: onnxruntime-node's ${what} matches Kiln's (max error ${err.toExponential(1)} of ${scale.toFixed(1)})`);
}

/**
 * A peer that is not a dependency must not take the other columns down with it: a session ORT
 * refuses (an older build, another opset) or a result that differs from Kiln's leaves its column
 * "–" and says why on stderr.
 */
async function ortRow<T>(ort: Ort | undefined, what: string, make: (o: Ort) => Promise<T>): Promise<T | undefined> {
  if (!ort) return undefined;
  try {
    return await make(ort);
  } catch (e) {
    console.error(`kernels: onnxruntime-node's ${what}: ${(e as Error).message}; its column is left "–"`);
    return undefined;
  }
}

async function gemmRow(n: number, ort: Ort | undefined, torchMs?: number): Promise<Row> {
  const rng = mulberry32(n);
  const a = randomNormal([n, n], rng).data, b = randomNormal([n, n], rng).data, c = new Float32Array(n * n);
  const ta = tf.tensor2d(a, [n, n]), tb = tf.tensor2d(b, [n, n]);
  // The same product with A, B and C already in the kernels' memory: the difference is the copying.
  const mark = scratchMark();
  const [ra, rb, rc] = [a, b, c].map((m) => { const f = floatBuffer(m.length, true); f.view.set(m); return f; }) as [ReturnType<typeof floatBuffer>, ReturnType<typeof floatBuffer>, ReturnType<typeof floatBuffer>];
  const feeds = { a: { data: a, dims: [n, n] }, b: { data: b, dims: [n, n] } };
  const runOrt = await ortRow(ort, `MatMul ${n}³`, async (o) => {
    const run = await o.session(matMulModel(n));
    sgemm({ m: n, n, k: n, a, b, c });
    checkClose(`MatMul ${n}³`, await run(feeds), c);
    return run;
  });
  const [wasm, resident, js, tfjs, ortT] = await timeTogetherAsync([
    onBackend('wasm', () => sgemm({ m: n, n, k: n, a, b, c })),
    onBackend('wasm', () => sgemm({ m: n, n, k: n, a: ra.view, b: rb.view, c: rc.view })),
    onBackend('js', () => sgemm({ m: n, n, k: n, a, b, c })),
    () => { const r = tf.matMul(ta, tb); r.dataSync(); r.dispose(); },
    ...(runOrt ? [async () => { await runOrt(feeds); }] : []),
  ], REPS) as [Timing, Timing, Timing, Timing, Timing?];
  scratchRelease(mark);
  ta.dispose(); tb.dispose();
  return { name: `fp32 GEMM ${n}³`, flops: 2 * n ** 3, wasm, resident, js, tfjs, ort: ortT, torchMs };
}

async function convRow(ort: Ort | undefined, torchMs?: number): Promise<Row> {
  const rng = mulberry32(7);
  const x = randomNormal([1, 64, 56, 56], rng), w = randomNormal([64, 64, 3, 3], rng);
  // tfjs computes NHWC; same arithmetic, its native layout.
  const tx = tf.randomNormal([1, 56, 56, 64]) as tf.Tensor4D, tw = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  // ORT takes NCHW like Kiln, so it gets Kiln's own operands and its result can be checked.
  const feeds = { x: { data: x.data, dims: x.shape } };
  const runOrt = await ortRow(ort, 'Conv 3×3', async (o) => {
    const run = await o.session(convModel(x.shape, w));
    checkClose('Conv 3×3', await run(feeds), conv2d(x, w, undefined, { pad: 1 }).data);
    return run;
  });
  const [wasm, js, tfjs, ortT] = await timeTogetherAsync([
    onBackend('wasm', () => conv2d(x, w, undefined, { pad: 1 })),
    onBackend('js', () => conv2d(x, w, undefined, { pad: 1 })),
    () => { const r = tf.conv2d(tx, tw, 1, 'same'); r.dataSync(); r.dispose(); },
    ...(runOrt ? [async () => { await runOrt(feeds); }] : []),
  ], REPS) as [Timing, Timing, Timing, Timing?];
  tx.dispose(); tw.dispose();
  return { name: 'conv2d 3×3 64→64, 1×64×56×56', flops: 2 * 56 * 56 * 64 * 64 * 9, wasm, js, tfjs, ort: ortT, torchMs };
}

/** LeNet-5's convolutions on a training minibatch of 32 (5×5, stride 1; c1 padded by 2). */
const LENET = [
  { name: 'c1', cin: 1, cout: 6, hw: 28, pad: 2 },
  { name: 'c2', cin: 6, cout: 16, hw: 14, pad: 0 },
] as const;

function lenetRows(): Row[] {
  const rows: Row[] = [];
  for (const l of LENET) {
    const rng = mulberry32(l.cout);
    const x = randomNormal([32, l.cin, l.hw, l.hw], rng), w = randomNormal([l.cout, l.cin, 5, 5], rng);
    const o = l.hw + 2 * l.pad - 4;
    const macs = 32 * l.cout * l.cin * 25 * o * o;
    const tx = tf.randomNormal([32, l.hw, l.hw, l.cin]) as tf.Tensor4D, tw = tf.randomNormal([5, 5, l.cin, l.cout]) as tf.Tensor4D;
    const [wasm, js, tfjs] = timeTogether([
      onBackend('wasm', () => conv2d(x, w, undefined, { pad: l.pad })),
      onBackend('js', () => conv2d(x, w, undefined, { pad: l.pad })),
      () => { const r = tf.conv2d(tx, tw, 1, l.pad ? 'same' : 'valid'); r.dataSync(); r.dispose(); },
    ], REPS) as [Timing, Timing, Timing];
    tx.dispose(); tw.dispose();
    rows.push({ name: `LeNet-5 ${l.name} forward, batch 32 (${l.cin}→${l.cout}, ${l.hw}×${l.hw})`, flops: 2 * macs, wasm, js, tfjs });
  }
  return rows;
}

/** Kiln's conv2d backward on the same layers, as training runs it (c1 needs no input gradient). */
function lenetBackward(): { name: string; flops: number; wasm: Timing; js: Timing }[] {
  return LENET.map((l) => {
    const rng = mulberry32(l.cout + 1);
    const x = randomNormal([32, l.cin, l.hw, l.hw], rng), w = randomNormal([l.cout, l.cin, 5, 5], rng);
    const o = l.hw + 2 * l.pad - 4;
    const dy = randomNormal([32, l.cout, o, o], rng);
    const input = l.cin > 1;
    const run = () => conv2dBackward(x, w, dy, { pad: l.pad }, { input, weight: true, bias: true });
    const [wasm, js] = timeTogether([onBackend('wasm', run), onBackend('js', run)], REPS) as [Timing, Timing];
    const flops = 2 * 32 * l.cout * l.cin * 25 * o * o * (input ? 2 : 1);
    return { name: `LeNet-5 ${l.name} backward (${input ? 'dx, ' : ''}dW, db)`, flops, wasm, js };
  });
}

function xnorRate(): { gmacs: number; median: number } {
  const m = 256, n = 256, k = 4096;
  const rng = mulberry32(3);
  const a = randomNormal([m, k], rng).data, b = randomNormal([n, k], rng).data;
  const pa = packSignBits(a, m, k), pb = packSignBits(b, n, k);
  const out = new Int32Array(m * n);
  const t = time(() => xnorGemm(pa, pb, out), quick ? 5 : 11, 3);
  return { gmacs: (m * n * k) / t.best / 1e6, median: (m * n * k) / t.median / 1e6 };
}

interface TorchTimes { torch: string; gemm1024: number; conv64: number }

/** bench/torch/kernels.py on one thread, or undefined when PyTorch is not installed. */
function torchPeer(): TorchTimes | undefined {
  const script = fileURLToPath(new URL('./torch/kernels.py', import.meta.url));
  const r = spawnSync('/usr/bin/python3', [script, String(REPS)], {
    encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (r.status !== 0) {
    console.error(`PyTorch peer skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    return undefined;
  }
  return JSON.parse(r.stdout) as TorchTimes;
}

async function main(): Promise<void> {
  const wasmDist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  setWasmPaths(wasmDist + path.sep);
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  console.error('kernels: PyTorch peer…');
  const torch = torchPeer();
  console.error('kernels: GEMM and conv…');
  const ort = await loadOrt();
  const rows = [await gemmRow(1024, ort, torch?.gemm1024), await convRow(ort, torch?.conv64), ...lenetRows()];
  const back = lenetBackward();
  const x = xnorRate();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nMachine: ${cpu}, ${availableParallelism()} cores visible, Node ${process.version}, tfjs ${tf.version.tfjs} (backend ${tf.getBackend()}, 1 thread)` +
    `${ort ? `, onnxruntime-node ${ort.version} (1 thread)` : ', onnxruntime-node absent'}${torch ? `, PyTorch ${torch.torch} (1 thread)` : ', PyTorch absent'}.`);
  console.log(`fp32 peak ≈ ${PEAK_GFLOPS_PER_CORE} GFLOP/s per core (AVX2 FMA; WebAssembly's 128-bit SIMD without FMA reaches a quarter of it). Medians of ${REPS} runs after warm-up, GFLOP/s of CPU time.\n`);
  console.log('| kernel | Kiln WASM | Kiln WASM, operands resident | Kiln JS | tfjs-wasm | onnxruntime-node | PyTorch | WASM vs JS |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const g = (t: Timing | undefined) => (t ? fmt(gflops(r.flops, t.median)) : '–');
    const pt = r.torchMs === undefined ? '–' : fmt(gflops(r.flops, r.torchMs));
    console.log(`| ${r.name} | ${g(r.wasm)} | ${g(r.resident)} | ${g(r.js)} | ${g(r.tfjs)} | ${g(r.ort)} | ${pt} | ${(r.js.median / r.wasm.median).toFixed(1)}× |`);
  }
  for (const b of back) {
    console.log(`| ${b.name} | ${fmt(gflops(b.flops, b.wasm.median))} | – | ${fmt(gflops(b.flops, b.js.median))} | – | – | – | ${(b.js.median / b.wasm.median).toFixed(1)}× |`);
  }
  console.log(`\nXNOR-popcount GEMM 256×256×4096 (±1): ${x.gmacs.toFixed(1)} G binary MAC/s best, ${x.median.toFixed(1)} median.`);
}

await main();

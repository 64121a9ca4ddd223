/**
 * Multi-threaded fp32 GEMM on worker_threads, still synchronous for the caller: the main thread
 * hands each worker a band of C's columns through SharedArrayBuffers, computes its own band, then
 * blocks in Atomics.wait until the workers are done. Bands start at multiples of the micro-tile
 * width and every band runs the same packed kernel with the same k-blocking, so the result is
 * bit-identical to the single-threaded sgemm.
 *
 * Workers are created lazily from a source string (gemmCoreSource), unref'd so they never keep the
 * process alive, and used only after they report ready; a worker that fails or stalls is retired
 * and its share recomputed on the main thread from the untouched inputs. Small products, and every
 * run unless KILN_THREADS or setGemmThreads asks for more threads, stay on the single-threaded path.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { type GemmParams, checkGemm, gemmCore, gemmCoreSource, sgemm } from './gemm.ts';
import { useWasmKernels } from './wasm/instance.ts';

/** Below this many multiply-adds the copies and the wake-up cost more than a second core saves. */
const PARALLEL_MACS = 1 << 23;
/** Column bands are multiples of the micro-kernel width (NR = 4) and at least this wide. */
const MIN_BAND = 64;
const STALL_MS = 60_000;

// Control words in each worker's Int32Array.
const READY = 0;
const DONE = 1;
const FAILED = 2;

interface PoolWorker {
  worker: Worker;
  ctrl: Int32Array;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
}

let threads = defaultThreads();
let pool: PoolWorker[] = [];
let offloaded = 0;

/** Column bands computed by workers so far (lets tests and benchmarks see the threads at work). */
export function offloadedBands(): number {
  return offloaded;
}

/**
 * One thread unless KILN_THREADS says otherwise ('auto' = every core, at most 4): on a machine
 * shared with other jobs a second thread often only waits for a busy core, so it is opt-in.
 */
function defaultThreads(): number {
  const env = process.env.KILN_THREADS;
  if (env === 'auto') return Math.max(1, Math.min(4, availableParallelism()));
  const n = Number(env);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Threads (including the caller's) that large GEMMs may use; 1 disables workers. */
export function gemmThreads(): number {
  return threads;
}

export function setGemmThreads(n: number): void {
  threads = Math.max(1, Math.floor(n));
  if (pool.length > threads - 1) {
    for (const w of pool.splice(threads - 1)) void w.worker.terminate();
  }
}

/** Start the workers and resolve with how many are ready (within `timeoutMs`). */
export async function warmGemmWorkers(timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = readyWorkers().length;
    if (ready >= threads - 1 || Date.now() > deadline) return ready;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Terminate all workers (tests and benchmarks call this to leave nothing behind). */
export async function shutdownGemmWorkers(): Promise<void> {
  const old = pool;
  pool = [];
  await Promise.all(old.map((w) => w.worker.terminate()));
}

// Jobs arrive as messages (the worker's own event loop delivers them while the main thread
// blocks); completion is signalled through shared memory, which needs no event loop at all.
const WORKER_BODY = `
const { parentPort, workerData } = require('node:worker_threads');
const ctrl = new Int32Array(workerData.ctrl);
parentPort.on('message', (m) => {
  try {
    const p = m.params;
    gemmCore(p[0], p[1], p[2], p[3], new Float32Array(m.a), p[4], p[5], p[6] === 1,
      new Float32Array(m.b), p[7], p[8], p[9] === 1, p[10], new Float32Array(m.c), p[11], p[12]);
  } catch (e) {
    Atomics.store(ctrl, ${FAILED}, 1);
  }
  Atomics.add(ctrl, ${DONE}, 1);
  Atomics.notify(ctrl, ${DONE});
});
// Warm the JIT on a small product so the first real band does not run in the interpreter.
{
  const a = new Float32Array(96 * 96).fill(1), c = new Float32Array(96 * 96);
  for (let i = 0; i < 4; i++) gemmCore(96, 96, 96, 1, a, 0, 96, false, a, 0, 96, false, 0, c, 0, 96);
}
Atomics.store(ctrl, ${READY}, 1);
`;

function spawn(): PoolWorker | undefined {
  try {
    const ctrl = new Int32Array(new SharedArrayBuffer(4 * 4));
    const worker = new Worker(`${gemmCoreSource()}\n${WORKER_BODY}`, { eval: true, workerData: { ctrl: ctrl.buffer } });
    worker.unref();
    worker.on('error', () => retire(worker));
    return { worker, ctrl, a: new Float32Array(0), b: new Float32Array(0), c: new Float32Array(0) };
  } catch {
    return undefined;
  }
}

function retire(worker: Worker): void {
  pool = pool.filter((w) => w.worker !== worker);
  void worker.terminate();
}

function shared(arr: Float32Array, len: number): Float32Array {
  return arr.length >= len ? arr : new Float32Array(new SharedArrayBuffer(4 * Math.max(len, arr.length * 2)));
}

/** Workers that have started and reported ready, creating any that are missing. */
function readyWorkers(): PoolWorker[] {
  while (pool.length < threads - 1) {
    const w = spawn();
    if (!w) break;
    pool.push(w);
  }
  return pool.filter((w) => Atomics.load(w.ctrl, READY) === 1);
}

/** Same contract as sgemm; large products are split across threads. */
export function sgemmParallel(p: GemmParams): void {
  const { m, n, k } = p;
  // The workers run the JavaScript kernels: one thread of the WebAssembly GEMM is faster than
  // four of them, so with KILN_KERNELS=wasm every product stays on the calling thread.
  if (useWasmKernels() || threads <= 1 || m * n * k < PARALLEL_MACS || n < 2 * MIN_BAND) { sgemm(p); return; }
  const workers = readyWorkers().slice(0, Math.floor(n / MIN_BAND) - 1);
  if (workers.length === 0) { sgemm(p); return; }
  // Validate the whole problem once; the bands below skip the checks.
  const { transA, transB, alpha, beta, aOff, bOff, cOff, lda, ldb, ldc } = checkGemm(p);
  const parts = workers.length + 1;
  const band = Math.ceil(n / parts / 4) * 4;
  const aLen = (transA ? k : m) * lda;
  const bLen = (transB ? n : k) * ldb;
  const cLen = m * ldc;
  const started: { w: PoolWorker; j0: number; j1: number; done: number }[] = [];
  for (let t = 1; t < parts; t++) {
    const j0 = t * band;
    const j1 = Math.min(n, j0 + band);
    if (j0 >= j1) break;
    const w = workers[t - 1]!;
    w.a = shared(w.a, aLen); w.b = shared(w.b, bLen); w.c = shared(w.c, cLen);
    w.a.set(p.a.subarray(aOff, aOff + aLen));
    w.b.set(p.b.subarray(bOff, bOff + bLen));
    if (beta !== 0) for (let i = 0; i < m; i++) w.c.set(p.c.subarray(cOff + i * ldc + j0, cOff + i * ldc + j1), i * ldc + j0);
    const params = [m, j1 - j0, k, alpha, 0, lda, transA ? 1 : 0, transB ? j0 * ldb : j0, ldb, transB ? 1 : 0, beta, j0, ldc];
    Atomics.store(w.ctrl, FAILED, 0);
    const done = Atomics.load(w.ctrl, DONE);
    w.worker.postMessage({ params, a: w.a.buffer, b: w.b.buffer, c: w.c.buffer });
    started.push({ w, j0, j1, done });
  }
  gemmCore(m, Math.min(band, n), k, alpha, p.a, aOff, lda, transA, p.b, bOff, ldb, transB, beta, p.c, cOff, ldc);
  for (const s of started) {
    const ok = waitDone(s.w, s.done);
    if (ok) {
      offloaded++;
      for (let i = 0; i < m; i++) p.c.set(s.w.c.subarray(i * ldc + s.j0, i * ldc + s.j1), cOff + i * ldc + s.j0);
    } else {
      retire(s.w.worker);
      const bo = bOff + (transB ? s.j0 * ldb : s.j0);
      gemmCore(m, s.j1 - s.j0, k, alpha, p.a, aOff, lda, transA, p.b, bo, ldb, transB, beta, p.c, cOff + s.j0, ldc);
    }
  }
}

function waitDone(w: PoolWorker, before: number): boolean {
  const deadline = Date.now() + STALL_MS;
  while (Atomics.load(w.ctrl, DONE) === before) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    Atomics.wait(w.ctrl, DONE, before, left);
  }
  return Atomics.load(w.ctrl, FAILED) === 0;
}

// Shared by the kernel benchmarks (bench/kernels.ts, bench/int-kernels.ts, bench/precision.ts).
import { kernelBackend, setKernelBackend } from '../runtime/kernels/wasm/instance.ts';

export interface Timing { best: number; median: number }

/**
 * Time several functions round-robin, so that load from other processes on a shared machine hits
 * them alike and their ratio stays meaningful even when the absolute numbers wobble. Times are
 * this process's CPU time (every kernel here runs on one thread), not wall-clock: on a machine
 * with several times more jobs than cores, wall-clock mostly measures the other jobs.
 */
export function timeTogether(fns: (() => void)[], reps: number, warmup = 2): Timing[] {
  for (let i = 0; i < warmup; i++) for (const f of fns) f();
  const ts = fns.map(() => [] as number[]);
  for (let i = 0; i < reps; i++) fns.forEach((f, j) => ts[j]!.push(cpuMs(f)));
  return ts.map(summary);
}

/**
 * timeTogether for peers whose call is asynchronous (onnxruntime-node's `run`): each is awaited in
 * its turn of the same round-robin. onnxruntime-node does its work in a native call on the main
 * thread inside a `setImmediate`, so an await covers one event-loop turn: nothing else may be
 * pending while a call is timed (the benches start no timers or I/O meanwhile). The process's CPU
 * time counts native threads too, so work a peer moves off the main thread is still charged.
 */
export async function timeTogetherAsync(fns: (() => void | Promise<void>)[], reps: number, warmup = 2): Promise<Timing[]> {
  for (let i = 0; i < warmup; i++) for (const f of fns) await f();
  const ts = fns.map(() => [] as number[]);
  for (let i = 0; i < reps; i++) {
    for (const [j, f] of fns.entries()) {
      const t0 = process.cpuUsage();
      await f();
      ts[j]!.push(since(t0));
    }
  }
  return ts.map(summary);
}

const since = (t0: NodeJS.CpuUsage): number => { const d = process.cpuUsage(t0); return (d.user + d.system) / 1000; };
const cpuMs = (f: () => void): number => { const t0 = process.cpuUsage(); f(); return since(t0); };
const summary = (t: number[]): Timing => ({ best: Math.min(...t), median: median(t) });

/** The middle of xs (the upper middle for an even count), as the benchmarks report it. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * `fn` run on one kernel backend, the backend in use before it restored after it, even when it
 * throws (to time both paths in one process, inside a test or a caller that chose its own).
 */
export function onBackend(backend: 'js' | 'wasm', fn: () => void): () => void {
  return () => {
    const before = kernelBackend();
    setKernelBackend(backend);
    try { fn(); } finally { setKernelBackend(before); }
  };
}

/**
 * `--jobs N`: variants computed in parallel worker processes. A worker is the `kiln` command itself
 * (bin/kiln.js, which runs the dist/ bundle when it is current and the TypeScript sources
 * otherwise, so workers run the same code as their parent either way) asked for one variant with
 * `kiln explore … --only LABEL`; it writes its result into the shared cache, where the parent reads
 * it. Workers never write the same entry at once: each variant goes to one worker.
 */
import { fork } from 'node:child_process';
import { packagePath } from '../../compiler/io/package-root.ts';
import { error, KilnError } from '../../compiler/lang/diagnostics.ts';

export interface Job {
  label: string;
  argv: string[];
}

/** Run the jobs `jobs` at a time; `done` is told of each as it finishes. Rejects with the first failure, after the running ones finish. */
export function runPool(jobs: readonly Job[], parallel: number, done: (label: string) => void): Promise<void> {
  const entry = packagePath('bin', 'kiln.js');
  const queue = [...jobs];
  let failure: KilnError | undefined;
  const next = (): Promise<void> => {
    const job = failure ? undefined : queue.shift();
    if (!job) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const child = fork(entry, job.argv, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.on('error', (e) => {
        failure ??= new KilnError(error('explore', `cannot start a worker for variant ${job.label}: ${e.message}`, undefined, 'run with --jobs 1'));
        resolve();
      });
      child.on('exit', (code) => {
        if (code === 0) done(job.label);
        else failure ??= new KilnError(error('explore', `the worker for variant ${job.label} failed (exit ${code}):\n${stderr.trim()}`, undefined, 'run that variant alone with --only to see the error'));
        resolve();
      });
    }).then(next);
  };
  return Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, next)).then(() => {
    if (failure) throw failure;
  });
}

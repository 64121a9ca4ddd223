/**
 * Runs Debian's `gpmetis` (METIS 5.1) as the reference partitioner: writes the graph, calls
 * `gpmetis -ufactor=U -seed=S file k`, and reads back its partition file and the figures it
 * prints. Used by the benchmark and by the tests that check the scorer against METIS's own edge cut.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { writeMetisGraphFile } from './metis-format.ts';
import { readPartitionFile } from './partition-file.ts';
import type { Graph } from './types.ts';

export interface GpmetisRun {
  readonly parts: Int32Array;
  /** The "Edgecut:" gpmetis printed. */
  readonly edgecut: number;
  /** The "Partitioning:" time gpmetis printed (its own METIS time, I/O excluded), seconds. */
  readonly partitionSeconds: number;
  /** Wall time of the whole gpmetis process (reading the file included), seconds. */
  readonly wallSeconds: number;
  readonly stdout: string;
}

/** Why gpmetis cannot run here, or undefined when it can. */
export function gpmetisMissing(binary = 'gpmetis'): string | undefined {
  const r = spawnSync(binary, ['-help'], { encoding: 'utf8' });
  if (r.error) return `\`${binary}\` is not installed (${(r.error as NodeJS.ErrnoException).code}); install it with \`apt-get install metis\``;
  return undefined;
}

export interface GpmetisOptions {
  readonly ufactor?: number;
  readonly seed?: number;
  readonly binary?: string;
  /** A METIS file already written for this graph (skips writing). */
  readonly graphFile?: string;
}

export function runGpmetis(g: Graph, k: number, opts: GpmetisOptions = {}): GpmetisRun {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-gpmetis-'));
  try {
    const file = opts.graphFile ?? path.join(dir, 'g.graph');
    if (!opts.graphFile) writeMetisGraphFile(file, g);
    const args = [`-ufactor=${opts.ufactor ?? 30}`, `-seed=${opts.seed ?? 1}`, file, String(k)];
    const t0 = performance.now();
    const r = spawnSync(opts.binary ?? 'gpmetis', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    const wallSeconds = (performance.now() - t0) / 1000;
    if (r.error || r.status !== 0) {
      throw new KilnError(error('gpmetis', `gpmetis ${args.join(' ')} failed: ${r.error?.message ?? r.stderr ?? r.stdout}`, undefined, 'check that METIS 5.1 is installed (apt-get install metis)'));
    }
    const cut = /Edgecut:\s*(\d+)/.exec(r.stdout);
    const time = /Partitioning:\s*([\d.]+)/.exec(r.stdout);
    if (!cut) throw new KilnError(error('gpmetis', 'gpmetis printed no "Edgecut:" line', undefined, `its output was:\n${r.stdout}`));
    const parts = readPartitionFile(`${file}.part.${k}`, { nv: g.nv, k });
    if (opts.graphFile) rmSync(`${file}.part.${k}`, { force: true });
    return { parts, edgecut: Number(cut[1]), partitionSeconds: time ? Number(time[1]) : NaN, wallSeconds, stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

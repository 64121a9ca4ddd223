/**
 * Runs KaHyPar (Schlag et al., the Karlsruhe hypergraph partitioner) as the (λ−1) reference: a
 * tool built from source by hand (docs/partitioning.md says how), never a dependency. The
 * binary comes from `KAHYPAR` or `KaHyPar` on the PATH, its preset from `KAHYPAR_PRESET` (the
 * km1 direct k-way preset, `km1_kKaHyPar_sea20.ini` in KaHyPar's `config/`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KilnError, error } from '../../../compiler/lang/diagnostics.ts';
import { writeHmetisFile } from './hmetis-format.ts';
import { readPartitionFile } from './partition-file.ts';
import type { Hypergraph } from './types.ts';

export interface KahyparRun {
  readonly parts: Int32Array;
  /** The "(k-1)" objective KaHyPar printed (sourceless nets counted as λ−1, like every net). */
  readonly km1: number;
  /** KaHyPar's own "Partition time" (reading the file excluded), seconds. */
  readonly partitionSeconds: number;
  /** Wall time of the whole process, seconds. */
  readonly wallSeconds: number;
  /** User + system CPU seconds of the process (through /usr/bin/time), NaN where unavailable. */
  readonly cpuSeconds: number;
}

export interface KahyparOptions {
  readonly epsilon?: number;
  readonly seed?: number;
  readonly binary?: string;
  readonly preset?: string;
  /** An hMETIS file already written for this hypergraph (skips writing). */
  readonly hypergraphFile?: string;
}

function locate(opts: KahyparOptions): { binary: string; preset: string } {
  return { binary: opts.binary ?? process.env.KAHYPAR ?? 'KaHyPar', preset: opts.preset ?? process.env.KAHYPAR_PRESET ?? '' };
}

/** Why KaHyPar cannot run here, or undefined when it can. */
export function kahyparMissing(opts: KahyparOptions = {}): string | undefined {
  const { binary, preset } = locate(opts);
  const r = spawnSync(binary, ['--help'], { encoding: 'utf8' });
  if (r.error) return `\`${binary}\` is not installed (${(r.error as NodeJS.ErrnoException).code}); build KaHyPar from source as docs/partitioning.md describes and set KAHYPAR to the binary`;
  if (!preset || !existsSync(preset)) return `no KaHyPar preset file${preset ? ` at ${preset}` : ''}; set KAHYPAR_PRESET to KaHyPar's config/km1_kKaHyPar_sea20.ini`;
  return undefined;
}

/** Direct k-way KaHyPar on the (λ−1) objective with the given imbalance, as `KaHyPar -o km1 -m direct`. */
export function runKahypar(h: Hypergraph, k: number, opts: KahyparOptions = {}): KahyparRun {
  const { binary, preset } = locate(opts);
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-kahypar-'));
  try {
    const file = opts.hypergraphFile ?? path.join(dir, 'h.hgr');
    if (!opts.hypergraphFile) writeHmetisFile(file, h);
    const epsilon = opts.epsilon ?? 0.03;
    const seed = opts.seed ?? 1;
    const args = ['-h', file, '-k', String(k), '-e', String(epsilon), '-o', 'km1', '-m', 'direct', '-p', preset, `--seed=${seed}`, '-w', 'true'];
    // On a shared machine wall time measures the load; /usr/bin/time gives the CPU time.
    const timed = existsSync('/usr/bin/time');
    const t0 = performance.now();
    const r = timed
      ? spawnSync('/usr/bin/time', ['-f', 'KILN-CPU %U %S', binary, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
      : spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    const wallSeconds = (performance.now() - t0) / 1000;
    if (r.error || r.status !== 0) {
      throw new KilnError(error('kahypar', `KaHyPar ${args.join(' ')} failed: ${r.error?.message ?? r.stderr ?? r.stdout}`, undefined, 'check the KAHYPAR binary and the KAHYPAR_PRESET file'));
    }
    // The last "(k-1)" line is the final partition's; the first is the initial partition's.
    const km1 = [...r.stdout.matchAll(/\(k-1\)\s*\(minimize\)\s*=\s*(\d+)/g)].pop();
    const time = /Partition time\s*=\s*([\d.e+-]+)\s*s/.exec(r.stdout);
    const cpu = /KILN-CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
    if (!km1) throw new KilnError(error('kahypar', 'KaHyPar printed no "(k-1)" line', undefined, `its output ended:\n${r.stdout.slice(-2000)}`));
    // KaHyPar names its output after ε printed with trailing zeros removed (0.03 → "0.03").
    const eps = epsilon.toFixed(6).replace(/0+$/, '');
    const out = `${file}.part${k}.epsilon${eps}.seed${seed}.KaHyPar`;
    const parts = readPartitionFile(out, { nv: h.nv, k });
    rmSync(out, { force: true });
    return { parts, km1: Number(km1[1]), partitionSeconds: time ? Number(time[1]) : NaN, wallSeconds, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

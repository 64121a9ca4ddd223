/** `kiln estimate --training` on a file with every preset as a target, and what its JSON holds. */
import * as path from 'node:path';
import { expect } from 'vitest';
import { kilnFiles, presetsDir } from './paths.ts';
import { runMain, STACK_TRACE } from './cli.ts';

const presets = kilnFiles(presetsDir).map((f) => path.basename(f, '.kiln').replace(/-/g, '_'));

export interface Result { target: string; kind: string; error?: string; off_chip?: string; summary: { phase: string; batch: number; latency_s: number; energy_j: number; per_step: { latency_s: number; energy_j: number }; per_epoch?: { latency_s: number; energy_j: number; steps: number } } }
export interface Out { phase: string; batch: number; steps_per_epoch: number | null; classifier: { classes: number; bits: number; bound_bits: number; too_narrow: boolean } | null; results: Result[] }

/** The two ImageNet-size networks (10 s of SCALE-Sim folds) are in estimate-training-large.slow.test.ts. */
export const LARGE = new Set(['vgg11', 'resnet18']);

export function pricesEverywhere(file: string, extra: string[] = []): void {
  const r = runMain(['estimate', file, '--training', '--json', ...extra, ...presets.flatMap((p) => ['--target', p])]);
  expect(r.err).not.toMatch(STACK_TRACE);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.out) as Out;
  expect(out.phase).toBe('training');
  expect(out.results).toHaveLength(presets.length);
  for (const e of out.results) {
    expect(e.error).toBeUndefined();
    if (e.kind === 'neuromorphic') {
      expect(e.off_chip).toMatch(/training runs off-chip/);
      continue;
    }
    expect(e.summary.phase).toBe('training');
    expect(e.summary.energy_j).toBeGreaterThan(0);
    expect(e.summary.per_step.energy_j).toBe(e.summary.energy_j);
    if (out.steps_per_epoch !== null) expect(e.summary.per_epoch!.energy_j).toBeCloseTo(e.summary.energy_j * out.steps_per_epoch, 12);
  }
}

